package otlpreceiver_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

func testResource(service string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.version", "1.4.2"),
		attribute.String("deployment.environment.name", "canary"),
		attribute.String("k8s.pod.name", service+"-7d9f"),
	)
}

// Spans sent by the OTel Go SDK's gRPC and HTTP exporters arrive in
// otel_traces with their ids, names, attributes and durations to the nanosecond.
func TestTracesRoundTripThroughSDKExporters(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	ctx := context.Background()
	exporters := map[string]func() (sdktrace.SpanExporter, error){
		"grpc": func() (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(env.GRPCAddr), otlptracegrpc.WithInsecure(),
				otlptracegrpc.WithHeaders(map[string]string{"authorization": "Bearer " + env.Token}),
				otlptracegrpc.WithCompressor("gzip"))
		},
		"http": func() (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(env.URL+"/v1/traces"),
				otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + env.Token}),
				otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		},
	}
	start := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	for transport, newExporter := range exporters {
		t.Run(transport, func(t *testing.T) {
			exp, err := newExporter()
			if err != nil {
				t.Fatal(err)
			}
			service := "checkout-" + transport
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(testResource(service)))
			tr := tp.Tracer("deploylens.test", trace.WithInstrumentationVersion("0.1"))
			_, parent := tr.Start(ctx, "GET /cart", trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.route", "/cart"), attribute.Int("http.status_code", 200)))
			parent.AddEvent("cache miss", trace.WithTimestamp(start.Add(time.Millisecond)), trace.WithAttributes(attribute.String("key", "cart:42")))
			parent.End(trace.WithTimestamp(start.Add(1500*time.Millisecond + 7)))
			if err := tp.Shutdown(ctx); err != nil {
				t.Fatalf("export: %v", err)
			}
			sc := parent.SpanContext()
			var (
				traceID, spanID, name, kind, svc, route, status, scope, env_ string
				dur                                                          uint64
				ts                                                           time.Time
				events                                                       []string
			)
			row := env.Conn.QueryRow(ctx, `SELECT TraceId, SpanId, SpanName, SpanKind, ServiceName, SpanAttributes['http.route'],
				SpanAttributes['http.status_code'], ScopeName, ResourceAttributes['deployment.environment.name'], Duration, Timestamp, Events.Name
				FROM otel_traces WHERE ServiceName = ?`, service)
			if err := row.Scan(&traceID, &spanID, &name, &kind, &svc, &route, &status, &scope, &env_, &dur, &ts, &events); err != nil {
				t.Fatalf("read back: %v", err)
			}
			want := []struct{ field, got, want string }{
				{"TraceId", traceID, sc.TraceID().String()},
				{"SpanId", spanID, sc.SpanID().String()},
				{"SpanName", name, "GET /cart"},
				{"SpanKind", kind, "Server"},
				{"ServiceName", svc, service},
				{"http.route", route, "/cart"},
				{"http.status_code", status, "200"},
				{"ScopeName", scope, "deploylens.test"},
				{"deployment.environment.name", env_, "canary"},
			}
			for _, w := range want {
				if w.got != w.want {
					t.Errorf("%s = %q, want %q", w.field, w.got, w.want)
				}
			}
			if dur != uint64(1500*time.Millisecond+7) {
				t.Errorf("Duration = %d ns, want %d", dur, 1500*time.Millisecond+7)
			}
			if !ts.Equal(start) {
				t.Errorf("Timestamp = %s, want %s", ts.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
			}
			if len(events) != 1 || events[0] != "cache miss" {
				t.Errorf("Events.Name = %q", events)
			}
		})
	}
}

