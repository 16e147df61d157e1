// Package api serves deploylens' delivery metrics over HTTP: the DORA
// metrics of a team and their series, where changes wait, and one change's
// timeline. Every endpoint is a method with the same signature; parameters
// are validated before any work, scope is enforced against the caller's
// token, and errors become status codes in one place (fail).
package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/waits"
	"github.com/deploylens/deploylens/server"
)

// Defaults and bounds of the query parameters.
const (
	DefaultWindow   = 30 * 24 * time.Hour
	MaxWindow       = 3 * 366 * 24 * time.Hour
	MaxSeriesPoints = 400
)

// Parameters lists what each endpoint accepts (path and query); anything
// else is a 400.
var Parameters = map[string][]string{
	"/api/v1/dora":                         {"team", "service", "environment", "from", "to", "benchmark_year"},
	"/api/v1/dora/series":                  {"team", "service", "environment", "from", "to", "step"},
	"/api/v1/waits":                        {"team", "service", "environment", "from", "to"},
	"/api/v1/changes/{change_id}/timeline": {"change_id", "environment"},
	"/api/v1/deployments":                  {"team", "service", "environment", "from", "to", "limit"},
	"/api/v1/incidents":                    {"team", "service", "environment", "from", "to", "limit"},
	"/api/v1/environments":                 {"team", "service", "from", "to"},
}

// DefaultListed is how many rows a listing returns when limit is not given.
const DefaultListed = 1000

// API serves the endpoints.
type API struct {
	Conn  driver.Conn
	DORA  *dora.Calculator
	Waits *waits.Calculator
	// Timeout bounds one request's queries (none if zero).
	Timeout time.Duration
	// Now is the clock the default window ends at.
	Now func() time.Time
}

// Register mounts the endpoints on the server's read API.
func (a *API) Register(s *server.Server) {
	read := s.API("/api/v1", auth.RoleRead)
	read.GET("/dora", a.handle(a.dora))
	read.GET("/dora/series", a.handle(a.series))
	read.GET("/waits", a.handle(a.waits))
	read.GET("/changes/:change_id/timeline", a.handle(a.timeline))
	read.GET("/deployments", a.handle(a.deployments))
	read.GET("/incidents", a.handle(a.incidents))
	read.GET("/environments", a.handle(a.environments))
}

// endpoint computes an answer or fails; fail has already written the error.
type endpoint func(c *gin.Context) (any, error)

func (a *API) handle(e endpoint) gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.Timeout > 0 {
			ctx, cancel := context.WithTimeout(c.Request.Context(), a.Timeout)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
		}
		body, err := e(c)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, body)
	}
}

// Errors an endpoint returns, each one status.
type (
	badRequest struct{ details []server.Detail }
	notFound   struct{ msg, field string }
	forbidden  struct{ team string }
)

func (e *badRequest) Error() string { return "invalid parameters" }
func (e *notFound) Error() string   { return e.msg }
func (e *forbidden) Error() string  { return fmt.Sprintf("this token may not read team %q", e.team) }

// fail writes err as the one error envelope, with its status.
func fail(c *gin.Context, err error) {
	status, body := Problem(err)
	if status == http.StatusServiceUnavailable && !errors.Is(err, context.DeadlineExceeded) {
		c.Header("Retry-After", "5")
	}
	server.Error(c, status, body.Error, body.Details...)
}

// Problem is the status and error body of an endpoint's error: the one
// place errors become status codes, for fail and for the HTML pages built
// on these endpoints.
func Problem(err error) (int, server.ErrorBody) {
	var (
		bad  *badRequest
		nf   *notFound
		forb *forbidden
	)
	switch {
	case errors.As(err, &bad):
		msg := "invalid parameter " + bad.details[0].Field
		if len(bad.details) > 1 {
			msg = fmt.Sprintf("%d invalid parameters, first %s", len(bad.details), bad.details[0].Field)
		}
		return http.StatusBadRequest, server.ErrorBody{Error: msg, Details: bad.details}
	case errors.As(err, &nf):
		return http.StatusNotFound, server.ErrorBody{Error: nf.msg, Details: []server.Detail{{Field: nf.field, Message: "not found"}}}
	case errors.As(err, &forb):
		return http.StatusForbidden, server.ErrorBody{Error: forb.Error(), Details: []server.Detail{{Field: "team", Message: "outside the token's team scope"}}}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, server.ErrorBody{Error: "the query took longer than the server allows; narrow the window or the scope"}
	}
	return http.StatusServiceUnavailable, server.ErrorBody{Error: "the store is unavailable: " + err.Error()}
}

// scope reads team, service, environment, from (default: DefaultWindow
// before to) and to (default: now).
func (a *API) scope(p *params) delivery.Scope {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	to := p.time("to", now().UTC().Truncate(time.Second))
	from := p.time("from", to.Add(-DefaultWindow))
	s := delivery.Scope{
		Team:        p.name("team", ""),
		Service:     p.name("service", ""),
		Environment: p.name("environment", delivery.DefaultEnvironment),
		From:        from,
		To:          to,
	}
	if len(p.details) == 0 {
		p.window(from, to, MaxWindow)
	}
	return s
}

