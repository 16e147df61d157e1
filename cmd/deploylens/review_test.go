package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/query/review"
	"github.com/deploylens/deploylens/query/review/reviewtest"
	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// reviewStore returns the URL of a fresh database holding the history the
// review's golden files were made from.
func reviewStore(t *testing.T) string {
	t.Helper()
	u := storetest.Database(t)
	st, err := store.Open(context.Background(), store.Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: st.Conn, Log: quiet}).Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	reviewtest.Write(t, st.Conn, reviewtest.Generate(reviewtest.Seed))
	return u
}

// goldenReview reads a review the query/review tests keep.
func goldenReview(t *testing.T, team, week, suffix string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "query", "review", "testdata", team+"-"+week+suffix))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webhook is a local incoming-webhook receiver that records what it gets.
type webhook struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
}

type hookRequest struct {
	method, path, contentType string
	body                      []byte
}

func newWebhook(t *testing.T, status int, answer string) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.requests = append(w.requests, hookRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), b})
		w.mu.Unlock()
		rw.WriteHeader(status)
		io.WriteString(rw, answer)
	}))
	t.Cleanup(w.Close)
	return w
}

func runDeploylens(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := deploylensCmd(t, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestReviewCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no team", []string{"review"}, "--team is required"},
		{"unknown format", []string{"review", "--team", "payments", "--format", "pdf"}, `--format "pdf" is not one of html, md, json`},
		{"not a week", []string{"review", "--team", "payments", "--week", "2026-10"}, `--week "2026-10" is not an ISO week`},
		{"a week to come", []string{"review", "--team", "payments", "--week", "2999-W01"}, "--week 2999-W01 has not started yet"},
		{"not a webhook", []string{"review", "--team", "payments", "--post", "ftp://hooks.example/x"}, "--post must be an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runDeploylens(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q", code, stderr, tc.says)
			}
		})
	}
}

// `deploylens review` writes the same review the query/review golden files
// hold, and posts its Markdown summary to an incoming webhook.
func TestReviewCommand(t *testing.T) {
	u := reviewStore(t)
	dir := t.TempDir()
	store := []string{"--clickhouse-url", u, "--team", "payments", "--week", reviewtest.Reviewed}

	var golden review.Review
	if err := json.Unmarshal(goldenReview(t, "payments", reviewtest.Reviewed, ".golden.json"), &golden); err != nil {
		t.Fatal(err)
	}

	t.Run("Markdown to a file, the summary to a webhook", func(t *testing.T) {
		hook := newWebhook(t, http.StatusOK, "ok")
		out := filepath.Join(dir, "review.md")
		code, stdout, stderr := runDeploylens(t, append([]string{"review"}, append(store, "--format", "md", "--out", out, "--post", hook.URL+"/services/T000/B000/XXXX")...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stdout != "" {
			t.Errorf("wrote to stdout with --out: %q", stdout)
		}
		got, _ := os.ReadFile(out)
		if want := goldenReview(t, "payments", reviewtest.Reviewed, ".golden.md"); string(got) != string(want) {
			t.Errorf("%s is not the golden Markdown:\n%s", out, got)
		}
		if len(hook.requests) != 1 {
			t.Fatalf("the webhook got %d requests", len(hook.requests))
		}
		req := hook.requests[0]
		var msg map[string]string
		if err := json.Unmarshal(req.body, &msg); err != nil || req.method != http.MethodPost || req.contentType != "application/json" || req.path != "/services/T000/B000/XXXX" {
			t.Fatalf("webhook got %s %s %s %s (%v)", req.method, req.path, req.contentType, req.body, err)
		}
		if len(msg) != 1 || msg["text"] != review.Summary(&golden) {
			t.Errorf("posted %q, want the summary:\n%s", msg, review.Summary(&golden))
		}
		if strings.Contains(stderr, "XXXX") {
			t.Errorf("stderr shows the webhook's secret path: %s", stderr)
		}
	})

	t.Run("a webhook that refuses is an error naming its status", func(t *testing.T) {
		hook := newWebhook(t, http.StatusNotFound, "no_service")
		out := filepath.Join(dir, "review.json")
		code, _, stderr := runDeploylens(t, append([]string{"review"}, append(store, "--format", "json", "--out", out, "--post", hook.URL+"/services/SECRET")...)...)
		if code != 1 || !strings.Contains(stderr, "404 Not Found: no_service") || strings.Contains(stderr, "SECRET") {
			t.Errorf("exit %d, stderr %q; want 1 naming 404 and the answer, not the secret path", code, stderr)
		}
		var r review.Review
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &r); err != nil || r.Week.String() != reviewtest.Reviewed || len(r.Observations) != len(golden.Observations) {
			t.Errorf("--out holds %.200s (%v)", b, err)
		}
	})

	t.Run("a self-contained page on stdout", func(t *testing.T) {
		code, stdout, stderr := runDeploylens(t, append([]string{"review", "--week", reviewtest.Frozen}, store[:4]...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"<!doctype html>", "Weekly review: payments", reviewtest.Frozen, "No deployments this week", "<svg"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, fetch := range []string{"<script", "<link", " src=", `href="http`, `href="//`, "url("} {
			if strings.Contains(stdout, fetch) {
				t.Errorf("the page is not self-contained: it holds %s", fetch)
			}
		}
	})
}
