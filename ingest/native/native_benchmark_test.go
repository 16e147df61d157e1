package native

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/ingesttest"
)

// benchCommit is the group committer as `deploylens serve` runs it (the
// defaults: MaxDelay 50ms, 2 workers), not the tests' 5ms delay.
var benchCommit = commit.Options{}

// BenchmarkNativeEndToEnd measures native events per second from HTTP
// request to rows committed in the embedded engine: a real HTTP server,
// decode and validation, the duplicate lookup, the group committer and the
// inserts. b.N counts events; concurrent clients send batch events a request.
// events/s is wall clock; events/cpu-s divides by the CPU time this process
// (the load generator included) and the engine process used, which is the
// per-core figure on a machine shared with other work.
//
//	go test -run '^$' -bench NativeEndToEnd -benchtime 20000x ./ingest/native/
func BenchmarkNativeEndToEnd(b *testing.B) {
	for _, bc := range []struct {
		batch, clients int
	}{{1, 64}, {100, 8}, {1000, 4}, {1000, 16}} {
		b.Run(fmt.Sprintf("batch=%d/clients=%d", bc.batch, bc.clients), func(b *testing.B) {
			env := ingesttest.NewWith(b, benchCommit)
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
			goCPU0, engineCPU0 := ingesttest.CPUUsed()
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
			goCPU, engineCPU := ingesttest.CPUUsed()
			goCPU, engineCPU = goCPU-goCPU0, engineCPU-engineCPU0
			b.StopTimer()
			events := requestsTotal * bc.batch
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			// CPU of the whole pipeline: this process (load generator
			// included) and the engine.
			b.ReportMetric(float64(events)/(goCPU+engineCPU).Seconds(), "events/cpu-s")
			b.ReportMetric(float64(goCPU.Microseconds())/float64(events), "go_cpu_µs/event")
			b.ReportMetric(float64(engineCPU.Microseconds())/float64(events), "engine_cpu_µs/event")
			if n := requests.Load(); n > 0 {
				b.ReportMetric(float64(latency.Load())/float64(n)/1e6, "ms/request")
			}
			if n := inserts(b, env, "deployments"); n > 0 {
				b.ReportMetric(float64(events)/n, "events/insert")
			}
			if got := env.Count(b, "SELECT count() FROM deployments"); got != uint64(events) {
				b.Errorf("%d rows stored, want %d", got, events)
			}
		})
	}
}

// BenchmarkNativeEndToEndLatency is issue 3's acknowledgement latency, for
// requests of one event (64 clients) and of 100 (16 clients): first as fast
// as the closed-loop clients go (the maximum rate, measured for maxPhase),
// then open loop — each request sent at its scheduled time whether or not
// earlier ones were answered — at half that rate for b.N requests (at most
// pacedPhase, at most maxInFlight open). The latency of a request counts from
// its scheduled time, so a stalled server is not hidden by a stalled load
// generator. Loopback only.
//
//	go test -run '^$' -bench NativeEndToEndLatency -benchtime 3000x ./ingest/native/
func BenchmarkNativeEndToEndLatency(b *testing.B) {
	for _, bc := range []struct{ batch, clients int }{{1, 64}, {100, 16}} {
		b.Run(fmt.Sprintf("batch=%d", bc.batch), func(b *testing.B) { benchLatency(b, bc.batch, bc.clients) })
	}
}

func benchLatency(b *testing.B, batch, clients int) {
	const (
		maxPhase    = 3 * time.Second
		pacedPhase  = 20 * time.Second
		maxInFlight = 2048
	)
	env := ingesttest.NewWith(b, benchCommit)
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	(&Receiver{Writer: env.Writer}).Register(e)
	hs := httptest.NewServer(e)
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxInFlight, MaxIdleConns: maxInFlight}}
	var next atomic.Int64
	post := func() error {
		var sb strings.Builder
		for range batch {
			n := next.Add(1)
			fmt.Fprintf(&sb, `{"id":"lat-%d","type":"deployment","service":"svc-%d","deployment_id":"d-%d","version":"1.%d","commit":"%040d","started_at":"2026-03-02T11:00:00Z","finished_at":"2026-03-02T11:05:00Z","status":"success","change_ids":["acme/shop#%d"]}`+"\n", n, n%50, n, n, n, n)
		}
		res, err := client.Post(hs.URL+"/events", "application/x-ndjson", strings.NewReader(sb.String()))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}

	// Phase 1: the maximum rate, closed loop.
	var sent atomic.Int64
	stop := time.Now().Add(maxPhase)
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := post(); err != nil {
					b.Error(err)
					return
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	maxRate := float64(sent.Load()) / time.Since(t0).Seconds() // requests/s
	rate := maxRate / 2
	if rate <= 0 || b.Failed() {
		b.Fatalf("no maximum rate measured")
	}

	// Phase 2: open loop at half the maximum rate.
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	var dropped atomic.Int64
	sem := make(chan struct{}, maxInFlight)
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(pacedPhase)
	issued := 0
	for i := 0; i < b.N; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.After(deadline) {
			break
		}
		time.Sleep(time.Until(due))
		select {
		case sem <- struct{}{}:
		default:
			dropped.Add(1) // too many open: the server is not keeping up
			continue
		}
		issued++
		wg.Add(1)
		go func(due time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := post(); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(due)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}(due)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no request answered")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6 }
	b.ReportMetric(maxRate*float64(batch), "max_events/s")
	b.ReportMetric(float64(len(lat)*batch)/elapsed.Seconds(), "paced_events/s")
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max_ms")
	if n := dropped.Load(); n > 0 {
		b.Errorf("%d of %d requests not sent: more than %d open at once", n, issued+int(n), maxInFlight)
	}
	if got, want := env.Count(b, "SELECT count() FROM deployments"), uint64(next.Load()); got != want {
		b.Errorf("%d rows stored, want %d", got, want)
	}
}

// inserts is how many group inserts into table the committer made.
func inserts(b *testing.B, env *ingesttest.Env, table string) float64 {
	mfs, err := env.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "deploylens_commit_inserts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
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
