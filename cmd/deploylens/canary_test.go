package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	canaryapi "github.com/deploylens/deploylens/query/canary/api"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

// `deploylens canary run` against a real in-process server exits with the
// code a pipeline gates on: 0 pass, 1 fail, 2 inconclusive, 3 error.
func TestCanaryRunExitCodes(t *testing.T) {
	st := storetest.Store(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: st.Conn, Log: quiet}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(st.Conn, time.Minute)
	srv := server.New(server.Options{Authenticator: tokens, Logger: quiet})
	if err := canaryapi.Register(srv, st, quiet); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Engine)
	defer hs.Close()
	token, _, err := tokens.Create(ctx, "pipeline", auth.RoleRead, []string{"payments"})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	b, err := st.Conn.PrepareBatch(ctx, `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, ResourceAttributes, Duration, StatusCode)`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range []struct {
		version  string
		medianMS float64
	}{{"1.4.0", 80}, {"1.5.0", 80}, {"1.6.0", 160}} {
		for i := range 20 * 30 {
			n++
			ms := v.medianMS * math.Exp(0.3*rng.NormFloat64())
			if err := b.Append(start.Add(time.Duration(i)*3*time.Second), fmt.Sprint(n), fmt.Sprint(n), "GET /", "checkout",
				map[string]string{"service.version": v.version}, uint64(ms*1e6), "Ok"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "analysis.json")
	if err := os.WriteFile(file, []byte(`{
	  "team": "payments", "service": "checkout", "start": "2026-03-02T10:00:00Z",
	  "baseline": {"resource_attributes": {"service.version": "1.4.0"}},
	  "config": {"metrics": [{"name": "latency_p50", "source": "span_latency", "statistic": "p50", "direction": "increase"}]}
	}`), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"run", "--url", hs.URL, "--token", token, "--file", file, "--lifetime", "30m", "--interval", "10m", "--poll", "10ms"}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"equal versions pass", []string{"--canary", "service.version=1.5.0"}, canaryPass, "verdict: PASS"},
		{"a twice-as-slow canary fails", []string{"--canary", "service.version=1.6.0"}, canaryFail, "verdict: FAIL"},
		{"a canary without data is inconclusive", []string{"--canary", "service.version=9.9.9"}, canaryInconclusive, "verdict: INCONCLUSIVE"},
		{"another team's analysis is an error", []string{"--canary", "service.version=1.5.0", "--team", "search"}, canaryError, "403"},
		{"a bad token is an error", []string{"--canary", "service.version=1.5.0", "--token", "nope"}, canaryError, "401"},
		{"an invalid request is an error naming the field", []string{"--canary", "service.version=1.5.0", "--lifetime", "-1m"}, canaryError, "lifetime"},
		{"a server that does not answer is an error", []string{"--canary", "service.version=1.5.0", "--url", "http://127.0.0.1:1"}, canaryError, "start the analysis"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append(append([]string{}, common...), c.args...)
			code, msg := canaryRun(ctx, args, &out, &errOut)
			all := out.String() + errOut.String() + msg
			if code != c.code || !strings.Contains(all, c.output) {
				t.Errorf("exit %d, want %d; output lacks %q?\n%s", code, c.code, c.output, all)
			}
			err := runCanary(ctx, args, io.Discard, io.Discard)
			if got := exitCodeOf(err); got != c.code {
				t.Errorf("runCanary carries exit code %d, want %d", got, c.code)
			}
		})
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(interface{ ExitCode() int }); ok {
		return e.ExitCode()
	}
	return -1
}
