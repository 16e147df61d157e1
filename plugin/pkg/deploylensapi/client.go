// Package deploylensapi is the Grafana plugin's client of the deploylens
// query API (DESIGN.md §7): one method per endpoint, each returning the
// endpoint's JSON decoded into the types of types.go.
package deploylensapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Client calls one deploylens server with one bearer token.
//
// Identical GETs in flight at the same time share one request: a dashboard
// asks for the same answer from several panels at once (five panels of
// "DORA by team" read /api/v1/dora for one scope), and each would otherwise
// have the server compute it again. Answers are not kept once sent.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	calls singleflight.Group
}

// New returns a client of the deploylens at baseURL (scheme, host and an
// optional path prefix). httpClient may be nil.
func New(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("URL %q is not an http(s) URL of a deploylens server, e.g. http://deploylens:8080", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u, token: token, http: httpClient}, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is an answer other than 2xx, carrying deploylens' error envelope
// {"error": "...", "details": [...]}.
type Error struct {
	Status  int
	Path    string
	Message string
	Details []ErrorDetail
}

// ErrorDetail names one offending field.
type ErrorDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	for _, d := range e.Details {
		if d.Field != "" && !strings.Contains(msg, d.Message) {
			msg += fmt.Sprintf(" (%s: %s)", d.Field, d.Message)
		}
	}
	return fmt.Sprintf("deploylens answered %d to %s: %s", e.Status, e.Path, msg)
}

// NotServed reports whether the server has no such endpoint: an older
// deploylens, or a process running only the ingest role.
func (e *Error) NotServed() bool {
	return e.Status == http.StatusNotFound && strings.HasPrefix(e.Message, "no such endpoint")
}

// UnreachableError means no HTTP answer came back at all.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach deploylens at %s: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err means the server did not answer.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// StatusOf returns the HTTP status of an API error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// maxBody caps what is read from one answer.
const maxBody = 64 << 20

// get sends GET path?query (path escaped), authenticated unless
// anonymous, and decodes a 2xx JSON answer into out. A call identical to one
// in flight waits for that one's answer instead of sending its own.
func (c *Client) get(ctx context.Context, path string, query url.Values, anonymous bool, out any) error {
	// path is already escaped: a change id's "/" travels as %2F.
	target := strings.TrimSuffix(c.base.String(), "/") + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	key := target
	if anonymous {
		key = "anonymous " + target
	}
	// The shared request outlives a caller that gives up: the others still
	// want its answer. It keeps the first caller's values and the client's
	// timeout.
	shared := c.calls.DoChan(key, func() (any, error) {
		return c.fetch(context.WithoutCancel(ctx), target, path, anonymous)
	})
	var res singleflight.Result
	select {
	case res = <-shared:
	case <-ctx.Done():
		return ctx.Err()
	}
	if res.Err != nil {
		return res.Err
	}
	body := res.Val.([]byte)
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("the answer of %s is not the JSON deploylens sends (%v): is %s a deploylens server?", path, err, c.base)
	}
	return nil
}

// fetch sends one GET and returns a 2xx answer's body.
func (c *Client) fetch(ctx context.Context, target, path string, anonymous bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if !anonymous {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, &UnreachableError{URL: c.base.String(), Err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s: %w", path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := &Error{Status: res.StatusCode, Path: path}
		var env struct {
			Error   string        `json:"error"`
			Status  string        `json:"status"`
			Details []ErrorDetail `json:"details"`
		}
		if json.Unmarshal(body, &env) == nil {
			e.Message, e.Details = env.Error, env.Details
		} else {
			e.Message = strings.TrimSpace(string(body))
			if len(e.Message) > 200 {
				e.Message = e.Message[:200] + "…"
			}
		}
		return nil, e
	}
	return body, nil
}

// Filter selects what a query is about. Empty fields are not sent.
type Filter struct {
	Team        string
	Service     string
	Environment string
	From, To    time.Time
}

func (f Filter) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("team", f.Team)
	set("service", f.Service)
	set("environment", f.Environment)
	if !f.From.IsZero() {
		v.Set("from", f.From.UTC().Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		v.Set("to", f.To.UTC().Format(time.RFC3339))
	}
	return v
}
