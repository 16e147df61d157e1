//go:build reliability

package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Native events, OTLP traces and logs and remote_write samples at fixed
// rates for settings.sustained: every request is acknowledged, every
// acknowledged row is stored exactly once and nothing else is, and the
// acknowledgement latency is reported.
func TestSustainedMixedLoad(t *testing.T) {
	dir := t.TempDir()
	n := startServe(t, "deploylens", dir)
	mem := watchMemory(t, map[string]func() int{"deploylens": n.pid, "engine": func() int { return enginePID(dir) }})
	p := newPayloads("sustained")
	s := newSender(n.url)
	streams := p.mixed()
	l := s.run(streams, settings.sustained, 2*time.Minute)
	mem.close()

	s.ledger.checkAnswers(t, false)
	for _, st := range streams {
		offered := st.perSec * l.elapsed.Seconds() * float64(rowsPerRequest(st))
		if got := s.ledger.ackedRows(st.kind); float64(got) < 0.9*offered {
			t.Errorf("%s: %d rows acknowledged of %.0f offered: deploylens did not keep up with %.0f/s", st.kind, got, offered, st.perSec*float64(rowsPerRequest(st)))
		}
	}
	st := openStore(t, engineURL(t, dir))
	tallies := verify(t, st.Conn, p, s, kinds...)
	ids := len(storedEvents(t, st.Conn, p.run))
	if entities, _ := entityState(t, st.Conn, p.run); entities != ids {
		t.Errorf("the entity views hold %d entities for %d stored event ids", entities, ids)
	}
	p50, p99 := s.ledger.latencies()
	var perKind []string
	for _, kind := range kinds {
		_, k99 := s.ledger.latencies(kind)
		perKind = append(perKind, fmt.Sprintf("%s %d", kind, k99.Milliseconds()))
	}
	report(t, "sustained: %s over %v; %s; refused %d; ack latency p50 %d ms, p99 %d ms (p99 by kind, ms: %s); peak RSS deploylens %.0f MB, engine %.0f MB",
		s.rates(l), l.elapsed.Round(time.Second), summary(tallies), s.ledger.refusals(), p50.Milliseconds(), p99.Milliseconds(),
		strings.Join(perKind, ", "), mem.peak("deploylens", time.Time{}, time.Time{}), mem.peak("engine", time.Time{}, time.Time{}))
	n.stop(t)
}

// rowsPerRequest is how many rows each request of st carries.
func rowsPerRequest(st stream) int {
	n := 0
	for _, v := range st.next(0).rows {
		n += v
	}
	return n
}
