package dora

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// cellsHistory is team payments' service api (and frontend's web) before a
// late write: d1 ships c1; d2 lists commit m2, which no change names yet;
// d3 ships c3, which has no change event yet (c2 and c3 are of another
// repository, so only their ids and commits lead to api); d6 lists nothing and deployed
// commit x1 of org/api's main branch, where nothing was pushed yet.
func cellsHistory() deliverytest.History {
	ev := deliverytest.Event{Team: "payments", Service: "api"}
	return deliverytest.History{
		Catalog: map[string]string{"api": "payments", "web": "frontend"},
		Changes: []deliverytest.Change{
			{Event: ev, ChangeID: "c1", Repo: "org/api", FirstCommitAt: at("2026-03-02T08:00:00Z")},
			{Event: ev, ChangeID: "c6", Repo: "org/api", FirstCommitAt: at("2026-03-05T08:00:00Z"), MergeCommit: "x1"},
		},
		Deployments: []deliverytest.Deployment{
			{Event: ev, DeploymentID: "d1", Status: "success", StartedAt: at("2026-03-02T09:50:00Z"), FinishedAt: at("2026-03-02T10:00:00Z"), ChangeIDs: []string{"c1"}},
			{Event: ev, DeploymentID: "d2", Status: "success", StartedAt: at("2026-03-03T09:50:00Z"), FinishedAt: at("2026-03-03T10:00:00Z"), Commits: []string{"m2"}},
			{Event: ev, DeploymentID: "d3", Status: "success", StartedAt: at("2026-03-04T09:50:00Z"), FinishedAt: at("2026-03-04T10:00:00Z"), ChangeIDs: []string{"c3"}},
			{Event: ev, DeploymentID: "d6", Status: "success", StartedAt: at("2026-03-05T11:50:00Z"), FinishedAt: at("2026-03-05T12:00:00Z"),
				Repo: "org/api", Branch: "main", Commit: "x1"},
		},
	}
}

