// Package promrw receives Prometheus remote_write (POST /api/v1/write):
// 1.0 (prometheus.WriteRequest) in full and 2.0 (io.prometheus.write.v2.Request)
// for float samples, both snappy-compressed protobuf, decoded by a small
// hand-written protowire decoder (decode.go), turned into pdata
// (translate.go) and stored through the OTLP receiver's metric path, so
// samples land in otel_metrics_gauge and otel_metrics_sum.
package promrw

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/snappy"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/otlpreceiver"
)

// Consumer stores metrics (otlpreceiver.Receiver is one).
type Consumer interface {
	ConsumeMetrics(ctx context.Context, protocol string, md pmetric.Metrics) error
	Refused(signal, protocol string)
}

// Receiver is the remote_write endpoint.
type Receiver struct {
	Consumer Consumer
	// MaxBody caps the compressed and the decompressed body (413 past it).
	MaxBody int64
}

// Register mounts POST /write on g (the /api/v1 group for ingest tokens).
func (r *Receiver) Register(g gin.IRoutes) { g.POST("/write", r.handle) }

// The protobuf messages a remote_write Content-Type names.
const (
	protoV1 = "prometheus.WriteRequest"
	protoV2 = "io.prometheus.write.v2.Request"
)

func (r *Receiver) handle(c *gin.Context) {
	n, v2, err := r.write(c)
	if err != nil {
		r.Consumer.Refused(otlpreceiver.SignalMetrics, otlpreceiver.ProtocolRemoteWrite)
		ingest.Respond(c, err)
		return
	}
	if v2 {
		c.Header("X-Prometheus-Remote-Write-Samples-Written", strconv.Itoa(n))
		c.Header("X-Prometheus-Remote-Write-Histograms-Written", "0")
		c.Header("X-Prometheus-Remote-Write-Exemplars-Written", "0")
	}
	c.Status(http.StatusNoContent)
}

func (r *Receiver) write(c *gin.Context) (samples int, v2 bool, err error) {
	v2, err = version(c.GetHeader("Content-Type"))
	if err != nil {
		return 0, false, err
	}
	if enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc != "" && enc != "snappy" {
		return 0, v2, unsupported(fmt.Sprintf("Content-Encoding %q is not supported: remote_write bodies are snappy-compressed", enc))
	}
	body, err := ingest.ReadBody(c.Writer, c.Request, r.MaxBody)
	if err != nil {
		return 0, v2, err
	}
	raw, err := r.decompress(body)
	if err != nil {
		return 0, v2, err
	}
	req, err := Decode(raw, v2)
	if err != nil {
		return 0, v2, ingest.BadRequest("the body is not a valid remote_write request: " + err.Error())
	}
	md, n, err := ToMetrics(req)
	if err != nil {
		return 0, v2, ingest.BadRequest(err.Error())
	}
	return n, v2, r.Consumer.ConsumeMetrics(c.Request.Context(), otlpreceiver.ProtocolRemoteWrite, md)
}

// Decode decodes an uncompressed write request of 1.0 or 2.0.
func Decode(raw []byte, v2 bool) (*Request, error) {
	if v2 {
		return DecodeV2(raw)
	}
	return DecodeV1(raw)
}

func (r *Receiver) decompress(body []byte) ([]byte, error) {
	max := r.MaxBody
	if max <= 0 {
		max = ingest.DefaultMaxBody
	}
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, ingest.BadRequest("the body is not snappy-compressed (block format): " + err.Error())
	}
	if int64(n) > max {
		return nil, &ingest.RequestError{Status: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the decompressed request body is %d bytes, larger than %d (--ingest-max-body-bytes): lower remote_write's max_samples_per_send", n, max)}
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, ingest.BadRequest("the body is not snappy-compressed (block format): " + err.Error())
	}
	return raw, nil
}

// version reads the protocol version from the Content-Type; anything but
// protobuf of 1.0 or 2.0 is 415.
func version(contentType string) (v2 bool, err error) {
	if strings.TrimSpace(contentType) == "" {
		return false, nil // 1.0 senders that set no Content-Type
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-protobuf" {
		return false, unsupported(fmt.Sprintf("Content-Type %q is not remote_write: send application/x-protobuf (proto=%s or %s)", contentType, protoV1, protoV2))
	}
	switch params["proto"] {
	case "", protoV1:
		return false, nil
	case protoV2:
		return true, nil
	}
	return false, unsupported(fmt.Sprintf("remote_write message %q is not supported: send proto=%s or %s", params["proto"], protoV1, protoV2))
}

func unsupported(msg string) error {
	return &ingest.RequestError{Status: http.StatusUnsupportedMediaType, Msg: msg}
}
