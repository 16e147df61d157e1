package deploylenstest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// SeedTelemetry writes six hours of a service's server spans and logs into
// the OpenTelemetry tables the way the OpenTelemetry Collector's ClickHouse
// exporter does (a batch INSERT of the exporter's columns): one request a
// minute per operation, every twentieth one failing, and logs of every
// severity. The Service health dashboard reads them.
func SeedTelemetry(tb testing.TB, s *Server, service string, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	spans, err := s.Store.Conn.PrepareBatch(ctx, "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, Duration, StatusCode)")
	if err != nil {
		tb.Fatalf("prepare spans: %v", err)
	}
	logs, err := s.Store.Conn.PrepareBatch(ctx, "INSERT INTO otel_logs (Timestamp, TraceId, SpanId, SeverityText, SeverityNumber, ServiceName, Body, ResourceAttributes)")
	if err != nil {
		tb.Fatalf("prepare logs: %v", err)
	}
	resource := map[string]string{"service.name": service, "deployment.environment.name": "production"}
	severities := []struct {
		text string
		num  uint8
	}{{"DEBUG", 5}, {"INFO", 9}, {"WARN", 13}, {"ERROR", 17}}
	start := now.Add(-6 * time.Hour)
	n := 0
	for t := start; t.Before(now); t = t.Add(time.Minute) {
		for _, op := range []string{"GET /cart", "POST /checkout"} {
			n++
			trace, span := fmt.Sprintf("%032x", n), fmt.Sprintf("%016x", n)
			status, duration := "Ok", time.Duration(20+n%80)*time.Millisecond
			if n%20 == 0 {
				status, duration = "Error", 900*time.Millisecond
			}
			if err := spans.Append(t, trace, span, op, "Server", service, resource, uint64(duration.Nanoseconds()), status); err != nil {
				tb.Fatalf("append span: %v", err)
			}
			sev := severities[n%len(severities)]
			if err := logs.Append(t, trace, span, sev.text, sev.num, service, fmt.Sprintf("%s handled in %s", op, duration), resource); err != nil {
				tb.Fatalf("append log: %v", err)
			}
		}
	}
	if err := spans.Send(); err != nil {
		tb.Fatalf("insert spans: %v", err)
	}
	if err := logs.Send(); err != nil {
		tb.Fatalf("insert logs: %v", err)
	}
}
