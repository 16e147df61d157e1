package api

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deploylens/deploylens/server"
)

// validName is what a team, service or environment may look like:
// printable, no control characters, bounded.
var validName = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._:/@ -]{0,127}$`)

// validChangeID bounds a change id in a path.
var validChangeID = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,512}$`)

// params reads and validates query parameters, collecting every problem
// so that one 400 names all the offending fields.
type params struct {
	values  url.Values
	allowed []string
	details []server.Detail
}

func newParams(q url.Values, allowed ...string) *params {
	p := &params{values: q, allowed: allowed}
	var unknown []string
	for k, v := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
			continue
		}
		if len(v) > 1 {
			p.fail(k, "given more than once")
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		p.fail(k, "not a parameter of this endpoint (known: "+strings.Join(allowed, ", ")+")")
	}
	return p
}

func (p *params) fail(field, msg string) {
	p.details = append(p.details, server.Detail{Field: field, Message: msg})
}

// err is the 400 naming every offending field, or nil.
func (p *params) err() error {
	if len(p.details) > 0 {
		return &badRequest{details: p.details}
	}
	return nil
}

// name returns an optional name parameter.
func (p *params) name(field, def string) string {
	v, ok := p.values[field]
	if !ok || len(v) == 0 {
		return def
	}
	if !validName.MatchString(v[0]) {
		p.fail(field, "must be 1-128 letters, digits or . _ : / @ - and spaces, starting with a letter or digit")
		return def
	}
	return v[0]
}

// time returns an optional RFC 3339 time parameter.
func (p *params) time(field string, def time.Time) time.Time {
	v, ok := p.values[field]
	if !ok || len(v) == 0 {
		return def
	}
	t, err := time.Parse(time.RFC3339Nano, v[0])
	if err != nil {
		p.fail(field, fmt.Sprintf("%q is not an RFC 3339 time (e.g. 2026-03-02T00:00:00Z)", v[0]))
		return def
	}
	return t.UTC()
}

// oneOf returns an optional parameter that must be one of choices.
func (p *params) oneOf(field, def string, choices ...string) string {
	v, ok := p.values[field]
	if !ok || len(v) == 0 {
		return def
	}
	if !slices.Contains(choices, v[0]) {
		p.fail(field, fmt.Sprintf("%q is not one of %s", v[0], strings.Join(choices, ", ")))
		return def
	}
	return v[0]
}

// count returns an optional integer parameter in [min, max].
func (p *params) count(field string, def, min, max int) int {
	v, ok := p.values[field]
	if !ok || len(v) == 0 {
		return def
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < min || n > max {
		p.fail(field, fmt.Sprintf("%q is not a whole number from %d to %d", v[0], min, max))
		return def
	}
	return n
}

// year returns an optional year parameter that must be one of years.
func (p *params) year(field string, years []int) int {
	v, ok := p.values[field]
	if !ok || len(v) == 0 {
		return 0
	}
	y, err := strconv.Atoi(v[0])
	if err != nil || !slices.Contains(years, y) {
		var known []string
		for _, k := range years {
			known = append(known, strconv.Itoa(k))
		}
		p.fail(field, fmt.Sprintf("%q is not a year with published clusters (%s)", v[0], strings.Join(known, ", ")))
		return 0
	}
	return y
}

// window checks [from, to).
func (p *params) window(from, to time.Time, max time.Duration) {
	switch {
	case !from.Before(to):
		p.fail("from", "must be before to")
	case to.Sub(from) > max:
		p.fail("from", fmt.Sprintf("the window from from to to is longer than %d days", int(max.Hours()/24)))
	}
}
