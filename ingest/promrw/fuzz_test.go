package promrw_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/deploylens/deploylens/ingest/promrw"
)

type discard struct{}

func (discard) ConsumeMetrics(context.Context, string, pmetric.Metrics) error { return nil }
func (discard) Refused(string, string)                                        {}

// Any remote_write body, either version, is answered 204, 400 or 413 and
// never panics; what decodes also translates without panicking.
func FuzzRemoteWrite(f *testing.F) {
	series := []promrw.Series{{Labels: labels("__name__", "up", "job", "a", "instance", "b"), Samples: []promrw.Sample{{Value: 1, Timestamp: 1}}, Type: promrw.TypeCounter, Help: "h"}}
	f.Add(false, writeRequestV1(series, []promrw.Metadata{{Type: promrw.TypeGauge, Family: "up"}}))
	f.Add(true, writeRequestV2(series))
	f.Add(true, []byte{0x2a, 0x04, 0x0a, 0x02, 0x05, 0x06})
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	(&promrw.Receiver{Consumer: discard{}, MaxBody: 1 << 20}).Register(e)
	f.Fuzz(func(t *testing.T, v2 bool, raw []byte) {
		if req, err := promrw.Decode(raw, v2); err == nil {
			_, _, _ = promrw.ToMetrics(req)
		}
		ct := "application/x-protobuf"
		if v2 {
			ct += ";proto=io.prometheus.write.v2.Request"
		}
		r := httptest.NewRequest(http.MethodPost, "/write", bytes.NewReader(snappyBody(raw)))
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Content-Encoding", "snappy")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusNoContent, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
