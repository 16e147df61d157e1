package otlpreceiver_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// workload makes telemetry shaped like an instrumented Kubernetes shop's:
// 8 services × 3 pods with the resource attributes the OpenTelemetry SDKs
// and the k8s attributes processor set, HTTP, database, cache and
// service-to-service spans with semantic-convention attributes and random
// ids, log lines with varying numbers in them, and SDK metrics exported
// every 30 s. Unlike telemetrygen's identical items, its values compress
// as real ones do, which is what a bytes-per-item figure needs.
type workload struct {
	rnd       *rand.Rand
	now       time.Time
	resources []pcommon.Map
	services  []string
	// per resource and series, the cumulative state of counters and histograms
	counters map[string]float64
	buckets  map[string][]uint64
}

var (
	routes = []struct{ method, route, path string }{
		{"GET", "/api/v1/orders/{id}", "/api/v1/orders/%d"}, {"POST", "/api/v1/orders", "/api/v1/orders"},
		{"GET", "/api/v1/cart", "/api/v1/cart"}, {"PUT", "/api/v1/cart/items/{sku}", "/api/v1/cart/items/SKU-%d"},
		{"GET", "/api/v1/products/{id}", "/api/v1/products/%d"}, {"GET", "/api/v1/search", "/api/v1/search"},
		{"POST", "/api/v1/payments", "/api/v1/payments"}, {"GET", "/healthz", "/healthz"},
	}
	queries = []string{
		"SELECT id, status, total, currency FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20",
		"SELECT sku, name, price FROM products WHERE id = ANY($1)",
		"INSERT INTO orders (id, customer_id, total, currency, status) VALUES ($1, $2, $3, $4, $5)",
		"UPDATE carts SET items = $1, updated_at = now() WHERE id = $2",
		"SELECT count(*) FROM inventory WHERE sku = $1 AND warehouse = $2",
	}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
		"okhttp/4.12.0", "Go-http-client/1.1",
	}
	stacktrace = `java.net.SocketTimeoutException: Read timed out
	at java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)
	at java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)
	at okhttp3.internal.http1.Http1ExchangeCodec.readResponseHeaders(Http1ExchangeCodec.kt:180)
	at okhttp3.internal.connection.Exchange.readResponseHeaders(Exchange.kt:110)
	at com.acme.shop.pricing.PricingClient.quote(PricingClient.java:87)
	at com.acme.shop.checkout.CheckoutService.placeOrder(CheckoutService.java:142)
	at com.acme.shop.checkout.CheckoutController.post(CheckoutController.java:55)`
)

func newWorkload(seed uint64) *workload {
	w := &workload{rnd: rand.New(rand.NewPCG(seed, 9)), now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		counters: map[string]float64{}, buckets: map[string][]uint64{}}
	langs := []string{"go", "java", "python", "nodejs"}
	for i, svc := range []string{"checkout", "cart", "payments", "search", "catalog", "pricing", "shipping", "accounts"} {
		rs := fmt.Sprintf("%08x", w.rnd.Uint32())[:8]
		for pod := 0; pod < 3; pod++ {
			m := pcommon.NewMap()
			name := fmt.Sprintf("%s-%s-%s", svc, rs, fmt.Sprintf("%05x", w.rnd.Uint32())[:5])
			m.PutStr("service.name", svc)
			m.PutStr("service.namespace", "shop")
			m.PutStr("service.version", fmt.Sprintf("1.%d.%d", 10+i, w.rnd.IntN(30)))
			m.PutStr("service.instance.id", fmt.Sprintf("%016x%016x", w.rnd.Uint64(), w.rnd.Uint64()))
			m.PutStr("deployment.environment.name", "production")
			m.PutStr("telemetry.sdk.name", "opentelemetry")
			m.PutStr("telemetry.sdk.language", langs[i%len(langs)])
			m.PutStr("telemetry.sdk.version", "1.38.0")
			m.PutStr("k8s.namespace.name", "shop")
			m.PutStr("k8s.deployment.name", svc)
			m.PutStr("k8s.pod.name", name)
			m.PutStr("k8s.pod.uid", fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", w.rnd.Uint32(), w.rnd.IntN(1<<16), w.rnd.IntN(1<<16), w.rnd.IntN(1<<16), w.rnd.Uint64()>>16))
			m.PutStr("k8s.node.name", fmt.Sprintf("ip-10-0-%d-%d.eu-west-1.compute.internal", w.rnd.IntN(8), w.rnd.IntN(255)))
			m.PutStr("host.name", name)
			m.PutStr("container.id", fmt.Sprintf("%016x%016x%016x%016x", w.rnd.Uint64(), w.rnd.Uint64(), w.rnd.Uint64(), w.rnd.Uint64()))
			m.PutStr("cloud.provider", "aws")
			m.PutStr("cloud.region", "eu-west-1")
			w.resources = append(w.resources, m)
			w.services = append(w.services, svc)
		}
	}
	return w
}

func (w *workload) traceID() pcommon.TraceID {
	var id pcommon.TraceID
	for i := range id {
		id[i] = byte(w.rnd.UintN(256))
	}
	return id
}

func (w *workload) spanID() pcommon.SpanID {
	var id pcommon.SpanID
	for i := range id {
		id[i] = byte(w.rnd.UintN(256))
	}
	return id
}

// duration is log-normal around median.
func (w *workload) duration(median time.Duration) time.Duration {
	return time.Duration(float64(median) * math.Exp(w.rnd.NormFloat64()*0.8))
}

func (w *workload) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", w.rnd.IntN(4), w.rnd.IntN(256), 1+w.rnd.IntN(254))
}

