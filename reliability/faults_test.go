//go:build reliability

package reliability

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/deploylens/deploylens/store/embedded"
)

// killMaxPending is the engine-kill test's --commit-max-pending-rows. What
// deploylens buffers while it catches up after the outage is what grows its
// memory (about 2 KiB a row, measured); this bound keeps that within the
// test's memory bound, as an operator sizes it for theirs.
const killMaxPending = 20000

// The embedded engine is SIGKILLed while the mixed load runs. While it is
// down deploylens refuses with 503/429 and Retry-After, the senders retry,
// deploylens restarts the engine, and afterwards every acknowledged row is
// stored, no event twice in the entity state, with deploylens' memory
// bounded throughout.
func TestEngineKilledMidLoad(t *testing.T) {
	dir := t.TempDir()
	n := startServe(t, "deploylens", dir, "--commit-max-pending-rows", strconv.Itoa(killMaxPending))
	mem := watchMemory(t, map[string]func() int{"deploylens": n.pid, "engine": func() int { return enginePID(dir) }})
	pending := watchPending(t, n.url)
	p := newPayloads("enginekill")
	s := newSender(n.url)
	l := s.start(p.mixed())

	time.Sleep(settings.phase)
	killed := enginePID(dir)
	refusedBefore := s.ledger.refusals()
	killedAt := time.Now()
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatalf("kill engine %d: %v", killed, err)
	}
	waitFor(t, 2*time.Minute, "deploylens to restart the engine", func() bool {
		pid := enginePID(dir)
		if pid == 0 || pid == killed {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return embedded.Ping(ctx, engineURL(t, dir)) == nil
	})
	outage := time.Since(killedAt)
	recoveredAt := time.Now()
	time.Sleep(settings.phase)
	l.finish(3 * time.Minute)
	mem.close()
	pending.close()

	s.ledger.checkAnswers(t, false)
	refused := s.ledger.refusals() - refusedBefore
	if refused == 0 {
		t.Error("no request was refused while the engine was down: the fault was not seen")
	}
	st := openStore(t, engineURL(t, dir))
	tallies := verify(t, st.Conn, p, s, kindNative)
	ids := len(storedEvents(t, st.Conn, p.run))
	entities, copies := entityState(t, st.Conn, p.run)
	if entities != ids {
		t.Errorf("the entity views hold %d entities for %d stored event ids: an event is stored twice", entities, ids)
	}
	steady := mem.peak("deploylens", time.Time{}, killedAt)
	down := mem.peak("deploylens", killedAt, recoveredAt)
	after := mem.peak("deploylens", recoveredAt, time.Time{})
	// Refusing keeps nothing, and catching up buffers at most killMaxPending
	// rows: neither may take deploylens past twice what the load needs.
	if max(down, after) > 2*steady {
		t.Errorf("deploylens grew from %.0f MB to %.0f MB while the engine was down and %.0f MB catching up", steady, down, after)
	}
	if pending.peak() > killMaxPending {
		t.Errorf("deploylens buffered %d rows, past --commit-max-pending-rows %d", pending.peak(), killMaxPending)
	}
	_, p99 := s.ledger.latencies()
	report(t, "engine killed (--commit-max-pending-rows %d): outage %v; refused %d (by status %v); %s; entity copies awaiting merge %d; ack p99 %d ms; peak pending rows %d; peak RSS deploylens %.0f MB before, %.0f MB while down, %.0f MB catching up; engine %.0f MB",
		killMaxPending, outage.Round(100*time.Millisecond), refused, s.ledger.refusedByStatus(), summary(tallies), copies-entities, p99.Milliseconds(),
		pending.peak(), steady, down, after, mem.peak("engine", time.Time{}, time.Time{}))
	n.stop(t)
}

// deploylens is SIGKILLed while the mixed load runs (its engine follows it:
// it watches its parent) and started again on the same data directory and
// address; every row acknowledged before or after is stored.
func TestDeploylensKilledMidLoad(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	n := startServe(t, "deploylens", dir, "--http-addr", addr)
	p := newPayloads("servekill")
	s := newSender(n.url)
	l := s.start(p.mixed())

	time.Sleep(settings.phase)
	engine := enginePID(dir)
	ackedBefore := s.ledger.ackedRows(kindNative)
	killedAt := time.Now()
	n.kill()
	waitFor(t, 30*time.Second, "the engine to exit after its parent", func() bool { return syscall.Kill(engine, 0) != nil })
	engineGone := time.Since(killedAt)
	n = startServe(t, "deploylens (restarted)", dir, "--http-addr", addr)
	downtime := time.Since(killedAt)
	time.Sleep(settings.phase)
	l.finish(3 * time.Minute)

	s.ledger.checkAnswers(t, true)
	if s.ledger.failures()[0] == 0 {
		t.Error("no request went unanswered while deploylens was down: the fault was not seen")
	}
	if s.ledger.ackedRows(kindNative) == ackedBefore {
		t.Error("nothing was acknowledged after the restart")
	}
	st := openStore(t, engineURL(t, dir))
	tallies := verify(t, st.Conn, p, s, kindNative)
	ids := len(storedEvents(t, st.Conn, p.run))
	if entities, _ := entityState(t, st.Conn, p.run); entities != ids {
		t.Errorf("the entity views hold %d entities for %d stored event ids: an event is stored twice", entities, ids)
	}
	report(t, "deploylens killed: engine gone %v after, serving again %v after the kill; %d attempts unanswered meanwhile; %s",
		engineGone.Round(100*time.Millisecond), downtime.Round(100*time.Millisecond), s.ledger.failures()[0], summary(tallies))
	n.stop(t)
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
