package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/server"
)

// DefaultMaxBody caps request bodies: GitHub's own limit on a webhook payload
// is 25 MB.
const DefaultMaxBody = 25 << 20

// Decode splits one request into deliveries and translates each. It also
// authenticates webhooks, whose signatures cover the body.
type Decode func(c *gin.Context, body []byte) ([]Item, error)

// Handle is the HTTP path every receiver shares: read the body (at most
// maxBody bytes, 413 past it), decode, write, answer 200 with the Result
// once the rows are committed, or the error through Respond.
func (w *Writer) Handle(source string, maxBody int64, decode Decode) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := w.handle(c, source, maxBody, decode)
		if err != nil {
			w.Metrics.Rejected(source, err)
			Respond(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

func (w *Writer) handle(c *gin.Context, source string, maxBody int64, decode Decode) (Result, error) {
	body, err := ReadBody(c.Writer, c.Request, maxBody)
	if err != nil {
		return Result{}, err
	}
	items, err := decode(c, body)
	if err != nil {
		return Result{}, err
	}
	return w.Write(c.Request.Context(), source, items)
}

// ReadBody reads a request body of at most max bytes, after gzip decoding
// when the request says Content-Encoding: gzip.
func ReadBody(rw http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBody
	}
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	var src io.Reader = http.MaxBytesReader(rw, r.Body, max)
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, BadRequest("the body is not gzip although Content-Encoding says so: " + err.Error())
		}
		defer zr.Close()
		src = io.LimitReader(zr, max+1)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(src)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(max)
	case server.IsTimeout(err):
		return nil, &RequestError{Status: http.StatusRequestTimeout, Msg: server.BodyTimeoutMessage}
	case err != nil:
		return nil, BadRequest("the body cannot be read: " + err.Error())
	case int64(buf.Len()) > max:
		return nil, tooLarge(max)
	}
	return buf.Bytes(), nil
}

func tooLarge(max int64) *RequestError {
	return &RequestError{Status: http.StatusRequestEntityTooLarge,
		Msg: fmt.Sprintf("the request body is larger than %d bytes (--ingest-max-body-bytes): send fewer events per request", max)}
}