// Counters, gauges and histograms exported by the SDK's gRPC metric
// exporter land in the sum, gauge and histogram tables with their values.
func TestMetricsRoundTripThroughSDKExporter(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	ctx := context.Background()
	exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(env.GRPCAddr), otlpmetricgrpc.WithInsecure(),
		otlpmetricgrpc.WithHeaders(map[string]string{"authorization": "Bearer " + env.Token}))
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))
	expView := sdkmetric.NewView(sdkmetric.Instrument{Name: "payment.amount"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(testResource("payments")), sdkmetric.WithView(expView))
	m := mp.Meter("deploylens.test")
	requests, _ := m.Int64Counter("http.server.requests", metric.WithUnit("{request}"))
	inflight, _ := m.Float64Gauge("queue.depth")
	latency, _ := m.Float64Histogram("http.server.duration", metric.WithUnit("ms"), metric.WithExplicitBucketBoundaries(10, 100, 1000))
	attrs := metric.WithAttributes(attribute.String("http.route", "/pay"))
	requests.Add(ctx, 3, attrs)
	requests.Add(ctx, 4, attrs)
	inflight.Record(ctx, 17.5, attrs)
	for _, v := range []float64{5, 50, 50, 500, 5000} {
		latency.Record(ctx, v, attrs)
	}
	amount, _ := m.Float64Histogram("payment.amount")
	for _, v := range []float64{1, 2, 4, 4} {
		amount.Record(ctx, v, attrs)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatalf("export: %v", err)
	}
	var sum, gauge float64
	var mono bool
	if err := env.Conn.QueryRow(ctx, `SELECT Value, IsMonotonic FROM otel_metrics_sum WHERE ServiceName = 'payments' AND MetricName = 'http.server.requests' AND Attributes['http.route'] = '/pay'`).Scan(&sum, &mono); err != nil {
		t.Fatalf("sum: %v", err)
	}
	if sum != 7 || !mono {
		t.Errorf("sum = %v monotonic %v, want 7 true", sum, mono)
	}
	if err := env.Conn.QueryRow(ctx, `SELECT Value FROM otel_metrics_gauge WHERE ServiceName = 'payments' AND MetricName = 'queue.depth'`).Scan(&gauge); err != nil {
		t.Fatalf("gauge: %v", err)
	}
	if gauge != 17.5 {
		t.Errorf("gauge = %v, want 17.5", gauge)
	}
	var count uint64
	var total float64
	var buckets []uint64
	var bounds []float64
	var unit string
	if err := env.Conn.QueryRow(ctx, `SELECT Count, Sum, BucketCounts, ExplicitBounds, MetricUnit FROM otel_metrics_histogram WHERE ServiceName = 'payments' AND MetricName = 'http.server.duration'`).Scan(&count, &total, &buckets, &bounds, &unit); err != nil {
		t.Fatalf("histogram: %v", err)
	}
	if count != 5 || total != 5605 || unit != "ms" || !equal(buckets, []uint64{1, 2, 1, 1}) || !equal(bounds, []float64{10, 100, 1000}) {
		t.Errorf("histogram count %d sum %v buckets %v bounds %v unit %q", count, total, buckets, bounds, unit)
	}
	var scale int32
	var positive []uint64
	if err := env.Conn.QueryRow(ctx, `SELECT Count, Sum, Scale, PositiveBucketCounts FROM otel_metrics_exponential_histogram WHERE ServiceName = 'payments' AND MetricName = 'payment.amount'`).Scan(&count, &total, &scale, &positive); err != nil {
		t.Fatalf("exponential histogram: %v", err)
	}
	var inBuckets uint64
	for _, c := range positive {
		inBuckets += c
	}
	if count != 4 || total != 11 || inBuckets != 4 {
		t.Errorf("exponential histogram count %d sum %v scale %d positive %v", count, total, scale, positive)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Log records exported by the SDK's gRPC log exporter land in otel_logs.
func TestLogsRoundTripThroughSDKExporter(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	ctx := context.Background()
	exp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(env.GRPCAddr), otlploggrpc.WithInsecure(),
		otlploggrpc.WithHeaders(map[string]string{"authorization": "Bearer " + env.Token}))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)), sdklog.WithResource(testResource("cart")))
	at := time.Date(2026, 11, 25, 11, 0, 0, 987654321, time.UTC)
	var rec otellog.Record
	rec.SetTimestamp(at)
	rec.SetSeverity(otellog.SeverityError)
	rec.SetSeverityText("ERROR")
	rec.SetBody(attribute.StringValue("payment declined"))
	rec.AddAttributes(attribute.String("order.id", "o-17"))
	lp.Logger("deploylens.test").Emit(ctx, rec)
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("export: %v", err)
	}
	var body, sev, order, svc string
	var num uint8
	var ts time.Time
	if err := env.Conn.QueryRow(ctx, `SELECT Body, SeverityText, SeverityNumber, LogAttributes['order.id'], ServiceName, Timestamp FROM otel_logs`).Scan(&body, &sev, &num, &order, &svc, &ts); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if body != "payment declined" || sev != "ERROR" || num != uint8(otellog.SeverityError) || order != "o-17" || svc != "cart" || !ts.Equal(at) {
		t.Errorf("row = %q %q %d %q %q %s", body, sev, num, order, svc, ts.Format(time.RFC3339Nano))
	}
}

func post(t *testing.T, env *receivertest.Env, path, contentType, encoding string, body []byte, auth bool) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+env.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func countRows(t *testing.T, env *receivertest.Env, table string) uint64 {
	t.Helper()
	var n uint64
	if err := env.Conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var _ = strings.Contains
