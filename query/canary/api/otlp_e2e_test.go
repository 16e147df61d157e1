package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/otlpreceiver"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/query/canary/analysis"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

// otlpEnv is one deploylens process serving both the OTLP receivers and the
// canary API over the same store, as receivertest wires the ingest role.
type otlpEnv struct {
	url, grpcAddr     string
	ingest, readToken string
}

// startOTLPEnv builds the server the way receivertest.Start does, and also
// mounts the canary API (receivertest cannot: its server is already serving
// and it does not expose the store).
func startOTLPEnv(t *testing.T) *otlpEnv {
	t.Helper()
	ctx := context.Background()
	st := storetest.Store(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: st.Conn, Log: quiet}).Up(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	tokens := auth.NewTokens(st.Conn, time.Minute)
	ingest, _, err := tokens.Create(ctx, "otel-sender", auth.RoleIngest, []string{auth.AllTeams})
	if err != nil {
		t.Fatalf("create ingest token: %v", err)
	}
	read, _, err := tokens.Create(ctx, "pipeline", auth.RoleRead, []string{"payments"})
	if err != nil {
		t.Fatalf("create read token: %v", err)
	}
	srv := server.New(server.Options{Addr: "127.0.0.1:0", Authenticator: tokens, Logger: quiet})
	c := commit.New(st.Conn, commit.Options{Log: quiet}, srv.Registry)
	rcv := otlpreceiver.New(otlpreceiver.Config{Committer: c, Authenticator: tokens, Registry: srv.Registry, Log: quiet})
	rcv.RegisterHTTP(srv.API("", auth.RoleIngest))
	if err := Register(srv, st, quiet); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	// As in receivertest: wait until Serve has set the server up before a
	// Shutdown may race it.
	resp, err := http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("server not serving: %v", err)
	}
	_ = resp.Body.Close()
	g, err := rcv.ListenGRPC("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		g.Stop(ctx)
		_ = c.Close()
	})
	return &otlpEnv{url: "http://" + srv.Addr(), grpcAddr: g.Addr(), ingest: ingest, readToken: read}
}

// otlpVersion is one version's traffic: latency ~ N(meanMS, sdMS), and
// every errorEvery-th span an error (none if 0).
type otlpVersion struct {
	name         string
	meanMS, sdMS float64
	errorEvery   int
}

// sendSpans exports n spans of service checkout at version v with the OTel
// Go SDK over OTLP/gRPC, their starts spread evenly over [from, to).
// Shutdown returns once the receiver acknowledged the export, which it does
// only after the committer stored the rows.
func (e *otlpEnv) sendSpans(t *testing.T, v otlpVersion, n int, from, to time.Time, seed uint64) {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(e.grpcAddr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithHeaders(map[string]string{"authorization": "Bearer " + e.ingest}))
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", "checkout"),
		attribute.String("service.version", v.name),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	tr := tp.Tracer("deploylens.e2e")
	rng := rand.New(rand.NewPCG(seed, 7))
	step := to.Sub(from) / time.Duration(n)
	for i := range n {
		start := from.Add(time.Duration(i) * step)
		ms := v.meanMS + v.sdMS*rng.NormFloat64()
		if ms < 1 {
			ms = 1
		}
		_, span := tr.Start(ctx, "GET /checkout", trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindServer))
		if v.errorEvery > 0 && i%v.errorEvery == 0 {
			span.SetStatus(codes.Error, "payment declined")
		}
		span.End(trace.WithTimestamp(start.Add(time.Duration(ms * float64(time.Millisecond)))))
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush %s: %v", v.name, err)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("export %s: %v", v.name, err)
	}
}

// analyse posts an analysis request with the read token and decodes the answer.
func (e *otlpEnv) analyse(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/canary/analyses", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+e.readToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST analyses: status %d, want %d; body %s", res.StatusCode, http.StatusCreated, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return got
}

