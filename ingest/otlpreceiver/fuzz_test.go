package otlpreceiver

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/deploylens/deploylens/ingest/commit"
)

// acceptAll stores nothing and acknowledges everything, after appending
// each buffer to nothing: the fuzz targets exercise decoding only.
type acceptAll struct{}

func (acceptAll) Commit(_ context.Context, rows ...commit.Rows) error {
	for _, r := range rows {
		_ = r.Len()
	}
	return nil
}

func fuzzSeeds(f *testing.F) {
	treq := ptraceotlp.NewExportRequest()
	rs := treq.Traces().ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3})
	sp.SetName("op")
	sp.Attributes().PutInt("n", 3)
	tpb, _ := treq.MarshalProto()
	tjs, _ := treq.MarshalJSON()
	lreq := plogotlp.NewExportRequest()
	lreq.Logs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("x")
	lpb, _ := lreq.MarshalProto()
	ljs, _ := lreq.MarshalJSON()
	mreq := pmetricotlp.NewExportRequest()
	m := mreq.Metrics().ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("g")
	m.SetEmptyHistogram().DataPoints().AppendEmpty().BucketCounts().FromRaw([]uint64{1, 2})
	mpb, _ := mreq.MarshalProto()
	mjs, _ := mreq.MarshalJSON()
	for _, s := range []struct {
		path string
		json bool
		body []byte
	}{
		{"/v1/traces", false, tpb}, {"/v1/traces", true, tjs},
		{"/v1/logs", false, lpb}, {"/v1/logs", true, ljs},
		{"/v1/metrics", false, mpb}, {"/v1/metrics", true, mjs},
		{"/v1/traces", true, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`)},
	} {
		f.Add(s.path, s.json, s.body)
	}
}

// Any body to any OTLP/HTTP endpoint is answered 200, 400 or 413, never
// with a panic or a 5xx.
func FuzzOTLPHTTP(f *testing.F) {
	fuzzSeeds(f)
	gin.SetMode(gin.ReleaseMode)
	r := New(Config{Committer: acceptAll{}, MaxBody: 1 << 20})
	e := gin.New()
	r.RegisterHTTP(e)
	f.Fuzz(func(t *testing.T, path string, asJSON bool, body []byte) {
		switch path {
		case "/v1/traces", "/v1/logs", "/v1/metrics":
		default:
			path = "/v1/traces"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", map[bool]string{false: pbContentType, true: jsonContentType}[asJSON])
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s: status %d: %s", path, w.Code, w.Body)
		}
	})
}
