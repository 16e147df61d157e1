package ingest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/server"
)

// RequestError is a request deploylens refuses, with the status to answer.
type RequestError struct {
	Status  int
	Msg     string
	Details []server.Detail
	// Events is how many events the refused request carried, when known.
	Events int
}

func (e *RequestError) Error() string {
	if len(e.Details) == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s (%s: %s)", e.Msg, e.Details[0].Field, e.Details[0].Message)
}

// BadRequest is malformed input: 400 with the offending fields.
func BadRequest(msg string, details ...server.Detail) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Msg: msg, Details: details}
}

// Invalid turns field errors into a 400; prefix names the event within the
// request ("[3]." for the fourth of an array), "" for a lone event.
func Invalid(msg, prefix string, errs []delivery.FieldError) *RequestError {
	e := BadRequest(msg)
	for _, fe := range errs {
		e.Details = append(e.Details, server.Detail{Field: prefix + fe.Field, Message: fe.Message})
	}
	return e
}

// Unauthorized is a missing or wrong signature or token: 401.
func Unauthorized(msg string) *RequestError {
	return &RequestError{Status: http.StatusUnauthorized, Msg: msg}
}

// NotConfigured answers a webhook whose secret was not set: nothing is
// accepted unsigned, and the message says which setting to give.
func NotConfigured(source, flag string) *RequestError {
	env := "DEPLOYLENS_" + envSuffix(flag)
	return &RequestError{Status: http.StatusServiceUnavailable,
		Msg: fmt.Sprintf("the %s webhook is not configured: set %s (or --%s) on the deploylens server; unsigned webhooks are never accepted", source, env, flag)}
}

func envSuffix(flag string) string {
	b := []byte(flag)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Respond answers a failed request: the one place where ingest errors
// become HTTP status codes.
func Respond(c *gin.Context, err error) {
	var re *RequestError
	var ie *commit.InsertError
	switch {
	case errors.As(err, &re):
		server.Error(c, re.Status, re.Msg, re.Details...)
	case errors.Is(err, commit.ErrOverloaded), errors.As(err, &ie), errors.Is(err, commit.ErrClosed):
		retryAfter(c, commit.RetryAfter(err).Seconds())
		server.Error(c, http.StatusServiceUnavailable, "events not stored, retry later: "+err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		retryAfter(c, 1)
		server.Error(c, http.StatusServiceUnavailable, "events not stored: the request ended before they were committed; retry")
	default:
		var se *storeError
		if errors.As(err, &se) {
			retryAfter(c, 5)
			server.Error(c, http.StatusServiceUnavailable, "events not stored, the store is unavailable: "+se.Error())
			return
		}
		server.Error(c, http.StatusInternalServerError, "events not stored: "+err.Error())
	}
}

func retryAfter(c *gin.Context, seconds float64) {
	c.Header("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(seconds)))))
}

// storeError is a failed read of ClickHouse (duplicate lookup, catalog).
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// notStored is a commit that failed; it remembers how many deliveries the
// request carried for the rejected counter.
type notStored struct {
	err    error
	events int
}

func (e *notStored) Error() string { return e.err.Error() }
func (e *notStored) Unwrap() error { return e.err }

// events counts the events a failed request carried, for the rejected
// counter: those of a RequestError that knows, else one.
func eventsOf(err error) int {
	var re *RequestError
	if errors.As(err, &re) && re.Events > 0 {
		return re.Events
	}
	var ns *notStored
	if errors.As(err, &ns) && ns.events > 0 {
		return ns.events
	}
	return 1
}

// SharedToken describes a webhook that authenticates with a secret token the
// sender repeats in a header (GitLab, Opsgenie), rather than a signature.
type SharedToken struct {
	Source string // product name, for messages
	Flag   string // the setting that holds the token
	Header string // the header that carries it
	// HowToSend completes "missing <Header>: …", telling the sender how to
	// set the header to the value of the setting's environment variable.
	HowToSend string
}

// Verify checks the token a delivery presented, in constant time.
func (s SharedToken) Verify(token []byte, got string) error {
	if len(token) == 0 {
		return NotConfigured(s.Source, s.Flag)
	}
	env := "DEPLOYLENS_" + envSuffix(s.Flag)
	if got == "" {
		return Unauthorized("missing " + s.Header + ": " + s.HowToSend + " " + env)
	}
	if subtle.ConstantTimeCompare([]byte(got), token) != 1 {
		return Unauthorized(s.Header + " does not match " + env)
	}
	return nil
}
