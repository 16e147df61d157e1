package native

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest/ingesttest"
)

// BenchmarkNativeEndToEnd measures native events per second from HTTP
// request to rows committed in the embedded engine: a real HTTP server,
// decode and validation, the duplicate lookup, the group committer and the
// inserts. b.N counts events; concurrent clients send batch events a request.
//
//	go test -run '^$' -bench NativeEndToEnd -benchtime 20000x ./ingest/native/
func BenchmarkNativeEndToEnd(b *testing.B) {
	for _, bc := range []struct {
		batch, clients int
	}{{1, 64}, {100, 8}, {1000, 4}} {
		b.Run(fmt.Sprintf("batch=%d/clients=%d", bc.batch, bc.clients), func(b *testing.B) {
			env := ingesttest.New(b)
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			(&Receiver{Writer: env.Writer}).Register(e)
			hs := httptest.NewServer(e)
			defer hs.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bc.clients}}
			var next atomic.Int64
			var latency atomic.Int64
			var requests atomic.Int64
			requestsTotal := (b.N + bc.batch - 1) / bc.batch
			b.ResetTimer()
			start := time.Now()
			done := make(chan struct{})
			for c := 0; c < bc.clients; c++ {
				go func() {
					defer func() { done <- struct{}{} }()
					var sb strings.Builder
					for {
						r := next.Add(1) - 1
						if r >= int64(requestsTotal) {
							return
						}
						sb.Reset()
						for i := 0; i < bc.batch; i++ {
							n := r*int64(bc.batch) + int64(i)
							fmt.Fprintf(&sb, `{"id":"bench-%d","type":"deployment","service":"svc-%d","deployment_id":"d-%d","version":"1.%d","commit":"%040d","started_at":"2026-03-02T11:00:00Z","finished_at":"2026-03-02T11:05:00Z","status":"success","change_ids":["acme/shop#%d"]}`+"\n", n, n%50, n, n, n, n)
						}
						t0 := time.Now()
						res, err := client.Post(hs.URL+"/events", "application/x-ndjson", strings.NewReader(sb.String()))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 {
							b.Errorf("status %d", res.StatusCode)
							return
						}
						latency.Add(int64(time.Since(t0)))
						requests.Add(1)
					}
				}()
			}
			for c := 0; c < bc.clients; c++ {
				<-done
			}
			elapsed := time.Since(start)
			b.StopTimer()
			events := requestsTotal * bc.batch
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			if n := requests.Load(); n > 0 {
				b.ReportMetric(float64(latency.Load())/float64(n)/1e6, "ms/request")
			}
			if got := env.Count(b, "SELECT count() FROM deployments"); got != uint64(events) {
				b.Errorf("%d rows stored, want %d", got, events)
			}
		})
	}
}

// BenchmarkDecode is the CPU cost of reading and validating native events
// alone (no HTTP, no store), per event, in NDJSON requests of 1000.
//
//	go test -run '^$' -bench 'Decode$' ./ingest/native/
func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	for n := 0; n < 1000; n++ {
		fmt.Fprintf(&sb, `{"id":"bench-%d","type":"deployment","service":"svc-%d","deployment_id":"d-%d","version":"1.%d","commit":"%040d","started_at":"2026-03-02T11:00:00Z","finished_at":"2026-03-02T11:05:00Z","status":"success","change_ids":["acme/shop#%d"]}`+"\n", n, n%50, n, n, n, n)
	}
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)) / 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		if _, err := Decode(body, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