// traces returns one SDK export of at least n spans from one pod: whole
// traces of a server span and its database, cache and downstream calls.
func (w *workload) traces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	res := w.rnd.IntN(len(w.resources))
	rs := td.ResourceSpans().AppendEmpty()
	w.resources[res].CopyTo(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	ss.Scope().SetVersion("0.63.0")
	spans := ss.Spans()
	for spans.Len() < n {
		w.now = w.now.Add(time.Duration(w.rnd.IntN(2000)) * time.Microsecond)
		trace, root := w.traceID(), w.spanID()
		r := routes[w.rnd.IntN(len(routes))]
		id := 1000000 + w.rnd.IntN(9000000)
		total := w.duration(40 * time.Millisecond)
		status := 200
		switch x := w.rnd.IntN(200); {
		case x == 0:
			status = 500
		case x < 4:
			status = 404
		}
		s := spans.AppendEmpty()
		s.SetTraceID(trace)
		s.SetSpanID(root)
		s.SetName(r.method + " " + r.route)
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(w.now))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(w.now.Add(total)))
		a := s.Attributes()
		a.PutStr("http.request.method", r.method)
		a.PutStr("http.route", r.route)
		path := r.path
		if strings.Contains(path, "%d") {
			path = fmt.Sprintf(r.path, id)
		}
		a.PutStr("url.path", path)
		a.PutStr("url.scheme", "https")
		a.PutInt("http.response.status_code", int64(status))
		a.PutStr("server.address", w.services[res]+".shop.svc.cluster.local")
		a.PutInt("server.port", 8080)
		a.PutStr("client.address", w.ip())
		a.PutStr("user_agent.original", userAgents[w.rnd.IntN(len(userAgents))])
		a.PutStr("network.protocol.version", "1.1")
		if status == 500 {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("upstream pricing-api: context deadline exceeded")
			ev := s.Events().AppendEmpty()
			ev.SetName("exception")
			ev.SetTimestamp(pcommon.NewTimestampFromTime(w.now.Add(total - time.Millisecond)))
			ev.Attributes().PutStr("exception.type", "java.net.SocketTimeoutException")
			ev.Attributes().PutStr("exception.message", "Read timed out")
			ev.Attributes().PutStr("exception.stacktrace", stacktrace)
		}
		offset := time.Duration(w.rnd.IntN(2000)) * time.Microsecond
		for c := 0; c < 1+w.rnd.IntN(5); c++ {
			d := w.duration(total / 8)
			cs := spans.AppendEmpty()
			cs.SetTraceID(trace)
			cs.SetSpanID(w.spanID())
			cs.SetParentSpanID(root)
			cs.SetKind(ptrace.SpanKindClient)
			cs.SetStartTimestamp(pcommon.NewTimestampFromTime(w.now.Add(offset)))
			cs.SetEndTimestamp(pcommon.NewTimestampFromTime(w.now.Add(offset + d)))
			offset += d
			ca := cs.Attributes()
			switch w.rnd.IntN(3) {
			case 0:
				q := queries[w.rnd.IntN(len(queries))]
				cs.SetName(q[:6] + " shop")
				ca.PutStr("db.system.name", "postgresql")
				ca.PutStr("db.namespace", "shop")
				ca.PutStr("db.query.text", q)
				ca.PutStr("server.address", "orders-db.shop.svc.cluster.local")
				ca.PutInt("server.port", 5432)
			case 1:
				cs.SetName("GET")
				ca.PutStr("db.system.name", "redis")
				ca.PutStr("db.operation.name", "GET")
				ca.PutStr("db.query.text", fmt.Sprintf("GET cart:%d", id))
				ca.PutStr("server.address", "redis.shop.svc.cluster.local")
				ca.PutInt("server.port", 6379)
			default:
				peer := w.services[w.rnd.IntN(len(w.services))]
				cs.SetName("POST")
				ca.PutStr("http.request.method", "POST")
				ca.PutStr("url.full", fmt.Sprintf("http://%s.shop.svc.cluster.local:8080/internal/v1/%s", peer, peer))
				ca.PutStr("server.address", peer+".shop.svc.cluster.local")
				ca.PutInt("server.port", 8080)
				ca.PutInt("http.response.status_code", 200)
			}
		}
	}
	return td
}

