//go:build reliability

package reliability

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Settings of the slow-engine test: a small commit buffer, so that the
// slow phase fills it within seconds, and inserts held long enough that the
// mixed load offers far more than deploylens can commit.
const (
	slowInsertDelay   = 2 * time.Second
	slowMaxRows       = 500
	slowMaxPending    = 2000
	slowWarmUpDivisor = 3 // the warm-up lasts phase / slowWarmUpDivisor
)

// The engine turns slow (a proxy holds every INSERT for 2 s) while the
// mixed load runs: deploylens refuses with 503/429 and Retry-After instead
// of buffering past --commit-max-pending-rows, its memory stays bounded,
// and once the engine is fast again every acknowledged row is stored,
// exactly once.
func TestSlowEngineGetsBackpressure(t *testing.T) {
	engineDir := t.TempDir()
	_, engineURL := startEngine(t, engineDir)
	proxy := newSlowProxy(t, engineURL, slowInsertDelay)
	n := startServe(t, "deploylens", t.TempDir(), "--clickhouse-url", proxy.URL,
		"--commit-max-rows", strconv.Itoa(slowMaxRows), "--commit-max-pending-rows", strconv.Itoa(slowMaxPending))
	mem := watchMemory(t, map[string]func() int{"deploylens": n.pid, "engine": func() int { return enginePID(engineDir) }})
	pending := watchPending(t, n.url)
	p := newPayloads("slow")
	s := newSender(n.url)
	l := s.start(p.mixed())

	time.Sleep(settings.phase / slowWarmUpDivisor)
	refusedBefore := s.ledger.refusals()
	slowFrom := time.Now()
	proxy.slow.Store(true)
	time.Sleep(settings.phase)
	proxy.slow.Store(false)
	slowTo := time.Now()
	l.finish(3 * time.Minute)
	mem.close()
	pending.close()

	s.ledger.checkAnswers(t, false)
	refused := s.ledger.refusals() - refusedBefore
	if refused == 0 {
		t.Error("nothing was refused while the engine was slow: deploylens queued without bound")
	}
	if proxy.held.Load() == 0 {
		t.Error("the proxy held no INSERT: the engine was never slow")
	}
	if peak := pending.peak(); peak > slowMaxPending {
		t.Errorf("deploylens buffered %d rows, past --commit-max-pending-rows %d", peak, slowMaxPending)
	}
	st := openStore(t, engineURL)
	tallies := verify(t, st.Conn, p, s, kinds...)
	before := mem.peak("deploylens", time.Time{}, slowFrom)
	during := mem.peak("deploylens", slowFrom, slowTo)
	// The buffer bound is 2000 rows and each stream keeps at most maxInFlight
	// requests open: what a slow engine can add is a few MB of bodies, far
	// from the offered load it refuses (mixed rates × phase, ~10k rows/s).
	if during > before+64 {
		t.Errorf("deploylens grew from %.0f MB to %.0f MB while the engine was slow", before, during)
	}
	report(t, "slow engine (INSERT +%v for %v, --commit-max-pending-rows %d): refused %d (by status %v); peak pending rows %d; acknowledged %s; %s; peak RSS deploylens %.0f MB before, %.0f MB while slow",
		slowInsertDelay, slowTo.Sub(slowFrom).Round(time.Second), slowMaxPending, refused, s.ledger.refusedByStatus(), pending.peak(),
		s.rates(l), summary(tallies), before, during)
	n.stop(t)
}

// slowProxy forwards ClickHouse HTTP requests to the engine, holding each
// INSERT for a delay while slow is set.
type slowProxy struct {
	*httptest.Server
	slow atomic.Bool
	held atomic.Int64 // INSERTs held so far
}

func newSlowProxy(t *testing.T, target string, delay time.Duration) *slowProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	p := &slowProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// clickhouse-go sends an insert's statement in the query parameter
		// and its rows in the body.
		if p.slow.Load() && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("query"))), "INSERT") {
			p.held.Add(1)
			time.Sleep(delay)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// pendingWatch scrapes deploylens_commit_pending_rows from /metrics.
type pendingWatch struct {
	mu   sync.Mutex
	max  int
	stop chan struct{}
	done chan struct{}
}

func watchPending(t *testing.T, base string) *pendingWatch {
	w := &pendingWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			if n, ok := scrapeGauge(base+"/metrics", "deploylens_commit_pending_rows"); ok {
				w.mu.Lock()
				w.max = max(w.max, n)
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(w.close)
	return w
}

func (w *pendingWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *pendingWatch) peak() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}

// scrapeGauge reads one unlabelled gauge from a Prometheus text exposition.
func scrapeGauge(url, name string) (int, bool) {
	res, err := http.Get(url)
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err == nil
		}
	}
	return 0, false
}
