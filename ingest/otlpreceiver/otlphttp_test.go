package otlpreceiver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

// traces builds n spans of one service, trace ids derived from seed.
func traces(service string, n int, seed byte) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	ss := rs.ScopeSpans().AppendEmpty()
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{seed, byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
		s.SetSpanID(pcommon.SpanID{seed, byte(i), 1, 2, 3, 4, 5, 6})
		s.SetName("op")
		start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(i+1) * time.Millisecond)))
	}
	return td
}

func protoBody(t *testing.T, td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// OTLP/JSON (with hex ids) and protobuf, plain, gzip and zstd, are all
// stored and answered in the request's encoding.
func TestHTTPEncodingsAndCompressions(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	zw, _ := zstd.NewWriter(nil)
	compress := map[string]func([]byte) []byte{
		"": func(b []byte) []byte { return b },
		"gzip": func(b []byte) []byte {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			w.Write(b)
			w.Close()
			return buf.Bytes()
		},
		"zstd": func(b []byte) []byte { return zw.EncodeAll(b, nil) },
	}
	seed := byte(0)
	for _, ct := range []string{"application/x-protobuf", "application/json"} {
		for enc, c := range compress {
			seed++
			td := traces("enc-test", 3, seed)
			req := ptraceotlp.NewExportRequestFromTraces(td)
			var body []byte
			if ct == "application/json" {
				body, _ = req.MarshalJSON()
			} else {
				body, _ = req.MarshalProto()
			}
			resp, out := post(t, env, "/v1/traces", ct, enc, c(body), true)
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", ct, enc, resp.StatusCode, out)
			}
			if got := resp.Header.Get("Content-Type"); got != ct {
				t.Errorf("%s %s: answered in %s", ct, enc, got)
			}
			er := ptraceotlp.NewExportResponse()
			if ct == "application/json" {
				if err := er.UnmarshalJSON(out); err != nil {
					t.Errorf("%s %s: response %q: %v", ct, enc, out, err)
				}
			} else if err := er.UnmarshalProto(out); err != nil {
				t.Errorf("%s %s: response: %v", ct, enc, err)
			}
		}
	}
	if n := countRows(t, env, "otel_traces"); n != 18 {
		t.Errorf("stored %d spans, want 18", n)
	}
	var id string
	if err := env.Conn.QueryRow(context.Background(), "SELECT TraceId FROM otel_traces ORDER BY TraceId LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != "01000102030405060708090a0b0c0d0e" {
		t.Errorf("first TraceId %q", id)
	}
}

// Refused requests get the status OTLP defines, a google.rpc.Status naming
// the problem, and store nothing.
func TestHTTPRefusals(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{MaxBody: 4096})
	good := protoBody(t, traces("refusals", 1, 1))
	big := protoBody(t, traces("refusals", 200, 2))
	var bigZstd []byte
	{
		zw, _ := zstd.NewWriter(nil)
		bigZstd = zw.EncodeAll(big, nil)
	}
	cases := []struct {
		name, path, ct, enc string
		body                []byte
		auth                bool
		status              int
		msg                 string
	}{
		{"no token", "/v1/traces", "application/x-protobuf", "", good, false, 401, "bearer"},
		{"garbage protobuf", "/v1/traces", "application/x-protobuf", "", []byte{0x0a, 0xff, 0xff}, true, 400, "not a valid OTLP ExportTraceServiceRequest in protobuf"},
		{"garbage JSON", "/v1/logs", "application/json", "", []byte(`{"resourceLogs": [{"scopeLogs": 7}]}`), true, 400, "not a valid OTLP ExportLogsServiceRequest in JSON"},
		{"bad metrics JSON", "/v1/metrics", "application/json", "", []byte(`{`), true, 400, "ExportMetricsServiceRequest"},
		{"not gzip", "/v1/traces", "application/x-protobuf", "gzip", good, true, 400, "not gzip"},
		{"not zstd", "/v1/traces", "application/x-protobuf", "zstd", good, true, 400, "not zstd"},
		{"unknown encoding", "/v1/traces", "application/x-protobuf", "br", good, true, 415, "Content-Encoding"},
		{"unknown content type", "/v1/traces", "text/plain", "", good, true, 415, "Content-Type"},
		{"too large", "/v1/traces", "application/x-protobuf", "", big, true, 413, "larger than 4096"},
		{"too large once decompressed", "/v1/traces", "application/x-protobuf", "zstd", bigZstd, true, 413, "larger than 4096"},
	}
	if len(bigZstd) >= 4096 {
		t.Fatalf("zstd body %d bytes: the case needs it under the cap", len(bigZstd))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := post(t, env, c.path, c.ct, c.enc, c.body, c.auth)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, out)
			}
			if c.status == 401 {
				return // the server's JSON envelope
			}
			var st spb.Status
			if resp.Header.Get("Content-Type") == "application/json" {
				if !strings.Contains(string(out), c.msg) {
					t.Errorf("body %s does not say %q", out, c.msg)
				}
				return
			}
			if err := proto.Unmarshal(out, &st); err != nil {
				t.Fatalf("body is not a google.rpc.Status: %v", err)
			}
			if !strings.Contains(st.Message, c.msg) {
				t.Errorf("message %q does not say %q", st.Message, c.msg)
			}
		})
	}
	for _, table := range []string{"otel_traces", "otel_logs", "otel_metrics_gauge"} {
		if n := countRows(t, env, table); n != 0 {
			t.Errorf("%s has %d rows after refused requests", table, n)
		}
	}
}

