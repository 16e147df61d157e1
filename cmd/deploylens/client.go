package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiClient calls a deploylens server's API with a token, for the
// commands that talk to a running server (canary, demo).
type apiClient struct {
	url, token string
	http       *http.Client
	// retries of a request the server refused for now (503 or 429, after
	// its Retry-After) or could not be reached for; 0: none.
	retries int
	// log, if set, hears about retries.
	log io.Writer
}

// do sends body as JSON and decodes a 2xx answer into out (if not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return c.send(ctx, method, path, "application/json", raw, out)
}

// send sends raw as contentType and decodes a 2xx JSON answer into out (if
// not nil); any other answer becomes an error quoting the server's message
// and named fields.
func (c *apiClient) send(ctx context.Context, method, path, contentType string, raw []byte, out any) error {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", contentType)
		wait := time.Duration(1<<min(attempt, 4)) * time.Second
		res, err := c.http.Do(req)
		if err == nil {
			answer, rerr := io.ReadAll(io.LimitReader(res.Body, 64<<20))
			res.Body.Close()
			switch {
			case rerr != nil:
				err = rerr
			case res.StatusCode/100 == 2:
				if out == nil || len(bytes.TrimSpace(answer)) == 0 {
					return nil
				}
				return json.Unmarshal(answer, out)
			case res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusTooManyRequests:
				return apiError(res.Status, answer)
			default:
				if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && s > 0 {
					wait = time.Duration(min(s, 60)) * time.Second
				}
				err = apiError(res.Status, answer)
			}
		}
		if attempt >= c.retries {
			return err
		}
		if c.log != nil {
			fmt.Fprintf(c.log, "deploylens: %s %s: %v; retrying in %s\n", method, path, err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// apiError is the one sentence of an error answer: its status, message and
// the fields it names.
func apiError(status string, raw []byte) error {
	var e struct {
		Error   string `json:"error"`
		Details []struct {
			Field, Message string
		} `json:"details"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		return fmt.Errorf("%s: %s", status, bytes.TrimSpace(raw))
	}
	msg := fmt.Sprintf("%s: %s", status, e.Error)
	var fields []string
	for _, d := range e.Details {
		fields = append(fields, d.Field+": "+d.Message)
	}
	sort.Strings(fields)
	if len(fields) > 0 {
		msg += " (" + strings.Join(fields, "; ") + ")"
	}
	return errors.New(msg)
}
