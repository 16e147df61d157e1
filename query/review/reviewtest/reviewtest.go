// Package reviewtest seeds the delivery history the weekly review's tests
// read: twenty ISO weeks of two teams shipping through CI pipelines, with
// failures, rollbacks, incidents and canary analyses, drawn from a seeded
// generator so that every run writes the same rows. The reviewed week,
// 2026-W10, has a CI queue that backed up at one stage; 2026-W01 is a
// holiday freeze with no deployments at all.
package reviewtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/canary/analysis"
	"github.com/deploylens/deploylens/query/canary/judge"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// The fixed clock and weeks of the tests.
var (
	// Now is Wednesday of 2026-W11, so the last complete week is 2026-W10.
	Now = time.Date(2026, 3, 11, 9, 30, 0, 0, time.UTC)
	// First is the Monday of the first generated week, 2025-W43.
	First = time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
	// Weeks generated, through 2026-W10.
	Weeks = 20
	// Reviewed is the week the tests review; Frozen the one without
	// deployments; SlowStage the stage whose queue backs up in Reviewed.
	Reviewed  = "2026-W10"
	Frozen    = "2026-W01"
	SlowStage = struct{ Pipeline, Stage string }{"checkout-ci", "integration-test"}
)

// Seed is the generator seed the tests use.
const Seed = 20260309

// Team names and their services.
var Teams = map[string][]string{
	"payments": {"checkout", "ledger"},
	"search":   {"indexer"},
}

// History is what Generate makes: delivery events and canary analyses.
type History struct {
	deliverytest.History
	Analyses []analysis.Analysis
}

// Write stores h in the database conn points at (schema applied).
func Write(tb testing.TB, conn driver.Conn, h History) {
	tb.Helper()
	deliverytest.Seed(tb, conn, h.History)
	if len(h.Analyses) == 0 {
		return
	}
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, `INSERT INTO canary_analyses (id, created_at, updated_at, team, service, environment,
		deployment_id, status, verdict, score, request, result)`)
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range h.Analyses {
		req, _ := json.Marshal(a.Request)
		res, _ := json.Marshal(a)
		if err := b.Append(a.ID, a.CreatedAt, a.UpdatedAt, a.Team, a.Service, a.Environment, a.DeploymentID,
			string(a.Status), string(a.Verdict), *a.Score, string(req), string(res)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatalf("insert canary analyses: %v", err)
	}
}

// generator draws one history.
type generator struct {
	rng *rand.Rand
	h   History
	n   int // ids
	// pagedThisWeek: the reviewed week's open incident is written.
	pagedThisWeek bool
}

// Generate draws the history from seed.
func Generate(seed uint64) History {
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	g.h.Catalog = map[string]string{}
	for _, team := range []string{"payments", "search"} {
		for _, svc := range Teams[team] {
			g.h.Catalog[svc] = team
		}
	}
	for w := range Weeks {
		monday := First.AddDate(0, 0, 7*w)
		_, isoWeek := monday.ISOWeek()
		y, _ := monday.ISOWeek()
		label := fmt.Sprintf("%04d-W%02d", y, isoWeek)
		if label == Frozen {
			continue
		}
		for _, svc := range []string{"checkout", "ledger", "indexer"} {
			g.week(svc, monday, label == Reviewed)
		}
	}
	return g.h
}

func (g *generator) id(prefix string) string {
	g.n++
	return fmt.Sprintf("%s-%04d", prefix, g.n)
}

// between draws a duration uniformly in [lo, hi].
func (g *generator) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// skewed draws a right-skewed duration with the given median (log-normal,
// as review and coding times are).
func (g *generator) skewed(median time.Duration, spread float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(spread*g.rng.NormFloat64())).Round(time.Second)
}

