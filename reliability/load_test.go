//go:build reliability

package reliability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// request is one ingest request, sent and retried until acknowledged.
type request struct {
	kind        string // what it carries: one of kinds
	path        string
	contentType string
	encoding    string
	body        []byte
	// rows maps each key that identifies rows in the store (an event id, a
	// trace id, a batch label) to how many rows under it the request carries.
	rows map[string]int
}

// The kinds of rows the load sends.
const (
	kindNative  = "native events"
	kindSpans   = "spans"
	kindLogs    = "log records"
	kindSamples = "samples"
)

var kinds = []string{kindNative, kindSpans, kindLogs, kindSamples}

// ledger records what the server answered.
type ledger struct {
	mu        sync.Mutex
	acked     map[string]map[string]int  // kind → key → rows acknowledged
	byTarget  map[string]int             // base URL → requests acknowledged
	latency   map[string][]time.Duration // kind → time to the 2xx of each acknowledged request's last attempt
	started   map[string]int             // kind → requests started
	skipped   map[string]int             // kind → requests not started: too many in flight
	abandoned map[string]int             // kind → requests never acknowledged
	// refused counts 429 and 503 answers by status; noRetryAfter those of
	// them without a Retry-After header.
	refused      map[int]int
	noRetryAfter int
	// unexpected counts every other failure by status (0: no answer).
	unexpected map[int]int
	examples   []string // the first few unexpected answers
}

func newLedger() *ledger {
	return &ledger{
		acked: map[string]map[string]int{}, byTarget: map[string]int{}, latency: map[string][]time.Duration{},
		started: map[string]int{}, skipped: map[string]int{}, abandoned: map[string]int{},
		refused: map[int]int{}, unexpected: map[int]int{},
	}
}

func (l *ledger) ack(base string, r request, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byTarget[base]++
	m := l.acked[r.kind]
	if m == nil {
		m = map[string]int{}
		l.acked[r.kind] = m
	}
	for k, n := range r.rows {
		m[k] += n
	}
	l.latency[r.kind] = append(l.latency[r.kind], took)
}

func (l *ledger) refuse(status int, retryAfter string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused[status]++
	if retryAfter == "" {
		l.noRetryAfter++
	}
}

func (l *ledger) fail(status int, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unexpected[status]++
	if len(l.examples) < 5 {
		l.examples = append(l.examples, what)
	}
}

func (l *ledger) count(m map[string]int, kind string) {
	l.mu.Lock()
	m[kind]++
	l.mu.Unlock()
}

// ackedRows is every row of kind that was acknowledged.
func (l *ledger) ackedRows(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.acked[kind] {
		n += v
	}
	return n
}

// ackedKeys is a copy of the acknowledged keys of kind.
func (l *ledger) ackedKeys(kind string) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.acked[kind]))
	for k, v := range l.acked[kind] {
		out[k] = v
	}
	return out
}

// refusals is how many requests were answered 429 or 503.
func (l *ledger) refusals() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.refused {
		n += v
	}
	return n
}

// refusedByStatus is how many requests were answered 429 and 503.
func (l *ledger) refusedByStatus() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.refused))
	for k, v := range l.refused {
		out[k] = v
	}
	return out
}

// failures is how many answers were neither 2xx nor a 429/503, by status
// (0: no answer at all).
func (l *ledger) failures() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.unexpected))
	for k, v := range l.unexpected {
		out[k] = v
	}
	return out
}

// latencies returns the p50 and p99 acknowledgement latency over kinds
// (every kind when none is named).
func (l *ledger) latencies(only ...string) (p50, p99 time.Duration) {
	l.mu.Lock()
	var all []time.Duration
	for kind, ds := range l.latency {
		if len(only) == 0 || slices.Contains(only, kind) {
			all = append(all, ds...)
		}
	}
	l.mu.Unlock()
	return percentile(all, 0.50), percentile(all, 0.99)
}

// percentile is the nearest-rank q-quantile.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// checkAnswers fails the test for any answer other than 2xx, 429 or 503, for
// a refusal without Retry-After, and for requests given up on; noAnswer
// allows connection errors (the server was killed).
func (l *ledger) checkAnswers(t *testing.T, noAnswer bool) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for status, n := range l.unexpected {
		if status == 0 && noAnswer {
			continue
		}
		t.Errorf("%d requests answered %d (0: no answer); first ones: %s", n, status, strings.Join(l.examples, " | "))
	}
	if l.noRetryAfter > 0 {
		t.Errorf("%d refusals (429/503) came without Retry-After", l.noRetryAfter)
	}
	for kind, n := range l.abandoned {
		t.Errorf("%d %s requests were never acknowledged before the drain deadline", n, kind)
	}
}

// sender sends requests to deploylens and retries each until it is
// acknowledged, honouring Retry-After.
type sender struct {
	hc     *http.Client
	ledger *ledger
	// targets are base URLs; request number seq of a stream goes to
	// targets[seq % len(targets)] and is retried there.
	targets []string
}

