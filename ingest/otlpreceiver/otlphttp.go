package otlpreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/otlp"
)

const (
	pbContentType   = "application/x-protobuf"
	jsonContentType = "application/json"
)

// RegisterHTTP mounts POST /v1/traces, /v1/logs and /v1/metrics on g, a
// group that authenticates ingest tokens.
func (r *Receiver) RegisterHTTP(g gin.IRoutes) {
	g.POST("/v1/traces", r.handleHTTP(SignalTraces, r.exportTraces))
	g.POST("/v1/logs", r.handleHTTP(SignalLogs, r.exportLogs))
	g.POST("/v1/metrics", r.handleHTTP(SignalMetrics, r.exportMetrics))
}

// export decodes one request body and stores it, returning the encoded
// ExportResponse (with its partial success, if any).
type export func(ctx context.Context, asJSON bool, body []byte) ([]byte, error)

func (r *Receiver) handleHTTP(signal string, exp export) gin.HandlerFunc {
	return func(c *gin.Context) {
		var asJSON bool
		switch ct := c.ContentType(); ct {
		case pbContentType:
		case jsonContentType:
			asJSON = true
		default:
			r.metrics.Refused(signal, ProtocolHTTP, 0)
			writeHTTPError(c, true, &ingest.RequestError{Status: http.StatusUnsupportedMediaType,
				Msg: fmt.Sprintf("Content-Type %q is not OTLP: send application/x-protobuf or application/json", ct)})
			return
		}
		body, err := r.readBody(c)
		if err != nil {
			r.metrics.Refused(signal, ProtocolHTTP, 0)
			writeHTTPError(c, asJSON, err)
			return
		}
		resp, err := exp(c.Request.Context(), asJSON, body)
		if err != nil {
			writeHTTPError(c, asJSON, err)
			return
		}
		ct := pbContentType
		if asJSON {
			ct = jsonContentType
		}
		c.Data(http.StatusOK, ct, resp)
	}
}

// readBody reads a body of at most MaxBody bytes, decompressing gzip and
// zstd (each capped at MaxBody decoded).
func (r *Receiver) readBody(c *gin.Context) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding")))
	switch enc {
	case "", "identity", "gzip", "zstd":
	default:
		return nil, &ingest.RequestError{Status: http.StatusUnsupportedMediaType,
			Msg: fmt.Sprintf("Content-Encoding %q is not supported: send gzip, zstd or an uncompressed body", enc)}
	}
	body, err := ingest.ReadBody(c.Writer, c.Request, r.cfg.MaxBody)
	if err != nil || enc != "zstd" {
		return body, err
	}
	out, err := r.zstd().DecodeAll(body, nil)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		return nil, &ingest.RequestError{Status: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the decompressed request body is larger than %d bytes (--ingest-max-body-bytes): send fewer items per request", r.cfg.MaxBody)}
	case err != nil:
		return nil, ingest.BadRequest("the body is not zstd although Content-Encoding says so: " + err.Error())
	}
	return out, nil
}

// zstd is the receiver's stateless decoder; DecodeAll is safe for
// concurrent use.
func (r *Receiver) zstd() *zstd.Decoder {
	r.zstdOnce.Do(func() {
		r.zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(uint64(r.cfg.MaxBody)))
	})
	return r.zstdDec
}

func undecodable(what string, asJSON bool, err error) error {
	enc := "protobuf"
	if asJSON {
		enc = "JSON"
	}
	return ingest.BadRequest(fmt.Sprintf("the body is not a valid OTLP %s in %s: %v", what, enc, err))
}

func (r *Receiver) exportTraces(ctx context.Context, asJSON bool, body []byte) ([]byte, error) {
	var err error
	if asJSON {
		req := ptraceotlp.NewExportRequest()
		if derr := req.UnmarshalJSON(body); derr != nil {
			r.metrics.Refused(SignalTraces, ProtocolHTTP, 0)
			return nil, undecodable("ExportTraceServiceRequest", true, derr)
		}
		err = r.ConsumeTraces(ctx, ProtocolHTTP, req.Traces())
	} else {
		// The protobuf hot path: straight from the wire into the columns.
		err = r.storeTraces(ctx, ProtocolHTTP, func(rows *otlp.TraceRows) error {
			if derr := rows.AppendTracesProto(body); derr != nil {
				return undecodable("ExportTraceServiceRequest", false, derr)
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return encodeResponse(ptraceotlp.NewExportResponse(), asJSON)
}

func (r *Receiver) exportLogs(ctx context.Context, asJSON bool, body []byte) ([]byte, error) {
	req := plogotlp.NewExportRequest()
	if derr := unmarshal(req, asJSON, body); derr != nil {
		r.metrics.Refused(SignalLogs, ProtocolHTTP, 0)
		return nil, undecodable("ExportLogsServiceRequest", asJSON, derr)
	}
	if err := r.ConsumeLogs(ctx, ProtocolHTTP, req.Logs()); err != nil {
		return nil, err
	}
	return encodeResponse(plogotlp.NewExportResponse(), asJSON)
}

func (r *Receiver) exportMetrics(ctx context.Context, asJSON bool, body []byte) ([]byte, error) {
	req := pmetricotlp.NewExportRequest()
	if derr := unmarshal(req, asJSON, body); derr != nil {
		r.metrics.Refused(SignalMetrics, ProtocolHTTP, 0)
		return nil, undecodable("ExportMetricsServiceRequest", asJSON, derr)
	}
	if err := r.ConsumeMetrics(ctx, ProtocolHTTP, req.Metrics()); err != nil {
		return nil, err
	}
	return encodeResponse(metricsResponse(req.Metrics()), asJSON)
}

// metricsResponse reports metrics without a type as a partial success: they
// carry no data points, so nothing of them is stored.
func metricsResponse(md pmetric.Metrics) pmetricotlp.ExportResponse {
	resp := pmetricotlp.NewExportResponse()
	untyped := 0
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				if ms.At(k).Type() == pmetric.MetricTypeEmpty {
					untyped++
				}
			}
		}
	}
	if untyped > 0 {
		resp.PartialSuccess().SetErrorMessage(strconv.Itoa(untyped) + " metrics have no type (gauge, sum, histogram, exponential histogram or summary) and were not stored")
	}
	return resp
}

type otlpMessage interface {
	UnmarshalProto([]byte) error
	UnmarshalJSON([]byte) error
}

func unmarshal(m otlpMessage, asJSON bool, body []byte) error {
	if asJSON {
		return m.UnmarshalJSON(body)
	}
	return m.UnmarshalProto(body)
}

type otlpResponse interface {
	MarshalProto() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

func encodeResponse(m otlpResponse, asJSON bool) ([]byte, error) {
	if asJSON {
		return m.MarshalJSON()
	}
	return m.MarshalProto()
}

// writeHTTPError answers a refused request as OTLP/HTTP says: the status of
// classify, Retry-After when a retry may succeed, and a google.rpc.Status
// body in the request's encoding.
func writeHTTPError(c *gin.Context, asJSON bool, err error) {
	o := classify(err)
	if o.retry > 0 {
		secs := int((o.retry + 999_999_999) / 1_000_000_000)
		c.Header("Retry-After", strconv.Itoa(max(1, secs)))
	}
	st := status.New(o.grpc, o.msg).Proto()
	var body []byte
	ct := pbContentType
	if asJSON {
		ct = jsonContentType
		body, _ = protojson.Marshal(st)
	} else {
		body, _ = proto.Marshal(st)
	}
	c.Data(o.http, ct, body)
	c.Abort()
}
