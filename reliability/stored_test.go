//go:build reliability

package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// entityTables are the native events' tables with, for each, its entity
// view and the view's id column. The load's events are each their own
// entity, so an event id is an entity id.
var entityTables = []struct{ table, view, id string }{
	{"changes", "changes_current", "change_id"},
	{"pipeline_stages", "pipeline_stages_current", "run_id"},
	{"deployments", "deployments_current", "deployment_id"},
	{"incidents", "incidents_current", "incident_id"},
}

// storedEvents counts, per event id of run, the rows the entity tables hold
// once merged (FINAL): 1 for an event stored once, however often it was
// delivered.
func storedEvents(t *testing.T, conn driver.Conn, run string) map[string]int {
	t.Helper()
	var parts []string
	var args []any
	for _, e := range entityTables {
		parts = append(parts, "SELECT event_id FROM "+e.table+" FINAL WHERE startsWith(event_id, ?)")
		args = append(args, run+"-")
	}
	return countBy(t, conn, "SELECT event_id, count() FROM ("+strings.Join(parts, " UNION ALL ")+") GROUP BY event_id", args...)
}

// entityState counts run's entities in the *_current views, and the events
// those views merged (their events column, which counts stored copies:
// more than the entities when a copy awaits its merge).
func entityState(t *testing.T, conn driver.Conn, run string) (entities, copies int) {
	t.Helper()
	for _, e := range entityTables {
		var n, c uint64
		q := fmt.Sprintf("SELECT count(), sum(events) FROM %s WHERE startsWith(%s, ?)", e.view, e.id)
		if err := conn.QueryRow(context.Background(), q, run+"-").Scan(&n, &c); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		entities += int(n)
		copies += int(c)
	}
	return entities, copies
}

// storedTelemetry counts the rows of kind that service's requests stored,
// by the key each request put on its rows.
func storedTelemetry(t *testing.T, conn driver.Conn, kind, service string) map[string]int {
	t.Helper()
	q := map[string]string{
		kindSpans:   "SELECT TraceId, count() FROM otel_traces WHERE ServiceName = ? GROUP BY TraceId",
		kindLogs:    "SELECT TraceId, count() FROM otel_logs WHERE ServiceName = ? GROUP BY TraceId",
		kindSamples: "SELECT Attributes['batch'], count() FROM otel_metrics_gauge WHERE ServiceName = ? AND MetricName = 'reliability_load' GROUP BY 1",
	}[kind]
	return countBy(t, conn, q, service)
}

// stored counts what a run stored of kind.
func stored(t *testing.T, conn driver.Conn, p payloads, kind string) map[string]int {
	if kind == kindNative {
		return storedEvents(t, conn, p.run)
	}
	return storedTelemetry(t, conn, kind, p.service)
}

func countBy(t *testing.T, conn driver.Conn, q string, args ...any) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n uint64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = int(n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tally compares what was acknowledged with what is stored, in rows.
type tally struct {
	acked, stored int
	missing       int // acknowledged rows not stored
	doubled       int // rows of acknowledged keys stored beyond their count
	unacked       int // rows stored under keys never acknowledged
}

func compare(acked, stored map[string]int) tally {
	var c tally
	for k, n := range acked {
		c.acked += n
		s := stored[k]
		c.missing += max(0, n-s)
		c.doubled += max(0, s-n)
	}
	for k, n := range stored {
		c.stored += n
		if _, ok := acked[k]; !ok {
			c.unacked += n
		}
	}
	return c
}

func (c tally) String() string {
	s := fmt.Sprintf("acked=%d stored=%d", c.acked, c.stored)
	if c.missing+c.doubled+c.unacked > 0 {
		s += fmt.Sprintf(" (missing %d, stored twice %d, never acked %d)", c.missing, c.doubled, c.unacked)
	}
	return s
}

// verify compares every kind the sender sent with the store and returns
// the tallies. exact kinds must match exactly: every acknowledged row stored,
// once, and nothing stored that was not acknowledged; the others need only
// every acknowledged row stored (a request that failed after part of its
// group was inserted is stored again by its retry: telemetry tables keep no
// ids to collapse on).
func verify(t *testing.T, conn driver.Conn, p payloads, s *sender, exact ...string) map[string]tally {
	t.Helper()
	out := map[string]tally{}
	for _, kind := range kinds {
		acked := s.ledger.ackedKeys(kind)
		if len(acked) == 0 {
			continue
		}
		c := compare(acked, stored(t, conn, p, kind))
		out[kind] = c
		switch {
		case c.missing > 0:
			t.Errorf("%s: %d acknowledged rows are not stored (%v)", kind, c.missing, c)
		case slices.Contains(exact, kind) && (c.doubled > 0 || c.unacked > 0):
			t.Errorf("%s: stored differs from acknowledged: %v", kind, c)
		}
	}
	return out
}

// summary is one line of tallies, in the order of kinds.
func summary(tallies map[string]tally) string {
	var parts []string
	for _, kind := range kinds {
		if c, ok := tallies[kind]; ok {
			parts = append(parts, kind+" "+c.String())
		}
	}
	return strings.Join(parts, "; ")
}