// A metric without a type is reported as a partial success, and logs over
// OTLP/HTTP protobuf are stored.
func TestHTTPPartialSuccessAndLogs(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetName("untyped")
	g := ms.AppendEmpty()
	g.SetName("typed")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(2)
	sm := ms.AppendEmpty()
	sm.SetName("rpc.latency")
	sdp := sm.SetEmptySummary().DataPoints().AppendEmpty()
	sdp.SetCount(10)
	sdp.SetSum(42)
	q := sdp.QuantileValues().AppendEmpty()
	q.SetQuantile(0.99)
	q.SetValue(9.5)
	body, _ := pmetricotlp.NewExportRequestFromMetrics(md).MarshalJSON()
	resp, out := post(t, env, "/v1/metrics", "application/json", "", body, true)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	er := pmetricotlp.NewExportResponse()
	if err := er.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	if msg := er.PartialSuccess().ErrorMessage(); !strings.Contains(msg, "1 metrics have no type") {
		t.Errorf("partial success %q", msg)
	}
	if n := countRows(t, env, "otel_metrics_gauge"); n != 1 {
		t.Errorf("%d gauge rows, want 1", n)
	}
	var count uint64
	var sum float64
	var quantiles, values []float64
	if err := env.Conn.QueryRow(context.Background(), "SELECT Count, Sum, ValueAtQuantiles.Quantile, ValueAtQuantiles.Value FROM otel_metrics_summary WHERE MetricName = 'rpc.latency'").Scan(&count, &sum, &quantiles, &values); err != nil {
		t.Fatal(err)
	}
	if count != 10 || sum != 42 || len(quantiles) != 1 || quantiles[0] != 0.99 || values[0] != 9.5 {
		t.Errorf("summary row: %d %v %v %v", count, sum, quantiles, values)
	}

	lreq := plogotlp.NewExportRequest()
	lr := lreq.Logs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("hello")
	lbody, _ := lreq.MarshalProto()
	if resp, out := post(t, env, "/v1/logs", "application/x-protobuf", "", lbody, true); resp.StatusCode != 200 {
		t.Fatalf("logs: %d %s", resp.StatusCode, out)
	}
	if n := countRows(t, env, "otel_logs"); n != 1 {
		t.Errorf("%d log rows, want 1", n)
	}
}