var logTemplates = []struct {
	severity plog.SeverityNumber
	text     string
	format   func(w *workload) string
}{
	{plog.SeverityNumberInfo, "INFO", func(w *workload) string {
		return fmt.Sprintf("order %d placed by customer c-%d total=%d.%02d EUR items=%d", 1000000+w.rnd.IntN(9000000), w.rnd.IntN(500000), w.rnd.IntN(300), w.rnd.IntN(100), 1+w.rnd.IntN(6))
	}},
	{plog.SeverityNumberInfo, "INFO", func(w *workload) string {
		r := routes[w.rnd.IntN(len(routes))]
		return fmt.Sprintf("%s %s 200 %dms", r.method, r.route, w.duration(30*time.Millisecond).Milliseconds())
	}},
	{plog.SeverityNumberInfo, "INFO", func(w *workload) string {
		return fmt.Sprintf("payment authorised provider=stripe charge=ch_%016x amount=%d currency=EUR", w.rnd.Uint64(), 100+w.rnd.IntN(50000))
	}},
	{plog.SeverityNumberDebug, "DEBUG", func(w *workload) string {
		return fmt.Sprintf("cache miss key=cart:%d ttl=300s", w.rnd.IntN(1000000))
	}},
	{plog.SeverityNumberDebug, "DEBUG", func(w *workload) string {
		return fmt.Sprintf("loaded %d products from catalog in %dms", 1+w.rnd.IntN(40), w.duration(8*time.Millisecond).Milliseconds())
	}},
	{plog.SeverityNumberWarn, "WARN", func(w *workload) string {
		return fmt.Sprintf("retrying call to pricing-api attempt=%d after %dms: context deadline exceeded", 1+w.rnd.IntN(3), 50*(1+w.rnd.IntN(6)))
	}},
	{plog.SeverityNumberError, "ERROR", func(w *workload) string {
		return fmt.Sprintf("failed to reserve inventory for order %d: sku SKU-%d out of stock in warehouse %s", 1000000+w.rnd.IntN(9000000), w.rnd.IntN(90000), []string{"ams1", "fra2", "dub1"}[w.rnd.IntN(3)])
	}},
}

// logs returns one export of n log records from one pod; 70% carry the
// trace context of the request that wrote them.
func (w *workload) logs(n int) plog.Logs {
	ld := plog.NewLogs()
	res := w.rnd.IntN(len(w.resources))
	rl := ld.ResourceLogs().AppendEmpty()
	w.resources[res].CopyTo(rl.Resource().Attributes())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("com.acme.shop." + w.services[res])
	for i := 0; i < n; i++ {
		w.now = w.now.Add(time.Duration(w.rnd.IntN(3000)) * time.Microsecond)
		// Mostly info, some debug, few warnings and errors.
		k := []int{0, 0, 0, 1, 1, 1, 2, 3, 3, 4, 5}[w.rnd.IntN(11)]
		if w.rnd.IntN(50) == 0 {
			k = 6
		}
		t := logTemplates[k]
		r := sl.LogRecords().AppendEmpty()
		r.SetTimestamp(pcommon.NewTimestampFromTime(w.now))
		r.SetObservedTimestamp(pcommon.NewTimestampFromTime(w.now.Add(time.Duration(w.rnd.IntN(500)) * time.Millisecond)))
		r.SetSeverityNumber(t.severity)
		r.SetSeverityText(t.text)
		r.Body().SetStr(t.format(w))
		if w.rnd.IntN(10) < 7 {
			r.SetTraceID(w.traceID())
			r.SetSpanID(w.spanID())
			r.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
		}
		a := r.Attributes()
		a.PutStr("code.function.name", []string{"placeOrder", "handle", "authorise", "getCart", "reserve"}[k%5])
		a.PutStr("code.file.path", "/app/src/main/java/com/acme/shop/"+w.services[res]+"/Service.java")
		a.PutInt("code.line.number", int64(40+k*17))
		a.PutStr("thread.name", fmt.Sprintf("http-nio-8080-exec-%d", 1+w.rnd.IntN(200)))
		if t.severity >= plog.SeverityNumberError {
			a.PutStr("exception.type", "com.acme.shop.inventory.OutOfStockException")
			a.PutStr("exception.stacktrace", stacktrace)
		}
	}
	return ld
}