func newSender(targets ...string) *sender {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second}
	return &sender{hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, ledger: newLedger(), targets: targets}
}

// deliver sends r until it is acknowledged, a non-retryable answer comes, or
// ctx ends. A refusal waits for its Retry-After; no answer at all (a killed
// server, a cut connection) waits half a second.
func (s *sender) deliver(ctx context.Context, base string, r request) {
	for {
		start := time.Now()
		status, retryAfter, body, err := s.post(ctx, base, r)
		took := time.Since(start)
		var wait time.Duration
		switch {
		case err == nil && status/100 == 2:
			s.ledger.ack(base, r, took)
			return
		case ctx.Err() != nil:
			s.ledger.count(s.ledger.abandoned, r.kind)
			return
		case err != nil:
			s.ledger.fail(0, err.Error())
			wait = 500 * time.Millisecond
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			s.ledger.refuse(status, retryAfter)
			wait = parseRetryAfter(retryAfter)
		default:
			s.ledger.fail(status, fmt.Sprintf("%s %d %s", r.path, status, body))
			return
		}
		select {
		case <-ctx.Done():
			s.ledger.count(s.ledger.abandoned, r.kind)
			return
		case <-time.After(wait):
		}
	}
}

func (s *sender) post(ctx context.Context, base string, r request) (status int, retryAfter string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", r.contentType)
	if r.encoding != "" {
		req.Header.Set("Content-Encoding", r.encoding)
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	body, _ = io.ReadAll(io.LimitReader(res.Body, 1024))
	return res.StatusCode, res.Header.Get("Retry-After"), body, nil
}

// parseRetryAfter reads delay-seconds (what deploylens sends); anything else
// waits a second.
func parseRetryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

// stream is one kind of request sent at a fixed rate.
type stream struct {
	kind   string
	perSec float64 // requests per second
	next   func(seq int) request
}

// maxInFlight bounds the requests of one stream outstanding at once, as
// senders with bounded queues would: a tick that finds them all busy is
// skipped and counted. At the default rates it allows about 6 s of
// acknowledgement latency before the load thins.
const maxInFlight = 256

// load is a run of streams, from start until finish.
type load struct {
	halt    chan struct{}      // closed by finish: start no more requests
	cancel  context.CancelFunc // gives up on requests not yet acknowledged
	gens    sync.WaitGroup     // the generators
	sends   sync.WaitGroup     // the requests
	begin   time.Time
	elapsed time.Duration // how long requests were started, once finished
}

// start sends every stream at its rate until finish.
func (s *sender) start(streams []stream) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{halt: make(chan struct{}), cancel: cancel, begin: time.Now()}
	for _, st := range streams {
		l.gens.Add(1)
		go func() {
			defer l.gens.Done()
			slots := make(chan struct{}, maxInFlight)
			tick := time.NewTicker(time.Duration(float64(time.Second) / st.perSec))
			defer tick.Stop()
			for seq := 0; ; seq++ {
				select {
				case <-l.halt:
					return
				case <-tick.C:
				}
				select {
				case slots <- struct{}{}:
				default:
					s.ledger.count(s.ledger.skipped, st.kind)
					continue
				}
				s.ledger.count(s.ledger.started, st.kind)
				r := st.next(seq)
				base := s.targets[seq%len(s.targets)]
				l.sends.Add(1)
				go func() {
					defer l.sends.Done()
					defer func() { <-slots }()
					s.deliver(ctx, base, r)
				}()
			}
		}()
	}
	return l
}

// finish stops starting requests and waits up to drain for those still
// unacknowledged, then gives up on the rest (counted as abandoned).
func (l *load) finish(drain time.Duration) {
	close(l.halt)
	l.gens.Wait()
	l.elapsed = time.Since(l.begin)
	done := make(chan struct{})
	go func() { l.sends.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		l.cancel()
		<-done
	}
	l.cancel()
}

// run is start, then finish after d.
func (s *sender) run(streams []stream, d, drain time.Duration) *load {
	l := s.start(streams)
	time.Sleep(d)
	l.finish(drain)
	return l
}

// rates describes what was acknowledged per kind: rows, rows per second over
// the load's duration, and requests skipped because too many were in flight.
func (s *sender) rates(l *load) string {
	var parts []string
	for _, kind := range kinds {
		n := s.ledger.ackedRows(kind)
		s.ledger.mu.Lock()
		started, skipped := s.ledger.started[kind], s.ledger.skipped[kind]
		s.ledger.mu.Unlock()
		if n == 0 && started == 0 {
			continue
		}
		part := fmt.Sprintf("%s %d (%.0f/s)", kind, n, float64(n)/l.elapsed.Seconds())
		if sk := skipped; sk > 0 {
			part += fmt.Sprintf(" %d requests skipped", sk)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}
