package ingest_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deploylens/deploylens/ingest"
)

// zerosGzip compresses n zero bytes, producing them lazily: the returned
// reader holds at most one chunk at a time, and produced counts how many
// zero bytes were compressed before the reader was closed.
func zerosGzip(n int64) (r io.ReadCloser, produced *atomic.Int64) {
	pr, pw := io.Pipe()
	produced = &atomic.Int64{}
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestCompression)
		chunk := make([]byte, 64<<10)
		for left := n; left > 0; {
			k := min(left, int64(len(chunk)))
			if _, err := zw.Write(chunk[:k]); err != nil {
				pw.CloseWithError(err)
				return
			}
			produced.Add(k)
			left -= k
		}
		pw.CloseWithError(zw.Close())
	}()
	return pr, produced
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// ReadBody bounds what a request may make deploylens hold: the body as
// sent and, for gzip, as decompressed. A gzip bomb is refused once the
// decompressed bytes pass the cap, having read and allocated about the
// cap, never the bomb.
func TestReadBodyRefusesBombsAndOversizeBodies(t *testing.T) {
	const max = 1 << 20
	for _, tc := range []struct {
		name     string
		body     func() (io.ReadCloser, *atomic.Int64)
		length   int64 // Content-Length; -1 unknown (chunked)
		encoding string
		want     int // 0: accepted
		wantMsg  string
	}{
		{"gzip within the cap", func() (io.ReadCloser, *atomic.Int64) { return zerosGzip(max) }, -1, "gzip", 0, ""},
		{"10 MB of zeros in about 10 KB of gzip", func() (io.ReadCloser, *atomic.Int64) { return zerosGzip(10 << 20) }, -1, "gzip", 413, "larger than 1048576 bytes"},
		{"1 GB of zeros in gzip, generated lazily", func() (io.ReadCloser, *atomic.Int64) { return zerosGzip(1 << 30) }, -1, "gzip", 413, "larger than 1048576 bytes"},
		{"plain body one byte over the cap", plain(max + 1), -1, "", 413, "--ingest-max-body-bytes"},
		{"plain body at the cap", plain(max), -1, "", 0, ""},
		{"declared length over the cap", plain(10), max + 1, "", 413, "larger than 1048576 bytes"},
		{"truncated gzip", func() (io.ReadCloser, *atomic.Int64) {
			z := gzipped(bytes.Repeat([]byte("x"), 1000))
			return io.NopCloser(bytes.NewReader(z[:len(z)/2])), nil
		}, -1, "gzip", 400, "the body cannot be read"},
		{"not gzip although declared", plain(100), -1, "gzip", 400, "the body is not gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, produced := tc.body()
			defer body.Close()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/events", body)
			req.ContentLength = tc.length
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := ingest.ReadBody(httptest.NewRecorder(), req, max)
			runtime.ReadMemStats(&after)
			body.Close()
			status := 0
			if err != nil {
				var re *ingest.RequestError
				if !errors.As(err, &re) {
					t.Fatalf("error %v is not a RequestError", err)
				}
				status = re.Status
				if !strings.Contains(re.Msg, tc.wantMsg) {
					t.Errorf("message %q does not say %q", re.Msg, tc.wantMsg)
				}
			}
			if status != tc.want {
				t.Fatalf("status %d (%v), want %d", status, err, tc.want)
			}
			if tc.want == 0 && len(got) == 0 {
				t.Fatal("an accepted body came back empty")
			}
			// About the cap, not the bomb: bytes.Buffer doubles past it once.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*max {
				t.Errorf("reading allocated %d bytes, more than 8 times the %d-byte cap", alloc, max)
			}
			if produced != nil && tc.want == 413 {
				if n := produced.Load(); n > 4*max {
					t.Errorf("the sender compressed %d bytes before being cut off, more than 4 times the cap", n)
				}
			}
		})
	}
}

func plain(n int) func() (io.ReadCloser, *atomic.Int64) {
	return func() (io.ReadCloser, *atomic.Int64) {
		return io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("{"), n))), nil
	}
}
