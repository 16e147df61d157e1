package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

type fixture struct {
	srv    *httptest.Server
	conn   driver.Conn
	tokens map[string]string
}

// newFixture serves the canary API, through Register, on a fresh database
// with the schema applied, with tokens of several roles and scopes.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	st := storetest.Store(tb)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: st.Conn, Log: quiet}).Up(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	tokens := auth.NewTokens(st.Conn, time.Minute)
	s := server.New(server.Options{Authenticator: tokens, Logger: quiet})
	if err := Register(s, st, quiet); err != nil {
		tb.Fatal(err)
	}
	f := &fixture{srv: httptest.NewServer(s.Engine), conn: st.Conn, tokens: map[string]string{}}
	tb.Cleanup(f.srv.Close)
	for name, spec := range map[string]struct {
		role  auth.Role
		teams []string
	}{
		"admin":       {auth.RoleAdmin, nil},
		"ingest":      {auth.RoleIngest, nil},
		"read-all":    {auth.RoleRead, []string{"*"}},
		"read-pay":    {auth.RoleRead, []string{"payments"}},
		"read-search": {auth.RoleRead, []string{"search"}},
	} {
		plain, _, err := tokens.Create(context.Background(), name, spec.role, spec.teams)
		if err != nil {
			tb.Fatal(err)
		}
		f.tokens[name] = plain
	}
	return f
}

// do sends a request and decodes the answer, failing unless the status is want.
func (f *fixture) do(tb testing.TB, who, method, path string, body any, want int) map[string]any {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if res.StatusCode != want {
		tb.Fatalf("%s %s as %s: status %d, want %d; body %s", method, path, who, res.StatusCode, want, raw)
	}
	return out
}

// fields returns the fields an error body's details name.
func fields(body map[string]any) []string {
	var out []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok {
			out = append(out, m["field"].(string))
		}
	}
	return out
}

// version describes one version's spans: per minute, how many spans, their
// median latency and spread (lognormal), and the share that are errors.
type version struct {
	name          string
	perMinute     int
	medianMS      float64
	sigma         float64
	errorRate     float64
	errorLogs     int // error log records over the whole window, spread evenly
	resourceExtra map[string]string
}

const insertSpan = `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, Duration, StatusCode)`

const insertLog = `INSERT INTO otel_logs (Timestamp, SeverityText, SeverityNumber, ServiceName, Body, ResourceAttributes)`

// storeTelemetry writes minutes of a version's spans (and error logs) of
// service into otel_traces and otel_logs, as the OTLP receivers store them.
func storeTelemetry(tb testing.TB, conn driver.Conn, service string, start time.Time, minutes int, v version, seed uint64) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	attrs := map[string]string{"service.name": service, "service.version": v.name}
	for k, val := range v.resourceExtra {
		attrs[k] = val
	}
	b, err := conn.PrepareBatch(ctx, insertSpan)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for m := range minutes {
		for i := range v.perMinute {
			ts := start.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(v.perMinute))
			ms := v.medianMS * math.Exp(v.sigma*rng.NormFloat64())
			status := "Ok"
			if rng.Float64() < v.errorRate {
				status = "Error"
			}
			n++
			if err := b.Append(ts, fmt.Sprintf("%032x", n), fmt.Sprintf("%016x", n), "GET /checkout", "Server", service,
				attrs, uint64(ms*1e6), status); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatal(err)
	}
	if v.errorLogs == 0 {
		return
	}
	lb, err := conn.PrepareBatch(ctx, insertLog)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range v.errorLogs {
		ts := start.Add(time.Duration(i) * time.Duration(minutes) * time.Minute / time.Duration(v.errorLogs))
		if err := lb.Append(ts, "ERROR", uint8(17), service, "payment declined: upstream timeout", attrs); err != nil {
			tb.Fatal(err)
		}
	}
	if err := lb.Send(); err != nil {
		tb.Fatal(err)
	}
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// analysisRequest asks for an analysis of checkout 1.4.0 against 1.5.0
// over 30 minutes from t0, judged every 10.
func analysisRequest(team string, cfg map[string]any) map[string]any {
	return map[string]any{
		"team": team, "service": "checkout", "environment": "production", "deployment_id": "dep-42",
		"config":           cfg,
		"baseline":         map[string]any{"resource_attributes": map[string]string{"service.version": "1.4.0"}},
		"canary":           map[string]any{"resource_attributes": map[string]string{"service.version": "1.5.0"}},
		"start":            t0.Format(time.RFC3339),
		"lifetime_seconds": 1800, "interval_seconds": 600,
	}
}

// checkoutConfig: latency (median per minute) and the span error ratio.
func checkoutConfig() map[string]any {
	return map[string]any{
		"step_seconds": 60,
		"metrics": []any{
			map[string]any{"name": "latency_p50", "source": "span_latency", "statistic": "p50", "direction": "increase", "critical": true},
			map[string]any{"name": "error_ratio", "source": "span_error_ratio", "direction": "increase", "tolerance": 1, "min_power": 0},
		},
	}
}