// TestStoredFactsFollowEveryWrite: the facts of a cell are stored, reused
// while nothing they rest on is written, and computed again after any
// write that reaches them — whichever entity it writes.
func TestStoredFactsFollowEveryWrite(t *testing.T) {
	api := deliverytest.Event{Team: "payments", Service: "api"}
	week := delivery.Scope{Team: "payments", From: at("2026-03-02T00:00:00Z"), To: at("2026-03-09T00:00:00Z")}
	type figures struct{ deployments, failed, changes, unlinked int }
	base := figures{deployments: 4, failed: 0, changes: 1, unlinked: 2}
	for _, tc := range []struct {
		name   string
		before deliverytest.History // besides cellsHistory
		write  deliverytest.History
		want   figures
	}{
		{"a deployment", deliverytest.History{}, deliverytest.History{Deployments: []deliverytest.Deployment{
			{Event: api, DeploymentID: "d4", Status: "success", StartedAt: at("2026-03-06T09:50:00Z"), FinishedAt: at("2026-03-06T10:00:00Z"), ChangeIDs: []string{"c1"}},
		}}, figures{5, 0, 1, 2}},
		{"a later event of a deployment", deliverytest.History{}, deliverytest.History{Deployments: []deliverytest.Deployment{
			{Event: deliverytest.Event{EventID: "d3-failed", ObservedAt: at("2026-03-10T00:00:00Z"), Team: "payments", Service: "api"},
				DeploymentID: "d3", Status: "failure", FinishedAt: at("2026-03-04T10:00:00Z")},
		}}, figures{4, 1, 1, 2}},
		{"a rollback", deliverytest.History{}, deliverytest.History{Deployments: []deliverytest.Deployment{
			{Event: api, DeploymentID: "d5", Status: "success", StartedAt: at("2026-03-04T10:50:00Z"), FinishedAt: at("2026-03-04T11:00:00Z"), RollbackOf: "d3", ChangeIDs: []string{"c1"}},
		}}, figures{5, 1, 1, 2}},
		{"an incident after a deployment", deliverytest.History{}, deliverytest.History{Incidents: []deliverytest.Incident{
			{Event: api, IncidentID: "i1", OpenedAt: at("2026-03-04T12:00:00Z"), ResolvedAt: at("2026-03-04T13:00:00Z")},
		}}, figures{4, 1, 1, 2}},
		{"another service's incident naming the deployment", deliverytest.History{}, deliverytest.History{Incidents: []deliverytest.Incident{
			{Event: deliverytest.Event{Team: "frontend", Service: "web"}, IncidentID: "i2", OpenedAt: at("2026-03-03T12:00:00Z"), CausedByDeployment: "d1"},
		}}, figures{4, 1, 1, 2}},
		{"the first event of a listed change", deliverytest.History{}, deliverytest.History{Changes: []deliverytest.Change{
			{Event: api, ChangeID: "c3", Repo: "org/lib", FirstCommitAt: at("2026-03-03T08:00:00Z")},
		}}, figures{4, 0, 2, 2}},
		{"a change naming a listed commit", deliverytest.History{}, deliverytest.History{Changes: []deliverytest.Change{
			{Event: api, ChangeID: "c2", Repo: "org/lib", FirstCommitAt: at("2026-03-03T07:00:00Z"), MergeCommit: "m2"},
		}}, figures{4, 0, 2, 1}},
		{"a push of the deployed commit", deliverytest.History{}, deliverytest.History{Pushes: []deliverytest.Push{
			{EventID: "p1", Repo: "org/api", Branch: "main", PushedAt: at("2026-03-05T09:00:00Z"), Before: "x0", After: "x1", Commits: []string{"x1"}},
		}}, figures{4, 0, 2, 1}},
		// d6 already ships c6 along the push; c8, merged earlier on the
		// same push, is known only later.
		{"a change along a pushed branch", deliverytest.History{Pushes: []deliverytest.Push{
			{EventID: "p1", Repo: "org/api", Branch: "main", PushedAt: at("2026-03-05T09:00:00Z"), Before: "x0", After: "x1", Commits: []string{"x05", "x1"}},
		}}, deliverytest.History{Changes: []deliverytest.Change{
			{Event: api, ChangeID: "c8", Repo: "org/api", FirstCommitAt: at("2026-03-05T07:00:00Z"), MergeCommit: "x05"},
		}}, figures{4, 0, 3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calc := newCalculator(t)
			ctx := context.Background()
			deliverytest.Seed(t, calc.Conn, cellsHistory())
			deliverytest.Seed(t, calc.Conn, tc.before)
			// Touches are stamped to the millisecond: computations start
			// strictly after the seed's.
			time.Sleep(5 * time.Millisecond)
			check := func(when string, want figures) {
				t.Helper()
				r, err := calc.Report(ctx, week, 0)
				if err != nil {
					t.Fatal(err)
				}
				got := figures{r.Metrics.DeploymentFrequency.Deployments, r.Metrics.ChangeFailureRate.Failed,
					r.Metrics.LeadTime.Changes, r.DataQuality.DeploymentsWithoutChanges.Count}
				if got != want {
					t.Errorf("%s: got %+v, want %+v", when, got, want)
				}
			}
			before := base
			if len(tc.before.Pushes) > 0 {
				before = figures{deployments: 4, failed: 0, changes: 2, unlinked: 1} // d6 ships c6
			}
			check("before the write", before)
			first := generationsOf(t, calc, week)
			if again := generationsOf(t, calc, week); !slices.Equal(again, first) {
				t.Fatalf("nothing was written, yet the facts were computed again: %v then %v", first, again)
			}
			time.Sleep(5 * time.Millisecond)
			deliverytest.Seed(t, calc.Conn, tc.write)
			time.Sleep(5 * time.Millisecond)
			check("after the write", tc.want)
			if after := generationsOf(t, calc, week); slices.Equal(after, first) {
				t.Errorf("the write did not make the cell stale: generation %v kept", after)
			}
		})
	}
}

func generationsOf(t *testing.T, calc *Calculator, scope delivery.Scope) []uint64 {
	t.Helper()
	gens, err := calc.generations(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	return gens
}

// TestStagesDoNotRecomputeDORA: DORA's facts do not rest on pipeline
// stages, so a stage written later leaves them as they are.
func TestStagesDoNotRecomputeDORA(t *testing.T) {
	calc := newCalculator(t)
	deliverytest.Seed(t, calc.Conn, cellsHistory())
	time.Sleep(5 * time.Millisecond)
	week := delivery.Scope{Team: "payments", From: at("2026-03-02T00:00:00Z"), To: at("2026-03-09T00:00:00Z")}
	before := generationsOf(t, calc, week)
	time.Sleep(5 * time.Millisecond)
	deliverytest.Seed(t, calc.Conn, deliverytest.History{Stages: []deliverytest.Stage{{
		Event: deliverytest.Event{Team: "payments", Service: "api"}, Pipeline: "ci", RunID: "r1", Stage: "build", Kind: "build",
		QueuedAt: at("2026-03-02T09:00:00Z"), StartedAt: at("2026-03-02T09:30:00Z"), FinishedAt: at("2026-03-02T09:40:00Z"),
		Result: "success", ChangeIDs: []string{"c1"}}}})
	time.Sleep(5 * time.Millisecond)
	if after := generationsOf(t, calc, week); !slices.Equal(after, before) {
		t.Errorf("a pipeline stage made DORA's facts stale: %v then %v", before, after)
	}
}
