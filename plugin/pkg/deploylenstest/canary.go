package deploylenstest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// SeedCanary writes half an hour of checkout's server spans for a baseline
// (service.version 1.6.0) and a canary (1.7.0) the way the OpenTelemetry
// Collector's ClickHouse exporter does, then asks deploylens to judge the
// canary of demo.CanaryDeployment through POST /api/v1/canary/analyses.
// It returns the analysis.
func SeedCanary(tb testing.TB, s *Server, demo Demo) map[string]any {
	tb.Helper()
	start := demo.Now.Add(-3 * time.Hour)
	ctx := context.Background()
	b, err := s.Store.Conn.PrepareBatch(ctx, "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, Duration, StatusCode)")
	if err != nil {
		tb.Fatalf("prepare spans: %v", err)
	}
	n := 0
	for _, v := range []string{"1.6.0", "1.7.0"} {
		attrs := map[string]string{"service.name": "checkout", "service.version": v}
		for i := range 30 * 30 {
			n++
			// Latency varies deterministically around 80 ms, alike for both.
			ms := 80 * math.Exp(0.3*math.Sin(float64(n)*1.7))
			if err := b.Append(start.Add(time.Duration(i)*2*time.Second), fmt.Sprintf("%032x", 1<<40+n), fmt.Sprintf("%016x", 1<<40+n),
				"POST /checkout", "Server", "checkout", attrs, uint64(ms*1e6), "Ok"); err != nil {
				tb.Fatalf("append span: %v", err)
			}
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatalf("insert spans: %v", err)
	}
	req, _ := json.Marshal(map[string]any{
		"team": "payments", "service": "checkout", "environment": "production", "deployment_id": demo.CanaryDeployment,
		"baseline": map[string]any{"resource_attributes": map[string]string{"service.version": "1.6.0"}},
		"canary":   map[string]any{"resource_attributes": map[string]string{"service.version": "1.7.0"}},
		"start":    start.Format(time.RFC3339), "lifetime_seconds": 1800, "interval_seconds": 600,
		"config": map[string]any{
			"step_seconds": 60,
			"metrics": []any{
				map[string]any{"name": "latency_p50", "source": "span_latency", "statistic": "p50", "direction": "increase", "critical": true},
				map[string]any{"name": "error_ratio", "source": "span_error_ratio", "direction": "increase", "tolerance": 1, "min_power": 0},
			},
		},
	})
	code, body := s.Do(tb, http.MethodPost, "/api/v1/canary/analyses", req)
	if code != http.StatusCreated && code != http.StatusOK {
		tb.Fatalf("POST /api/v1/canary/analyses: %d %s", code, body)
	}
	var an map[string]any
	if err := json.Unmarshal(body, &an); err != nil {
		tb.Fatal(err)
	}
	return an
}
