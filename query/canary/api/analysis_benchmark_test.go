package api

import (
	"net/http"
	"testing"
)

// BenchmarkAnalysisEndToEnd measures one analysis over stored telemetry
// through the HTTP endpoint: 2 versions × 30 minutes × 100 spans a minute
// (6000 spans) in otel_traces plus 60 error logs, 3 metrics (p99 latency,
// span error ratio, error-log rate), 3 looks of 10 one-minute steps, each
// look querying from the start — 9 queries and 3 judgments per analysis,
// and 4 rows written to canary_analyses.
//
//	go test ./query/canary/api -run '^$' -bench AnalysisEndToEnd -benchtime 20x
func BenchmarkAnalysisEndToEnd(b *testing.B) {
	f := newFixture(b)
	storeTelemetry(b, f.conn, "checkout", t0, 30, version{name: "1.4.0", perMinute: 100, medianMS: 80, sigma: 0.3, errorRate: 0.01, errorLogs: 30}, 1)
	storeTelemetry(b, f.conn, "checkout", t0, 30, version{name: "1.5.0", perMinute: 100, medianMS: 80, sigma: 0.3, errorRate: 0.01, errorLogs: 30}, 2)
	req := analysisRequest("payments", map[string]any{"metrics": []any{
		map[string]any{"name": "latency_p99", "source": "span_latency", "statistic": "p99", "direction": "increase"},
		map[string]any{"name": "error_ratio", "source": "span_error_ratio", "direction": "increase", "min_power": 0},
		map[string]any{"name": "error_logs", "source": "error_log_rate", "direction": "increase", "min_power": 0},
	}})
	b.ResetTimer()
	for b.Loop() {
		an := f.do(b, "read-pay", http.MethodPost, "/api/v1/canary/analyses", req, http.StatusCreated)
		if an["status"] != "completed" {
			b.Fatalf("status %v", an["status"])
		}
	}
}
