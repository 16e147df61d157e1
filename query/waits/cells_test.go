package waits

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// TestStoredWaterfallsFollowStageWrites: a change's stored waterfall is
// computed again when a pipeline stage that names the change, or the commit
// its deployment deployed, is written after it.
func TestStoredWaterfallsFollowStageWrites(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ev := deliverytest.Event{Team: "payments", Service: "api"}
	history := deliverytest.History{
		Catalog: map[string]string{"api": "payments"},
		Changes: []deliverytest.Change{{Event: ev, ChangeID: "c1", Repo: "org/api", FirstCommitAt: at("2026-03-02T08:00:00Z")}},
		Deployments: []deliverytest.Deployment{{Event: ev, DeploymentID: "d1", Status: "success", Commit: "k1",
			StartedAt: at("2026-03-02T11:50:00Z"), FinishedAt: at("2026-03-02T12:00:00Z"), ChangeIDs: []string{"c1"}}},
	}
	stage := deliverytest.Stage{Event: ev, Pipeline: "ci", RunID: "r1", Stage: "build", Kind: "build", Result: "success",
		QueuedAt: at("2026-03-02T09:00:00Z"), StartedAt: at("2026-03-02T09:30:00Z"), FinishedAt: at("2026-03-02T10:00:00Z")}
	byChange, byCommit := stage, stage
	byChange.ChangeIDs = []string{"c1"}
	byCommit.Commit = "k1"
	for _, tc := range []struct {
		name  string
		stage deliverytest.Stage
	}{{"a stage naming the change", byChange}, {"a stage naming the deployed commit", byCommit}} {
		t.Run(tc.name, func(t *testing.T) {
			conn := deliverytest.Open(t)
			calc := &Calculator{Conn: conn}
			deliverytest.Seed(t, conn, history)
			time.Sleep(5 * time.Millisecond)
			queueWait := func() float64 {
				t.Helper()
				r, err := calc.Report(context.Background(), week)
				if err != nil {
					t.Fatal(err)
				}
				if r.Changes != 1 {
					t.Fatalf("%d changes, want 1", r.Changes)
				}
				for _, s := range r.Segments {
					if s.Name == "ci queue wait" {
						return s.TotalSeconds
					}
				}
				t.Fatal("no ci queue wait segment")
				return 0
			}
			if got := queueWait(); got != 0 {
				t.Errorf("before the stage: ci queue wait %v s, want 0", got)
			}
			before := generations(t, calc)
			if again := generations(t, calc); !slices.Equal(again, before) {
				t.Fatalf("nothing was written, yet the waterfalls were computed again: %v then %v", before, again)
			}
			time.Sleep(5 * time.Millisecond)
			deliverytest.Seed(t, conn, deliverytest.History{Stages: []deliverytest.Stage{tc.stage}})
			time.Sleep(5 * time.Millisecond)
			if got := queueWait(); got != 1800 {
				t.Errorf("after the stage: ci queue wait %v s, want 1800 (queued 09:00, started 09:30)", got)
			}
		})
	}
}

func generations(t *testing.T, calc *Calculator) []uint64 {
	t.Helper()
	gens, err := calc.cells().Generations(context.Background(), week, waterfalls)
	if err != nil {
		t.Fatal(err)
	}
	return gens
}