// authorize narrows s to the caller: a team it may see, else its teams.
func (a *API) authorize(c *gin.Context, s *delivery.Scope) error {
	principal := server.PrincipalOf(c)
	if !principal.AllTeams() {
		s.Teams = principal.Teams
	}
	if s.Team == "" {
		return nil
	}
	if !principal.CanSeeTeam(s.Team) {
		return &forbidden{team: s.Team}
	}
	ok, err := delivery.TeamExists(c.Request.Context(), a.Conn, s.Team)
	if err != nil {
		return err
	}
	if !ok {
		return &notFound{msg: fmt.Sprintf("no team %q: it owns no service in the catalog and no event names it", s.Team), field: "team"}
	}
	return nil
}

// GET /api/v1/dora
func (a *API) dora(c *gin.Context) (any, error) {
	p := newParams(c.Request.URL.Query(), Parameters["/api/v1/dora"]...)
	s := a.scope(p)
	year := p.year("benchmark_year", a.DORA.Benchmarks.Years())
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := a.authorize(c, &s); err != nil {
		return nil, err
	}
	return a.DORA.Report(c.Request.Context(), s, year)
}

// GET /api/v1/dora/series
func (a *API) series(c *gin.Context) (any, error) {
	p := newParams(c.Request.URL.Query(), Parameters["/api/v1/dora/series"]...)
	s := a.scope(p)
	step := p.oneOf("step", dora.StepWeek, dora.StepDay, dora.StepWeek, dora.StepMonth)
	if len(p.details) == 0 {
		if n := dora.StepsBetween(step, s.From, s.To); n > MaxSeriesPoints {
			p.fail("step", fmt.Sprintf("the window holds %d steps of a %s; at most %d: use a longer step or a shorter window", n, step, MaxSeriesPoints))
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := a.authorize(c, &s); err != nil {
		return nil, err
	}
	return a.DORA.Series(c.Request.Context(), s, step)
}

// GET /api/v1/waits
func (a *API) waits(c *gin.Context) (any, error) {
	p := newParams(c.Request.URL.Query(), Parameters["/api/v1/waits"]...)
	s := a.scope(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := a.authorize(c, &s); err != nil {
		return nil, err
	}
	return a.Waits.Report(c.Request.Context(), s)
}

// GET /api/v1/changes/{change_id}/timeline
func (a *API) timeline(c *gin.Context) (any, error) {
	p := newParams(c.Request.URL.Query(), "environment")
	id := c.Param("change_id")
	if !validChangeID.MatchString(id) {
		p.fail("change_id", "must be 1-512 characters without control characters")
	}
	s := delivery.Scope{Environment: p.name("environment", delivery.DefaultEnvironment)}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := a.authorize(c, &s); err != nil {
		return nil, err
	}
	tl, err := a.Waits.Timeline(c.Request.Context(), s, id)
	var outside *waits.OutsideScopeError
	switch {
	case errors.As(err, &outside):
		return nil, &forbidden{team: outside.Team}
	case errors.Is(err, waits.ErrNotFound):
		return nil, &notFound{msg: fmt.Sprintf("change %q has no successful deployment to %s", id, s.Env()), field: "change_id"}
	}
	return tl, err
}

// listing reads a list endpoint's parameters and authorizes its scope.
func (a *API) listing(c *gin.Context, path string) (delivery.Scope, int, error) {
	p := newParams(c.Request.URL.Query(), Parameters[path]...)
	s := a.scope(p)
	limit := p.count("limit", DefaultListed, 1, dora.MaxListed)
	if err := p.err(); err != nil {
		return s, 0, err
	}
	return s, limit, a.authorize(c, &s)
}

// GET /api/v1/deployments
func (a *API) deployments(c *gin.Context) (any, error) {
	s, limit, err := a.listing(c, "/api/v1/deployments")
	if err != nil {
		return nil, err
	}
	deps, more, err := a.DORA.ListDeployments(c.Request.Context(), s, limit)
	// An empty list is [] and not left out.
	return map[string]any{"deployments": deps, "truncated": more}, err
}

// GET /api/v1/incidents
func (a *API) incidents(c *gin.Context) (any, error) {
	s, limit, err := a.listing(c, "/api/v1/incidents")
	if err != nil {
		return nil, err
	}
	incs, more, err := a.DORA.ListIncidents(c.Request.Context(), s, limit)
	return map[string]any{"incidents": incs, "truncated": more}, err
}

// GET /api/v1/environments
func (a *API) environments(c *gin.Context) (any, error) {
	p := newParams(c.Request.URL.Query(), Parameters["/api/v1/environments"]...)
	s := a.scope(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := a.authorize(c, &s); err != nil {
		return nil, err
	}
	envs, err := delivery.Environments(c.Request.Context(), a.Conn, s)
	return map[string]any{"environments": envs}, err
}
