package api

import (
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/query/delivery"
)

// What the read APIs built on this one (query/review) share with it, so
// that they parse parameters, enforce scope and fail exactly as these
// endpoints do.

// Endpoint computes an answer or returns an error that Problem maps.
type Endpoint = endpoint

// Handle serves an endpoint: the request's queries are bounded by the API's
// Timeout, the answer is JSON, an error becomes its status.
func (a *API) Handle(e Endpoint) gin.HandlerFunc { return a.handle(e) }

// Authorize narrows s to the caller's teams and checks the team it names:
// 403 outside the token's scope, 404 when no catalog entry or event knows it.
func (a *API) Authorize(c *gin.Context, s *delivery.Scope) error { return a.authorize(c, s) }

// Params reads and validates query parameters, collecting every problem
// for one 400 that names all the offending fields.
type Params = params

// NewParams starts reading q; a parameter not in allowed, or one given
// twice, is a problem already.
func NewParams(q url.Values, allowed ...string) *Params { return newParams(q, allowed...) }

// Name returns an optional team, service or environment name, def if absent.
func (p *params) Name(field, def string) string { return p.name(field, def) }

// Fail records a problem with field.
func (p *params) Fail(field, msg string) { p.fail(field, msg) }

// Err is the 400 naming every problem, or nil.
func (p *params) Err() error { return p.err() }

// Given reports whether the parameter was given.
func (p *params) Given(field string) bool {
	v, ok := p.values[field]
	return ok && len(v) > 0 && v[0] != ""
}

// Value returns a parameter as given ("" if absent), for parameters the
// caller validates itself.
func (p *params) Value(field string) string {
	if v := p.values[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}
