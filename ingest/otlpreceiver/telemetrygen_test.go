package otlpreceiver_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

// telemetrygen is the Collector contrib load generator. It is not a module
// dependency (it pulls in much of the Collector); install it with
//
//	GOBIN=/some/dir go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0
//
// and put it on PATH or in DEPLOYLENS_TELEMETRYGEN.
func telemetrygen(t *testing.T) string {
	if p := os.Getenv("DEPLOYLENS_TELEMETRYGEN"); p != "" {
		return p
	}
	p, err := exec.LookPath("telemetrygen")
	if err != nil {
		t.Skip("telemetrygen is not installed (see telemetrygen_test.go): the load-generator round trip needs it")
	}
	return p
}

// Traces, logs and every metric type telemetrygen generates, over gRPC and
// HTTP, arrive whole.
func TestTelemetrygenRoundTrip(t *testing.T) {
	bin := telemetrygen(t)
	env := receivertest.Start(t, receivertest.Options{})
	header := fmt.Sprintf(`authorization="Bearer %s"`, env.Token)
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args = append(args, "--otlp-insecure", "--otlp-header", header, "--rate", "0")
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("telemetrygen %v: %v\n%s", args, err, out)
		}
	}
	u := env.URL[len("http://"):]
	run("traces", "--otlp-endpoint", env.GRPCAddr, "--traces", "50", "--service", "tg-grpc")
	run("traces", "--otlp-endpoint", u, "--otlp-http", "--traces", "40", "--service", "tg-http")
	run("logs", "--otlp-endpoint", env.GRPCAddr, "--logs", "30", "--service", "tg-logs")
	for _, mt := range []string{"Gauge", "Sum", "Histogram", "ExponentialHistogram"} {
		run("metrics", "--otlp-endpoint", env.GRPCAddr, "--metrics", "5", "--metric-type", mt, "--service", "tg-metrics")
	}
	for _, c := range []struct {
		query string
		want  uint64
	}{
		// Each trace is a parent and one child span.
		{"SELECT count() FROM otel_traces WHERE ServiceName = 'tg-grpc'", 100},
		{"SELECT count() FROM otel_traces WHERE ServiceName = 'tg-http'", 80},
		{"SELECT count() FROM otel_logs WHERE ServiceName = 'tg-logs'", 30},
		{"SELECT count() FROM otel_metrics_gauge WHERE ServiceName = 'tg-metrics'", 5},
		{"SELECT count() FROM otel_metrics_sum WHERE ServiceName = 'tg-metrics'", 5},
		{"SELECT count() FROM otel_metrics_histogram WHERE ServiceName = 'tg-metrics'", 5},
		{"SELECT count() FROM otel_metrics_exponential_histogram WHERE ServiceName = 'tg-metrics'", 5},
		{"SELECT count() FROM otel_traces WHERE ServiceName = 'tg-grpc' AND ParentSpanId = ''", 50},
	} {
		var n uint64
		if err := env.Conn.QueryRow(context.Background(), c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if n != c.want {
			t.Errorf("%s = %d, want %d", c.query, n, c.want)
		}
	}
}

// BenchmarkTelemetrygenEndToEnd is spans per second from telemetrygen over
// OTLP/gRPC into the embedded engine, acknowledged only once committed.
// Each iteration sends 2 workers × 5000 traces of 2 spans.
func BenchmarkTelemetrygenEndToEnd(b *testing.B) {
	bin := os.Getenv("DEPLOYLENS_TELEMETRYGEN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("telemetrygen"); err != nil {
			b.Skip("telemetrygen is not installed (see telemetrygen_test.go)")
		}
	}
	env := receivertest.Start(b, receivertest.Options{})
	header := fmt.Sprintf(`authorization="Bearer %s"`, env.Token)
	spans := 0
	for b.Loop() {
		out, err := exec.Command(bin, "traces", "--otlp-endpoint", env.GRPCAddr, "--otlp-insecure", "--otlp-header", header,
			"--rate", benchRate(), "--workers", "2", "--traces", "5000", "--batch-size", "2048", "--service", "bench").CombinedOutput()
		if err != nil {
			b.Fatalf("telemetrygen: %v\n%s", err, out)
		}
		spans += 2 * 2 * 5000
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	var stored, bytes uint64
	if err := env.Conn.QueryRow(context.Background(), "SELECT count() FROM otel_traces").Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != uint64(spans) {
		b.Errorf("stored %d spans, sent %d", stored, spans)
	}
	if err := env.Conn.QueryRow(context.Background(), "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase() AND table = 'otel_traces'").Scan(&bytes); err == nil && stored > 0 {
		b.ReportMetric(float64(bytes)/float64(stored), "bytes/span")
	}
}

// benchRate is traces per second per telemetrygen worker: unthrottled, its
// SDK's batch processor drops spans client-side once its queue (2048)
// fills, so the rate is set just under what the receiver takes.
func benchRate() string {
	if r := os.Getenv("DEPLOYLENS_TELEMETRYGEN_RATE"); r != "" {
		return r
	}
	return "4000"
}