// Two versions' spans sent through OTLP by the OTel Go SDK get the verdict
// a human would give: equal versions pass; a canary twice as slow fails on
// latency; a canary failing 5% of requests against none fails on errors.
func TestOTLPSpansOfTwoVersionsGetTheHumanVerdict(t *testing.T) {
	const (
		spans    = 300
		lifetime = 30 * time.Minute
	)
	baseline := otlpVersion{name: "v1", meanMS: 100, sdMS: 10}
	for _, c := range []struct {
		name    string
		canary  otlpVersion
		verdict string
		failing string // the metric classified high; "" for none
	}{
		{"equal versions pass", otlpVersion{name: "v2", meanMS: 100, sdMS: 10}, "pass", ""},
		{"a canary twice as slow fails on latency", otlpVersion{name: "v2", meanMS: 200, sdMS: 20}, "fail", "latency_p50"},
		{"a canary with 5% errors against none fails on errors", otlpVersion{name: "v2", meanMS: 100, sdMS: 10, errorEvery: 20}, "fail", "error_ratio"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := startOTLPEnv(t)
			// The analysis window is [request time - lookback, request time -
			// settle]; spans start two minutes into it and end a minute
			// before its end, so they stay inside however long sending takes
			// (under two minutes).
			lookback := lifetime + analysis.DefaultSettle
			now := time.Now().UTC()
			from := now.Add(-lookback).Add(2 * time.Minute)
			to := now.Add(-analysis.DefaultSettle).Add(-time.Minute)
			e.sendSpans(t, baseline, spans, from, to, 1)
			e.sendSpans(t, c.canary, spans, from, to, 2)

			got := e.analyse(t, map[string]any{
				"team": "payments", "service": "checkout", "environment": "production", "deployment_id": "dep-otlp",
				"config": map[string]any{
					"step_seconds": 60,
					"metrics": []any{
						map[string]any{"name": "latency_p50", "source": "span_latency", "statistic": "p50", "direction": "increase", "critical": true},
						map[string]any{"name": "error_ratio", "source": "span_error_ratio", "direction": "increase", "critical": true},
					},
				},
				"baseline":         map[string]any{"resource_attributes": map[string]string{"service.version": "v1"}},
				"canary":           map[string]any{"resource_attributes": map[string]string{"service.version": "v2"}},
				"lookback_seconds": lookback.Seconds(),
				"lifetime_seconds": lifetime.Seconds(),
			})
			if got["status"] != "completed" || got["verdict"] != c.verdict {
				t.Fatalf("status %v verdict %v (rule %v: %v), want completed %s; result %v",
					got["status"], got["verdict"], got["rule"], got["reason"], c.verdict, got["result"])
			}
			res, _ := got["result"].(map[string]any)
			metrics, _ := res["metrics"].([]any)
			if len(metrics) != 2 {
				t.Fatalf("%d metrics in result %v, want 2", len(metrics), res)
			}
			for _, m := range metrics {
				mm := m.(map[string]any)
				ex, _ := mm["explanation"].(map[string]any)
				high := mm["classification"] == "high"
				if want := mm["name"] == c.failing; high != want {
					t.Errorf("%s: classification %v (%v), want high %v", mm["name"], mm["classification"], mm["reason"], want)
				}
				// The spans cover 27 of the 30 one-minute steps: at least 20
				// steps have data on each side.
				if n, _ := ex["n_canary"].(float64); n < 20 {
					t.Errorf("%s: %v canary points, want one per minute with spans", mm["name"], n)
				}
				if n, _ := ex["n_baseline"].(float64); n < 20 {
					t.Errorf("%s: %v baseline points, want one per minute with spans", mm["name"], n)
				}
				// The ratio metric counts spans: all of each side's arrived.
				if mm["name"] == "error_ratio" && (ex["baseline_exposure"] != float64(spans) || ex["canary_exposure"] != float64(spans)) {
					t.Errorf("error_ratio exposure: baseline %v canary %v spans, want %d each", ex["baseline_exposure"], ex["canary_exposure"], spans)
				}
			}
		})
	}
}
