package otlp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// benchResource fills res like an instrumented Go service on Kubernetes.
func benchResource(res pcommon.Map, service string) {
	res.PutStr("service.name", service)
	res.PutStr("service.version", "2.14.1")
	res.PutStr("deployment.environment.name", "production")
	res.PutStr("host.name", "ip-10-0-12-7.ec2.internal")
	res.PutStr("k8s.namespace.name", "shop")
	res.PutStr("k8s.pod.name", service+"-7d9f8b6c5-x2lkq")
	res.PutStr("telemetry.sdk.name", "opentelemetry")
	res.PutStr("telemetry.sdk.language", "go")
	res.PutStr("telemetry.sdk.version", "1.28.0")
}

// benchTraces builds spans HTTP server spans the way otelhttp reports them:
// attrs attributes each (up to 10), random ids, one event on every tenth.
func benchTraces(spans, attrs int) ptrace.Traces {
	rng := rand.New(rand.NewPCG(1, 2))
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	benchResource(rs.Resource().Attributes(), "checkout")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	ss.Scope().SetVersion("0.53.0")
	routes := []string{"/api/checkout", "/api/cart", "/api/cart/items", "/healthz", "/api/orders/{id}"}
	start := int64(1718000000000000000)
	for i := range spans {
		s := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		var sid, pid pcommon.SpanID
		for j := range tid {
			tid[j] = byte(rng.Uint32())
		}
		for j := range sid {
			sid[j], pid[j] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		s.SetTraceID(tid)
		s.SetSpanID(sid)
		s.SetParentSpanID(pid)
		route := routes[i%len(routes)]
		s.SetName("POST " + route)
		s.SetKind(ptrace.SpanKindServer)
		t0 := start + int64(i)*1_000_000
		s.SetStartTimestamp(pcommon.Timestamp(t0))
		s.SetEndTimestamp(pcommon.Timestamp(t0 + int64(rng.IntN(300_000_000))))
		a := s.Attributes()
		put := []func(){
			func() { a.PutStr("http.request.method", "POST") },
			func() { a.PutStr("url.path", route) },
			func() { a.PutStr("http.route", route) },
			func() { a.PutInt("http.response.status_code", int64(200+100*(i%4))) },
			func() { a.PutStr("server.address", "shop.example.com") },
			func() { a.PutInt("server.port", 8080) },
			func() { a.PutStr("client.address", fmt.Sprintf("10.0.%d.%d", i%256, (i/256)%256)) },
			func() {
				a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
			},
			func() { a.PutStr("network.protocol.version", "1.1") },
			func() { a.PutInt("http.request.body.size", int64(rng.IntN(4096))) },
		}
		for _, p := range put[:min(attrs, len(put))] {
			p()
		}
		if i%4 == 3 {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("upstream timeout")
		}
		if i%10 == 0 {
			e := s.Events().AppendEmpty()
			e.SetName("exception")
			e.SetTimestamp(pcommon.Timestamp(t0 + 1000))
			e.Attributes().PutStr("exception.type", "context.deadlineExceededError")
			e.Attributes().PutStr("exception.message", "context deadline exceeded")
		}
	}
	return td
}

func benchLogs(records int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	benchResource(rl.Resource().Attributes(), "checkout")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("checkout/payments")
	for i := range records {
		l := sl.LogRecords().AppendEmpty()
		l.SetTimestamp(pcommon.Timestamp(1718000000000000000 + int64(i)*1000))
		l.SetSeverityNumber(plog.SeverityNumberInfo)
		l.SetSeverityText("INFO")
		l.Body().SetStr(fmt.Sprintf("order %d placed for customer c-%d", 1000+i, i%97))
		a := l.Attributes()
		a.PutStr("code.function", "placeOrder")
		a.PutStr("code.filepath", "/src/checkout/orders.go")
		a.PutInt("code.lineno", 212)
		a.PutStr("order.id", fmt.Sprint(1000+i))
		a.PutStr("customer.tier", "gold")
		a.PutDouble("order.total", 42.5+float64(i%10))
		a.PutStr("payment.provider", "stripe")
		a.PutBool("order.gift", i%7 == 0)
		a.PutInt("order.items", int64(i%5+1))
		a.PutStr("region", "eu-west-1")
	}
	return ld
}

func benchMetrics(points int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	benchResource(rm.Resource().Attributes(), "checkout")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	m := sm.Metrics().AppendEmpty()
	m.SetName("http.server.request.duration")
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i := range points {
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(1718000000000000000)
		dp.SetTimestamp(pcommon.Timestamp(1718000010000000000 + int64(i)))
		dp.SetCount(uint64(100 + i))
		dp.SetSum(float64(i) * 0.25)
		dp.BucketCounts().FromRaw([]uint64{1, 4, 10, 30, 40, 10, 3, 1, 1, 0, 0, 0, 0, 0, 0})
		dp.ExplicitBounds().FromRaw([]float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10})
		a := dp.Attributes()
		a.PutStr("http.request.method", "GET")
		a.PutStr("http.route", fmt.Sprintf("/api/items/%d", i%50))
		a.PutInt("http.response.status_code", 200)
		a.PutStr("url.scheme", "https")
		a.PutStr("network.protocol.version", "2")
	}
	return md
}