// week writes one service's week: deployments on weekdays, each shipping
// changes through its pipeline.
func (g *generator) week(svc string, monday time.Time, reviewed bool) {
	perDay := map[string]int{"checkout": 3, "ledger": 2, "indexer": 1}[svc]
	for day := range 5 {
		n := g.rng.IntN(perDay + 1)
		if svc == "checkout" {
			n++ // checkout ships every weekday
		}
		t := monday.AddDate(0, 0, day).Add(9 * time.Hour)
		for range n {
			t = t.Add(g.between(40*time.Minute, 150*time.Minute))
			t = g.deployment(svc, t, reviewed)
		}
	}
	if svc == "ledger" && reviewed {
		// A Sunday page on ledger, long after its last deployment: no
		// deployment to attribute it to.
		opened := monday.AddDate(0, 0, 6).Add(3 * time.Hour)
		g.h.Incidents = append(g.h.Incidents, deliverytest.Incident{
			Event: deliverytest.Event{Service: "ledger"}, IncidentID: g.id("INC"), Severity: "sev3",
			OpenedAt: opened, ResolvedAt: opened.Add(50 * time.Minute)})
	}
}

// deployment writes one deployment around t with its changes, pipeline
// run, and what follows a failure; it returns when the service is free.
func (g *generator) deployment(svc string, t time.Time, reviewed bool) time.Time {
	team := g.h.Catalog[svc]
	pipeline := svc + "-ci"
	var changes []string
	configOnly := g.rng.Float64() < 0.03 // a configuration push that ships no change
	if !configOnly {
		for range 1 + g.rng.IntN(3) {
			changes = append(changes, g.change(svc, t).ChangeID)
		}
	}
	run := g.id("run")
	commit := fmt.Sprintf("%040x", g.rng.Uint64())
	stages := []struct {
		name, kind   string
		queue, lasts time.Duration
	}{
		{"build", "build", g.between(time.Minute, 8*time.Minute), g.between(4*time.Minute, 12*time.Minute)},
		{"unit-test", "test", g.between(time.Minute, 10*time.Minute), g.between(6*time.Minute, 15*time.Minute)},
		{"integration-test", "test", g.skewed(20*time.Minute, 0.6), g.between(10*time.Minute, 25*time.Minute)},
		{"approve", "approval", 0, g.skewed(25*time.Minute, 0.8)},
		{"deploy", "deploy", g.between(time.Minute, 4*time.Minute), g.between(3*time.Minute, 9*time.Minute)},
	}
	if reviewed && pipeline == SlowStage.Pipeline {
		// The integration-test runners were short this week.
		stages[2].queue = g.skewed(4*time.Hour, 0.4)
	}
	if svc == "checkout" {
		stages = append(stages[:4], append([]struct {
			name, kind   string
			queue, lasts time.Duration
		}{{"canary", "canary", 0, 20 * time.Minute}}, stages[4:]...)...)
	}
	at := t
	var deployStart, deployEnd time.Time
	for _, s := range stages {
		queued := at.Add(g.between(30*time.Second, 3*time.Minute))
		started := queued.Add(s.queue)
		finished := started.Add(s.lasts)
		g.h.Stages = append(g.h.Stages, deliverytest.Stage{
			Event: deliverytest.Event{Team: team, Service: svc}, Pipeline: pipeline, RunID: run, Stage: s.name, Kind: s.kind,
			QueuedAt: queued, StartedAt: started, FinishedAt: finished, Result: "success", Commit: commit, ChangeIDs: changes})
		at = finished
		if s.kind == "deploy" {
			deployStart, deployEnd = started, finished
		}
	}
	failed := g.rng.Float64() < 0.08
	status := "success"
	if failed {
		status = "failure"
	}
	id := g.id(svc)
	g.h.Deployments = append(g.h.Deployments, deliverytest.Deployment{
		Event: deliverytest.Event{Service: svc}, DeploymentID: id, Repo: "org/" + svc, Branch: "main", Commit: commit,
		StartedAt: deployStart, FinishedAt: deployEnd, Status: status, ChangeIDs: changes})
	if svc == "checkout" {
		g.canary(team, svc, id, deployStart, failed)
	}
	end := deployEnd
	switch {
	case failed && g.rng.IntN(2) == 0:
		// Rolled back.
		back := end.Add(g.between(10*time.Minute, 40*time.Minute))
		g.h.Deployments = append(g.h.Deployments, deliverytest.Deployment{
			Event: deliverytest.Event{Service: svc}, DeploymentID: g.id(svc), Repo: "org/" + svc, Branch: "main",
			StartedAt: back.Add(-4 * time.Minute), FinishedAt: back, Status: "success", RollbackOf: id})
		end = back
	case failed:
		// Fixed forward with an unplanned change.
		fix := g.change(svc, end)
		done := end.Add(g.between(30*time.Minute, 90*time.Minute))
		g.h.Deployments = append(g.h.Deployments, deliverytest.Deployment{
			Event: deliverytest.Event{Service: svc}, DeploymentID: g.id(svc), Repo: "org/" + svc, Branch: "main",
			StartedAt: done.Add(-6 * time.Minute), FinishedAt: done, Status: "success", Unplanned: true, ChangeIDs: []string{fix.ChangeID}})
		end = done
	case g.rng.Float64() < 0.05 || (reviewed && svc == "checkout" && !g.pagedThisWeek):
		end = g.incident(svc, id, deployEnd, reviewed)
	}
	return end
}

