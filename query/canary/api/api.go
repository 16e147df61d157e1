// Package api serves deploylens' canary endpoints: the stateless judge for
// pipelines that bring their own samples, analyses over stored telemetry,
// and named canary configs. Every endpoint has one signature, validation
// runs before any work, and errors become status codes in one place (fail).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/query/canary/analysis"
	"github.com/deploylens/deploylens/query/canary/judge"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// API serves the canary endpoints.
type API struct {
	Conn   driver.Conn
	Runner *analysis.Runner
	// Timeout bounds one request's queries (none if zero); a running
	// analysis' later looks are bounded by the runner.
	Timeout time.Duration
	Now     func() time.Time
}

// Register mounts the canary endpoints on srv with read-role tokens
// (pipelines hold read tokens), storing analyses in st.
func Register(srv *server.Server, st *store.Store, log *slog.Logger) error {
	if st == nil || st.Conn == nil {
		return errors.New("canary API: no store")
	}
	a := &API{Conn: st.Conn, Runner: &analysis.Runner{Conn: st.Conn, Log: log, Settle: analysis.DefaultSettle}, Timeout: 60 * time.Second}
	a.Register(srv)
	return nil
}

// Register mounts the endpoints.
func (a *API) Register(srv *server.Server) {
	read := srv.API("/api/v1/canary", auth.RoleRead)
	read.POST("/judge", a.handle(a.judge))
	read.POST("/analyses", a.handle(a.startAnalysis))
	read.GET("/analyses", a.handle(a.listAnalyses))
	read.GET("/analyses/:id", a.handle(a.getAnalysis))
	read.PUT("/configs/:name", a.handle(a.putConfig))
	read.GET("/configs/:name", a.handle(a.getConfig))
}

// endpoint answers with a status and a body or fails.
type endpoint func(c *gin.Context) (int, any, error)

func (a *API) handle(e endpoint) gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.Timeout > 0 {
			ctx, cancel := context.WithTimeout(c.Request.Context(), a.Timeout)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
		}
		status, body, err := e(c)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(status, body)
	}
}

// Errors an endpoint returns besides validation errors, each one status.
type (
	handled   struct{} // the response is written (BindJSON)
	notFound  struct{ what, field string }
	forbidden struct{ team, field string }
)

func (handled) Error() string     { return "handled" }
func (e notFound) Error() string  { return e.what + " not found" }
func (e forbidden) Error() string { return fmt.Sprintf("this token may not read team %q", e.team) }

func fail(c *gin.Context, err error) {
	var (
		ve   judge.ValidationError
		nf   notFound
		forb forbidden
	)
	switch {
	case errors.As(err, &handled{}):
	case errors.As(err, &ve):
		details := make([]server.Detail, len(ve))
		for i, fe := range ve {
			details[i] = server.Detail{Field: fe.Field, Message: fe.Message}
		}
		msg := "invalid field " + ve[0].Field + ": " + ve[0].Message
		if len(ve) > 1 {
			msg = fmt.Sprintf("%d invalid fields, first %s: %s", len(ve), ve[0].Field, ve[0].Message)
		}
		server.Error(c, http.StatusBadRequest, msg, details...)
	case errors.As(err, &nf):
		server.Error(c, http.StatusNotFound, nf.Error(), server.Detail{Field: nf.field, Message: "not found"})
	case errors.As(err, &forb):
		server.Error(c, http.StatusForbidden, forb.Error(), server.Detail{Field: forb.field, Message: "outside the token's team scope"})
	case errors.Is(err, context.DeadlineExceeded):
		server.Error(c, http.StatusServiceUnavailable, "the analysis took longer than the server allows; shorten the lifetime or lengthen the step")
	default:
		c.Header("Retry-After", "5")
		server.Error(c, http.StatusServiceUnavailable, "the store is unavailable: "+err.Error())
	}
}

// bind decodes a body (at most server.MaxJSONBody: 20 metrics × 2 × 1000
// points take about a third of it).
func bind(c *gin.Context, v any) error {
	if !server.BindJSON(c, v) {
		return handled{}
	}
	return nil
}