// reportRate reports items per second of wall time and per second of the
// process's CPU time (user + system since cpu0). With -cpu=1 the process
// runs Go code on one core at a time, so the second is the per-core rate
// even when other work shares the machine.
func reportRate(b *testing.B, items int, unit string, cpu0 time.Duration) {
	n := float64(b.N) * float64(items)
	b.ReportMetric(n/b.Elapsed().Seconds(), unit)
	b.ReportMetric(n/(cpuTime()-cpu0).Seconds(), strings.Replace(unit, "/s", "/cpu-s", 1))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTraces measures the OTLP trace path up to the batch on an
// ExportTraceServiceRequest of 1000 spans with 10 attributes each:
//
//   - direct: AppendTracesProto, protobuf straight to rows (the hot path);
//   - pdata: ptraceotlp's decoder, then AppendTraces (the JSON path's shape);
//   - pdata-decode, pdata-append: the two halves of that;
//   - columns-to-driver: handing the rows to clickhouse-go's column
//     encoders with AppendTo, which happens once per batch.
func BenchmarkTraces(b *testing.B) {
	const spans = 1000
	td := benchTraces(spans, 10)
	payload, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	var rows TraceRows
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			rows.Reset()
			if err := rows.AppendTracesProto(payload); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, spans, "spans/s", cpu0)
	})
	b.Run("pdata", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			req := ptraceotlp.NewExportRequest()
			if err := req.UnmarshalProto(payload); err != nil {
				b.Fatal(err)
			}
			rows.Reset()
			rows.AppendTraces(req.Traces())
		}
		reportRate(b, spans, "spans/s", cpu0)
	})
	b.Run("pdata-decode", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			req := ptraceotlp.NewExportRequest()
			if err := req.UnmarshalProto(payload); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, spans, "spans/s", cpu0)
	})
	b.Run("pdata-append", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			rows.Reset()
			rows.AppendTraces(td)
		}
		reportRate(b, spans, "spans/s", cpu0)
	})
	b.Run("columns-to-driver", func(b *testing.B) {
		rows.Reset()
		rows.AppendTraces(td)
		types := tableTypes(b)["otel_traces"]
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			batch := newColumnBatch(b, types)
			if err := rows.AppendTo(batch); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, spans, "spans/s", cpu0)
	})
}

func BenchmarkLogs(b *testing.B) {
	const records = 1000
	payload, err := plogotlp.NewExportRequestFromLogs(benchLogs(records)).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	var rows LogRows
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(payload); err != nil {
			b.Fatal(err)
		}
		rows.Reset()
		rows.AppendLogs(req.Logs())
	}
	reportRate(b, records, "records/s", cpu0)
}

func BenchmarkMetrics(b *testing.B) {
	const points = 1000
	payload, err := pmetricotlp.NewExportRequestFromMetrics(benchMetrics(points)).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	var rows MetricRows
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(payload); err != nil {
			b.Fatal(err)
		}
		rows.Reset()
		rows.AppendMetrics(req.Metrics())
	}
	reportRate(b, points, "points/s", cpu0)
}