// change writes one change merged shortly before t.
func (g *generator) change(svc string, t time.Time) deliverytest.Change {
	merged := t.Add(-g.between(5*time.Minute, 40*time.Minute))
	approved := merged.Add(-g.skewed(40*time.Minute, 0.8))
	reviewed := approved.Add(-g.skewed(50*time.Minute, 0.7))
	opened := reviewed.Add(-g.skewed(3*time.Hour, 0.9))
	first := opened.Add(-g.skewed(9*time.Hour, 1.0))
	c := deliverytest.Change{
		Event: deliverytest.Event{Service: svc}, ChangeID: fmt.Sprintf("org/%s#%d", svc, g.n+1000),
		Repo: "org/" + svc, Title: "change to " + svc, BaseBranch: "main",
		FirstCommitAt: first, OpenedAt: opened, FirstReviewAt: reviewed, ApprovedAt: approved, MergedAt: merged,
		MergeCommit: fmt.Sprintf("%040x", g.rng.Uint64()),
	}
	g.n++
	if g.rng.Float64() < 0.04 {
		c.FirstCommitAt = time.Time{} // some changes come without their commits
	}
	g.h.Changes = append(g.h.Changes, c)
	return c
}

// incident writes an incident a successful deployment caused; the reviewed
// week's first one on checkout stays open.
func (g *generator) incident(svc, deployment string, finished time.Time, reviewed bool) time.Time {
	opened := finished.Add(g.between(15*time.Minute, 5*time.Hour))
	in := deliverytest.Incident{
		Event: deliverytest.Event{Service: svc}, IncidentID: g.id("INC"), Severity: []string{"sev1", "sev2", "sev3"}[g.rng.IntN(3)],
		OpenedAt: opened, ResolvedAt: opened.Add(g.skewed(2*time.Hour, 0.7)),
	}
	if g.rng.IntN(2) == 0 {
		in.CausedByDeployment = deployment // else attributed by the window
	}
	if reviewed && svc == "checkout" && !g.pagedThisWeek {
		g.pagedThisWeek = true
		in.ResolvedAt, in.Severity, in.CausedByDeployment = time.Time{}, "sev2", deployment
	}
	g.h.Incidents = append(g.h.Incidents, in)
	return finished
}

// canary writes the analysis that judged a checkout deployment: a failing
// deployment's canary usually failed too.
func (g *generator) canary(team, svc, deployment string, start time.Time, failed bool) {
	verdict, score := judge.VerdictPass, 100.0
	switch r := g.rng.Float64(); {
	case failed && r < 0.7:
		verdict, score = judge.VerdictFail, 40
	case r < 0.08:
		verdict, score = judge.VerdictMarginal, 80
	case r < 0.12:
		verdict, score = judge.VerdictInconclusive, 0
	}
	created := start.Add(-25 * time.Minute)
	g.h.Analyses = append(g.h.Analyses, analysis.Analysis{
		ID: g.id("ca"), Status: analysis.StatusCompleted, Team: team, Service: svc, Environment: "production",
		DeploymentID: deployment, CreatedAt: created, UpdatedAt: created.Add(21 * time.Minute),
		Start: created, End: created.Add(20 * time.Minute), TotalLooks: 2, Verdict: verdict, Score: &score,
		Rule: judge.RuleScore, Looks: []analysis.Look{},
		Request: analysis.Request{Team: team, Service: svc, Environment: "production", DeploymentID: deployment, LifetimeSeconds: 1200},
	})
}
