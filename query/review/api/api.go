// Package api serves the weekly review over HTTP: the JSON at
// GET /api/v1/reviews/weekly, the page a team reads in its meeting at
// /reviews/weekly/{team}/{week}, and /reviews, where a person signs in with
// a token and picks a team and a week.
//
// The endpoints stand on the query API's (query/api): its calculators and
// timeout, its parameter rules, its scope enforcement against the caller's
// token and its one mapping of errors to statuses. Pages authenticate like
// API calls, or by the session cookie that the sign-in form sets
// (server.Pages), because a browser following a link sends no bearer header.
package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/query"
	queryapi "github.com/deploylens/deploylens/query/api"
	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/review"
	"github.com/deploylens/deploylens/server"
)

// Paths of the review.
const (
	JSONPath  = "/api/v1/reviews/weekly"
	PagesPath = "/reviews"
)

// PickerWeeks is how many complete weeks the picker offers.
const PickerWeeks = 12

// API serves the review.
type API struct {
	Query   *queryapi.API
	Catalog *query.Catalog
}

// Register mounts the review on srv, computed by the query API q's
// calculators within review.TimeoutFactor times its timeout.
func Register(srv *server.Server, q *queryapi.API) {
	reviews := *q
	reviews.Timeout = q.Timeout * review.TimeoutFactor
	(&API{Query: &reviews, Catalog: &query.Catalog{Conn: q.Conn}}).Register(srv)
}

// Register mounts the endpoints and pages.
func (a *API) Register(srv *server.Server) {
	srv.API("/api/v1", auth.RoleRead).GET("/reviews/weekly", a.Query.Handle(a.weekly))
	pages := srv.Pages(PagesPath, auth.RoleRead, a.signIn)
	pages.GET("", a.pick)
	pages.GET("/weekly/:team/:week", a.page)
	srv.Engine.POST(PagesPath, srv.SignIn(PagesPath, auth.RoleRead, a.signIn))
}

func (a *API) now() time.Time {
	if a.Query.Now != nil {
		return a.Query.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *API) sources() review.Sources {
	return review.Sources{Conn: a.Query.Conn, DORA: a.Query.DORA, Waits: a.Query.Waits, Now: a.now}
}

// request is one review asked for, validated and authorized.
type request struct {
	team, environment string
	week              review.Week
}

// read validates a review's team and week (the last complete week when
// week is "") and the environment in p, then checks the caller may read
// the team.
func (a *API) read(c *gin.Context, p *queryapi.Params, team, week string) (request, error) {
	now := a.now()
	r := request{team: team, environment: p.Name("environment", delivery.DefaultEnvironment), week: review.LastCompleteWeek(now)}
	if team == "" {
		p.Fail("team", "is required: the team whose week to review")
	}
	if week != "" {
		w, err := review.ParseWeek(week)
		switch {
		case err != nil:
			p.Fail("week", err.Error())
		case !w.Start().Before(now):
			p.Fail("week", fmt.Sprintf("%s has not started yet; the last complete week is %s", w, r.week))
		default:
			r.week = w
		}
	}
	if err := p.Err(); err != nil {
		return r, err
	}
	s := delivery.Scope{Team: r.team, Environment: r.environment}
	return r, a.Query.Authorize(c, &s)
}

// GET /api/v1/reviews/weekly?team=&week=&environment=
func (a *API) weekly(c *gin.Context) (any, error) {
	p := queryapi.NewParams(c.Request.URL.Query(), "team", "week", "environment")
	req, err := a.read(c, p, p.Name("team", ""), p.Value("week"))
	if err != nil {
		return nil, err
	}
	return review.Build(c.Request.Context(), a.sources(), req.team, req.environment, req.week)
}

// GET /reviews/weekly/{team}/{week}
func (a *API) page(c *gin.Context) {
	// The path's team and week are read by the same rules as parameters;
	// giving them in the query too is a parameter given twice.
	values := url.Values{"team": {c.Param("team")}}
	for k, v := range c.Request.URL.Query() {
		values[k] = append(values[k], v...)
	}
	p := queryapi.NewParams(values, "team", "environment")
	req, err := a.read(c, p, p.Name("team", ""), c.Param("week"))
	if err != nil {
		a.errorPage(c, err)
		return
	}
	ctx := c.Request.Context()
	if a.Query.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Query.Timeout)
		defer cancel()
	}
	r, err := review.Build(ctx, a.sources(), req.team, req.environment, req.week)
	if err != nil {
		a.errorPage(c, err)
		return
	}
	var b bytes.Buffer
	if err := review.HTML(&b, &r, review.ServedLinks(&r), a.now()); err != nil {
		panic(err) // the templates are fixed: a failure is a programming error
	}
	writeHTML(c, http.StatusOK, b.Bytes())
}

// GET /reviews: the picker; with team (and week) it sends the browser to
// that review.
func (a *API) pick(c *gin.Context) {
	p := queryapi.NewParams(c.Request.URL.Query(), "team", "week", "environment")
	if p.Given("team") || p.Given("week") {
		req, err := a.read(c, p, p.Name("team", ""), p.Value("week"))
		if err != nil {
			a.errorPage(c, err)
			return
		}
		to := review.PagePath(req.team, req.week)
		if req.environment != delivery.DefaultEnvironment {
			to += "?" + url.Values{"environment": {req.environment}}.Encode()
		}
		c.Redirect(http.StatusSeeOther, to)
		return
	}
	if err := p.Err(); err != nil {
		a.errorPage(c, err)
		return
	}
	principal := server.PrincipalOf(c)
	entries, err := a.Catalog.Services(c.Request.Context(), "")
	if err != nil {
		a.errorPage(c, err)
		return
	}
	var teams []string
	for _, e := range entries {
		if principal.CanSeeTeam(e.Team) && !slices.Contains(teams, e.Team) {
			teams = append(teams, e.Team)
		}
	}
	slices.Sort(teams)
	last := review.LastCompleteWeek(a.now())
	weeks := []review.Week{}
	for i := range PickerWeeks {
		weeks = append(weeks, last.Add(-i))
	}
	var b bytes.Buffer
	if err := review.PickerHTML(&b, review.Picker{Principal: principal.Name, Action: PagesPath, Teams: teams, Weeks: weeks, Default: last}); err != nil {
		panic(err)
	}
	writeHTML(c, http.StatusOK, b.Bytes())
}

// signIn shows the sign-in form, which comes back to the page asked for.
func (a *API) signIn(c *gin.Context, status int, problem string) {
	next := c.Request.URL.RequestURI()
	if c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
	}
	var b bytes.Buffer
	if err := review.LoginHTML(&b, review.Login{Action: PagesPath, Next: next, Problem: problem}); err != nil {
		panic(err)
	}
	writeHTML(c, status, b.Bytes())
}

// errorPage shows an error as the JSON endpoint would state it.
func (a *API) errorPage(c *gin.Context, err error) {
	status, body := queryapi.Problem(err)
	var b bytes.Buffer
	if err := review.ErrorHTML(&b, review.ErrorPage{Status: status, Message: body.Error, Details: body.Details, Back: PagesPath}); err != nil {
		panic(err)
	}
	writeHTML(c, status, b.Bytes())
}

// contentPolicy lets a page use nothing but itself: its inline styles and
// SVG, no script, no fetch, forms only to this server.
const contentPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func writeHTML(c *gin.Context, status int, page []byte) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-store")
	c.Data(status, "text/html; charset=utf-8", page)
	c.Abort()
}