var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// metrics returns one 30-second export round of every pod: request
// duration histograms per route and status, CPU, memory and connection
// pool sums, and runtime gauges — 30 points a pod.
func (w *workload) metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	w.now = w.now.Add(30 * time.Second)
	start := pcommon.NewTimestampFromTime(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	now := pcommon.NewTimestampFromTime(w.now)
	for res := range w.resources {
		rm := md.ResourceMetrics().AppendEmpty()
		w.resources[res].CopyTo(rm.Resource().Attributes())
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
		sm.Scope().SetVersion("0.63.0")

		h := sm.Metrics().AppendEmpty()
		h.SetName("http.server.request.duration")
		h.SetUnit("s")
		h.SetDescription("Duration of HTTP server requests.")
		hist := h.SetEmptyHistogram()
		hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for i, r := range routes {
			for _, status := range []int64{200, 404} {
				if status == 404 && i%3 != 0 {
					continue
				}
				key := fmt.Sprintf("%d/%s/%d", res, r.route, status)
				counts := w.buckets[key]
				if counts == nil {
					counts = make([]uint64, len(durationBounds)+1)
				}
				var sum float64
				for n := w.rnd.IntN(300); n > 0; n-- {
					d := w.duration(40 * time.Millisecond).Seconds()
					sum += d
					b := 0
					for b < len(durationBounds) && d > durationBounds[b] {
						b++
					}
					counts[b]++
				}
				w.buckets[key] = counts
				w.counters[key+"/sum"] += sum
				dp := hist.DataPoints().AppendEmpty()
				dp.SetStartTimestamp(start)
				dp.SetTimestamp(now)
				var count uint64
				for _, c := range counts {
					count += c
				}
				dp.SetCount(count)
				dp.SetSum(w.counters[key+"/sum"])
				dp.ExplicitBounds().FromRaw(durationBounds)
				dp.BucketCounts().FromRaw(counts)
				dp.Attributes().PutStr("http.request.method", r.method)
				dp.Attributes().PutStr("http.route", r.route)
				dp.Attributes().PutInt("http.response.status_code", status)
				dp.Attributes().PutStr("url.scheme", "https")
			}
		}

		for _, c := range []struct {
			name, unit string
			attr       string
			values     []string
			rate       float64
			monotonic  bool
		}{
			{"process.cpu.time", "s", "cpu.mode", []string{"user", "system"}, 6, true},
			{"go.memory.allocated", "By", "", []string{""}, 4e8, true},
			{"db.client.connection.count", "{connection}", "db.client.connection.state", []string{"idle", "used"}, 0, false},
			{"http.client.request.count", "{request}", "server.address", []string{"pricing-api", "inventory-api", "payments-api", "redis"}, 900, true},
			{"messaging.client.consumed.messages", "{message}", "messaging.destination.name", []string{"orders", "payments", "shipments"}, 300, true},
		} {
			m := sm.Metrics().AppendEmpty()
			m.SetName(c.name)
			m.SetUnit(c.unit)
			sum := m.SetEmptySum()
			sum.SetIsMonotonic(c.monotonic)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for _, v := range c.values {
				key := fmt.Sprintf("%d/%s/%s", res, c.name, v)
				if c.monotonic {
					w.counters[key] += c.rate * (0.5 + w.rnd.Float64())
				} else {
					w.counters[key] = float64(w.rnd.IntN(20))
				}
				dp := sum.DataPoints().AppendEmpty()
				dp.SetStartTimestamp(start)
				dp.SetTimestamp(now)
				if c.unit == "s" {
					dp.SetDoubleValue(w.counters[key])
				} else {
					dp.SetIntValue(int64(w.counters[key]))
				}
				if c.attr != "" {
					dp.Attributes().PutStr(c.attr, v)
				}
			}
		}

		for _, g := range []struct {
			name, unit string
			value      func() float64
		}{
			{"go.goroutine.count", "{goroutine}", func() float64 { return float64(80 + w.rnd.IntN(400)) }},
			{"go.memory.used", "By", func() float64 { return float64(60e6 + w.rnd.IntN(200e6)) }},
			{"go.memory.gc.goal", "By", func() float64 { return float64(120e6 + w.rnd.IntN(200e6)) }},
			{"container.cpu.usage", "{cpu}", func() float64 { return w.rnd.Float64() * 1.5 }},
			{"container.memory.working_set", "By", func() float64 { return float64(200e6 + w.rnd.IntN(300e6)) }},
			{"http.server.active_requests", "{request}", func() float64 { return float64(w.rnd.IntN(40)) }},
			{"jvm.thread.count", "{thread}", func() float64 { return float64(40 + w.rnd.IntN(200)) }},
			{"queue.depth", "{message}", func() float64 { return float64(w.rnd.IntN(5000)) }},
		} {
			m := sm.Metrics().AppendEmpty()
			m.SetName(g.name)
			m.SetUnit(g.unit)
			dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
			dp.SetTimestamp(now)
			dp.SetDoubleValue(g.value())
		}
	}
	return md
}
