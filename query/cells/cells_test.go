package cells

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// TestSupersededFactsAreDropped: a generation superseded longer than the
// grace ago loses its facts; the current one and one superseded a moment
// ago (an answer may still be reading it) keep theirs.
func TestSupersededFactsAreDropped(t *testing.T) {
	conn := deliverytest.Open(t)
	k := &Keeper{Conn: conn}
	kind := Kind{Name: "test", Variant: "v1", Tables: []string{"dora_facts", "dora_leads"}}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	computed := map[uint64]time.Time{
		11: now.Add(-time.Hour),                     // superseded by 12 over the grace ago
		12: now.Add(-SupersededGrace - time.Minute), // superseded by 13 a moment ago
		13: now.Add(-time.Minute),                   // superseded by 14 just now
		14: now,                                     // current
	}
	for gen, when := range computed {
		if err := k.Record(ctx, kind, "api", "production", gen, when); err != nil {
			t.Fatal(err)
		}
		for _, table := range kind.Tables {
			if err := conn.Exec(ctx, fmt.Sprintf("INSERT INTO %s (generation, service) VALUES (%d, 'api')", table, gen)); err != nil {
				t.Fatal(err)
			}
		}
	}
	k.Collect(ctx, kind, "api", "production", now)
	for _, table := range []string{"dora_facts", "dora_leads", "fact_cells"} {
		var kept []uint64
		if err := conn.QueryRow(ctx, "SELECT arraySort(groupUniqArray(generation)) FROM "+table).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if want := []uint64{12, 13, 14}; !slices.Equal(kept, want) {
			t.Errorf("%s keeps generations %v, want %v", table, kept, want)
		}
	}
}

// TestOldCellsAreComputedAgain: cell_marks keeps a week of writes and
// entity_touches a day of writes not mapped yet, so a cell computed longer
// ago than a week, or any cell when no answer mapped touches for over a
// day, is computed again even with no mark in sight; a younger one with
// no write since is reused.
func TestOldCellsAreComputedAgain(t *testing.T) {
	conn := deliverytest.Open(t)
	ctx := context.Background()
	deliverytest.Seed(t, conn, deliverytest.History{Deployments: []deliverytest.Deployment{{
		Event: deliverytest.Event{Team: "payments", Service: "api"}, DeploymentID: "d1", Status: "success",
		FinishedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}})
	// The seed's own touches would make any cell stale; this test is about
	// cells whose writes are older than the marks and touches kept.
	if err := conn.Exec(ctx, "TRUNCATE TABLE entity_touches"); err != nil {
		t.Fatal(err)
	}
	kind := testKind()
	k := &Keeper{Conn: conn}
	scope := delivery.Scope{Team: "payments"}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name             string
		computed, mapped time.Duration // ago
		reused           bool
	}{
		{"computed a day ago", day, time.Hour, true},
		{"computed eight days ago", 8 * day, time.Hour, false},
		{"touches unmapped for two days", day, 2 * day, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, table := range []string{"fact_cells", "touches_mapped"} {
				if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
					t.Fatal(err)
				}
			}
			if err := conn.Exec(ctx, "INSERT INTO touches_mapped (upto) VALUES (?)", time.Now().Add(-tc.mapped)); err != nil {
				t.Fatal(err)
			}
			if err := k.Record(ctx, kind, "api", "production", 7, time.Now().Add(-tc.computed)); err != nil {
				t.Fatal(err)
			}
			gens, err := k.Generations(ctx, scope, kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(gens) != 1 || (gens[0] == 7) != tc.reused {
				t.Errorf("generations %v; want generation 7 reused: %v", gens, tc.reused)
			}
			// Computed again or not, the cell is now fresh: nothing was
			// written since, however long ago touches were mapped.
			again, err := k.Generations(ctx, scope, kind)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again, gens) {
				t.Errorf("nothing was written, yet the cell was computed again: %v then %v", gens, again)
			}
		})
	}
}

// testKind stores one row per computation.
func testKind() Kind {
	stmt := "INSERT INTO dora_leads (generation, service) SELECT {generation:UInt64}, {service:String}"
	return Kind{Name: "test", Tables: []string{"dora_leads"}, Statements: []delivery.Query{{
		{}: stmt, {Materialized: true}: stmt, {Pushes: true}: stmt, {Pushes: true, Materialized: true}: stmt}}}
}

// TestRunningInsertsHoldTheHorizon: while an insert runs, its writes may be
// invisible though already stamped, so a computation then counts as made
// at the insert's start, and the cell is computed again once the insert's
// writes are mapped.
func TestRunningInsertsHoldTheHorizon(t *testing.T) {
	conn := deliverytest.Open(t)
	ctx := context.Background()
	api := deliverytest.Event{Team: "payments", Service: "api"}
	deliverytest.Seed(t, conn, deliverytest.History{Deployments: []deliverytest.Deployment{{
		Event: api, DeploymentID: "d1", Status: "success", FinishedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}})
	time.Sleep(5 * time.Millisecond)
	k := &Keeper{Conn: conn}
	kind := testKind()
	scope := delivery.Scope{Team: "payments"}
	first, err := k.Generations(ctx, scope, kind)
	if err != nil {
		t.Fatal(err)
	}
	// An insert of ten deployments that takes a second.
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		done <- conn.Exec(ctx, `INSERT INTO deployments (deployment_id, event_id, observed_at, ingested_at, source, team, service, status, finished_at)
			SELECT concat('slow', toString(number)), 'e', now64(9), now64(3), 'test', 'payments', 'api', 'success', now64(9)
			FROM numbers(10) WHERE sleepEachRow(0.1) = 0 SETTINGS max_block_size = 1`)
	}()
	time.Sleep(500 * time.Millisecond)
	_, c, err := k.states(ctx, scope, kind)
	if err != nil {
		t.Fatal(err)
	}
	if c.horizon.After(start.Add(200 * time.Millisecond)) {
		t.Errorf("horizon %v while an insert started at %v still runs", c.horizon, start)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after, err := k.Generations(ctx, scope, kind)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(after, first) {
		t.Errorf("the insert's writes did not make the cell stale: generation %v kept", after)
	}
	again, err := k.Generations(ctx, scope, kind)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, after) {
		t.Errorf("nothing was written since, yet the cell was computed again: %v then %v", after, again)
	}
}
