package otlpreceiver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func benchTraces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("k8s.pod.name", "checkout-7d9f")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("otelhttp")
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
		s.SetSpanID(pcommon.SpanID{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6})
		s.SetName("GET /cart")
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Millisecond)))
		s.Attributes().PutStr("http.route", "/cart")
		s.Attributes().PutInt("http.status_code", 200)
		s.Attributes().PutStr("user.id", fmt.Sprint(i))
	}
	return td
}

// BenchmarkHTTPTraces is the OTLP/HTTP path of a span up to the committer:
// body read, decode, columns built (the committer here acknowledges at once).
func BenchmarkHTTPTraces(b *testing.B) {
	const spans = 1000
	req := ptraceotlp.NewExportRequestFromTraces(benchTraces(spans))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	gin.SetMode(gin.ReleaseMode)
	r := New(Config{Committer: acceptAll{}})
	e := gin.New()
	r.RegisterHTTP(e)
	for _, c := range []struct {
		name, ct string
		body     []byte
	}{{"protobuf", pbContentType, pb}, {"json", jsonContentType, js}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				hr := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(c.body))
				hr.Header.Set("Content-Type", c.ct)
				w := httptest.NewRecorder()
				e.ServeHTTP(w, hr)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(spans*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