// With the committer's buffer full of rows ClickHouse is slow to take, OTLP
// senders are told to retry: 429 with Retry-After over HTTP,
// RESOURCE_EXHAUSTED with RetryInfo over gRPC; nothing refused is stored,
// and what was accepted is.
func TestBackpressure(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{
		Commit:      commit.Options{MaxRows: 5, MaxDelay: 100 * time.Millisecond, MaxPendingRows: 10, Workers: 1},
		InsertDelay: 1500 * time.Millisecond,
	})
	// An empty request stores nothing and warms the token cache, so the
	// first request below reaches the committer at once.
	if resp, out := post(t, env, "/v1/traces", "application/x-protobuf", "", nil, true); resp.StatusCode != 200 {
		t.Fatalf("empty request: %d %s", resp.StatusCode, out)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var firstStatus int
	go func() {
		defer wg.Done()
		resp, _ := post(t, env, "/v1/traces", "application/x-protobuf", "", protoBody(t, traces("first", 8, 1)), true)
		firstStatus = resp.StatusCode
	}()
	// The first request's 8 rows are pending (its insert takes 1.5s); 8
	// more exceed the 10-row buffer.
	time.Sleep(400 * time.Millisecond)
	resp, out := post(t, env, "/v1/traces", "application/x-protobuf", "", protoBody(t, traces("second", 8, 2)), true)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second request: %d %s, want 429 while the first is pending", resp.StatusCode, out)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	var rpcStatus spb.Status
	if err := proto.Unmarshal(out, &rpcStatus); err != nil || !strings.Contains(rpcStatus.Message, "buffer is full") {
		t.Errorf("429 body %q (%v)", rpcStatus.Message, err)
	}

	conn, err := grpc.NewClient(env.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.Token)
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(traces("third", 8, 3)))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("gRPC: %v, want RESOURCE_EXHAUSTED", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if retry == nil || retry.RetryDelay.AsDuration() != time.Second {
		t.Errorf("gRPC status details %v: want RetryInfo of 1s", st.Details())
	}
	wg.Wait()
	if firstStatus != 200 {
		t.Errorf("first request: %d, want 200 once stored", firstStatus)
	}
	var n uint64
	var services []string
	if err := env.Conn.QueryRow(context.Background(), "SELECT count(), groupUniqArray(ServiceName) FROM otel_traces").Scan(&n, &services); err != nil {
		t.Fatal(err)
	}
	if n != 8 || len(services) != 1 || services[0] != "first" {
		t.Errorf("stored %d spans of %v, want the 8 of first only", n, services)
	}
}

// gRPC calls need an ingest token.
func TestGRPCNeedsToken(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	conn, err := grpc.NewClient(env.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for token, want := range map[string]codes.Code{"": codes.Unauthenticated, "Bearer nope": codes.Unauthenticated} {
		ctx := context.Background()
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", token)
		}
		_, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(traces("x", 1, 1)))
		if status.Code(err) != want {
			t.Errorf("token %q: %v, want %s", token, err, want)
		}
	}
	if n := countRows(t, env, "otel_traces"); n != 0 {
		t.Errorf("%d spans stored without a token", n)
	}
}

// rawProto is a message sent as given bytes (pdata's gRPC codec sends
// anything with MarshalProto as is).
type rawProto struct{ b []byte }

func (m *rawProto) SizeProto() int                { return len(m.b) }
func (m *rawProto) MarshalProto(buf []byte) int   { return copy(buf, m.b) }
func (m *rawProto) UnmarshalProto(b []byte) error { m.b = append(m.b[:0], b...); return nil }

// An undecodable ExportTraceServiceRequest over gRPC is INVALID_ARGUMENT
// naming the problem, and stores nothing.
func TestGRPCRefusesUndecodableTraces(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	conn, err := grpc.NewClient(env.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.Token)
	err = conn.Invoke(ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", &rawProto{b: []byte{0x0a, 0x05, 0x0a}}, &rawProto{})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "not a valid OTLP ExportTraceServiceRequest") {
		t.Errorf("got %v, want INVALID_ARGUMENT naming the request", err)
	}
	good, _ := ptraceotlp.NewExportRequestFromTraces(traces("raw", 2, 9)).MarshalProto()
	if err := conn.Invoke(ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", &rawProto{b: good}, &rawProto{}); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	if n := countRows(t, env, "otel_traces"); n != 2 {
		t.Errorf("%d spans stored, want the valid request's 2", n)
	}
}