// judge answers POST /canary/judge: a judgment of the samples given.
func (a *API) judge(c *gin.Context) (int, any, error) {
	var req judge.Request
	if err := bind(c, &req); err != nil {
		return 0, nil, err
	}
	res, err := judge.Judge(req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

func canSee(c *gin.Context, team, field string) error {
	if server.PrincipalOf(c).CanSeeTeam(team) {
		return nil
	}
	return forbidden{team: team, field: field}
}

// startAnalysis answers POST /canary/analyses.
func (a *API) startAnalysis(c *gin.Context) (int, any, error) {
	var req analysis.Request
	if err := bind(c, &req); err != nil {
		return 0, nil, err
	}
	if err := req.Validate(); err != nil {
		return 0, nil, err
	}
	if err := canSee(c, req.Team, "team"); err != nil {
		return 0, nil, err
	}
	// The analysis reads the service's telemetry, which carries no team: a
	// token must also see the team that owns the service, or naming its own
	// team would read another team's telemetry.
	if !server.PrincipalOf(c).AllTeams() {
		owner, err := analysis.ServiceOwner(c.Request.Context(), a.Conn, req.Service)
		if err != nil {
			return 0, nil, err
		}
		if owner != "" {
			if err := canSee(c, owner, "service"); err != nil {
				return 0, nil, err
			}
		}
	}
	if req.ConfigName != "" {
		sc, err := analysis.LoadConfig(c.Request.Context(), a.Conn, req.ConfigName)
		if errors.Is(err, analysis.ErrNotFound) {
			return 0, nil, judge.ValidationError{{Field: "config_name", Message: fmt.Sprintf("no canary config is stored as %q", req.ConfigName)}}
		}
		if err != nil {
			return 0, nil, err
		}
		if err := canSee(c, sc.Team, "config_name"); err != nil {
			return 0, nil, err
		}
		req.Config, req.ConfigName = &sc.Config, ""
		if err := req.Validate(); err != nil { // the step limits depend on the config
			return 0, nil, err
		}
	}
	an, err := a.Runner.Start(c.Request.Context(), req)
	if err != nil && an == nil {
		return 0, nil, err
	}
	if err != nil && an.Status == analysis.StatusFailed {
		return http.StatusCreated, an, nil // the failure is recorded in the analysis
	}
	if err != nil {
		return 0, nil, err
	}
	c.Header("Location", "/api/v1/canary/analyses/"+an.ID)
	return http.StatusCreated, an, nil
}

// getAnalysis answers GET /canary/analyses/{id}.
func (a *API) getAnalysis(c *gin.Context) (int, any, error) {
	id := c.Param("id")
	an, err := analysis.Load(c.Request.Context(), a.Conn, id)
	if errors.Is(err, analysis.ErrNotFound) {
		return 0, nil, notFound{what: fmt.Sprintf("canary analysis %q", id), field: "id"}
	}
	if err != nil {
		return 0, nil, err
	}
	if err := canSee(c, an.Team, "team"); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, an, nil
}

// listAnalyses answers GET /canary/analyses?deployment_id=: the analyses
// that judged a deployment, for showing with it.
func (a *API) listAnalyses(c *gin.Context) (int, any, error) {
	for k := range c.Request.URL.Query() {
		if k != "deployment_id" {
			return 0, nil, judge.ValidationError{{Field: k, Message: "not a parameter of this endpoint (deployment_id)"}}
		}
	}
	dep := strings.TrimSpace(c.Query("deployment_id"))
	if dep == "" {
		return 0, nil, judge.ValidationError{{Field: "deployment_id", Message: "is required"}}
	}
	p := server.PrincipalOf(c)
	list, err := analysis.OfDeployment(c.Request.Context(), a.Conn, dep, p.Teams, p.AllTeams())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"deployment_id": dep, "analyses": list}, nil
}

// configBody is the body of PUT /canary/configs/{name}.
type configBody struct {
	Team   string           `json:"team"`
	Config *analysis.Config `json:"config"`
}

// putConfig answers PUT /canary/configs/{name}: stores a config for a team.
// A name belongs to the team that stored it first.
func (a *API) putConfig(c *gin.Context) (int, any, error) {
	name := c.Param("name")
	var body configBody
	if err := bind(c, &body); err != nil {
		return 0, nil, err
	}
	var ve judge.ValidationError
	if strings.TrimSpace(name) == "" || len(name) > analysis.MaxConfigName {
		ve = append(ve, judge.FieldError{Field: "name", Message: fmt.Sprintf("must be 1 to %d characters", analysis.MaxConfigName)})
	}
	if strings.TrimSpace(body.Team) == "" {
		ve = append(ve, judge.FieldError{Field: "team", Message: "is required: the team that owns the config"})
	}
	if body.Config == nil {
		ve = append(ve, judge.FieldError{Field: "config", Message: "is required"})
	} else if err := body.Config.Validate("config"); err != nil {
		ve = append(ve, err.(judge.ValidationError)...)
	}
	if len(ve) > 0 {
		return 0, nil, ve
	}
	if err := canSee(c, body.Team, "team"); err != nil {
		return 0, nil, err
	}
	prev, err := analysis.LoadConfig(c.Request.Context(), a.Conn, name)
	switch {
	case errors.Is(err, analysis.ErrNotFound):
	case err != nil:
		return 0, nil, err
	case prev.Team != body.Team:
		if err := canSee(c, prev.Team, "name"); err != nil {
			return 0, nil, err
		}
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	sc := analysis.StoredConfig{Name: name, Team: body.Team, UpdatedAt: now().UTC().Truncate(time.Millisecond), Config: *body.Config}
	if err := analysis.SaveConfig(c.Request.Context(), a.Conn, sc); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, sc, nil
}

// getConfig answers GET /canary/configs/{name}.
func (a *API) getConfig(c *gin.Context) (int, any, error) {
	name := c.Param("name")
	sc, err := analysis.LoadConfig(c.Request.Context(), a.Conn, name)
	if errors.Is(err, analysis.ErrNotFound) {
		return 0, nil, notFound{what: fmt.Sprintf("canary config %q", name), field: "name"}
	}
	if err != nil {
		return 0, nil, err
	}
	if err := canSee(c, sc.Team, "name"); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, sc, nil
}
