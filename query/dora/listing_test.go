package dora

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

func at(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The listings give, deployment by deployment and incident by incident, the
// facts the payments scenario's metrics count (see the "why" notes of
// testdata/scenarios/payments.json): the same failures, recoveries,
// unplanned deployments and attributions.
func TestListingsOfThePaymentsWeek(t *testing.T) {
	calc := newCalculator(t)
	deliverytest.Seed(t, calc.Conn, loadScenario(t, "testdata/scenarios/payments.json").History)
	ctx := context.Background()
	// Two analyses of d5: the verdict is the later finished one's; a
	// running one after it has none yet.
	for _, row := range []struct {
		id, status, verdict string
		updated             time.Time
	}{
		{"a1", "completed", "fail", at("2026-03-05T14:00:00Z")},
		{"a2", "completed", "pass", at("2026-03-05T14:30:00Z")},
		{"a3", "running", "", at("2026-03-05T14:40:00Z")},
	} {
		if err := calc.Conn.Exec(delivery.Context(ctx, map[string]string{
			"id": row.id, "at": row.updated.Format("2006-01-02 15:04:05.000"), "status": row.status, "verdict": row.verdict,
		}), `INSERT INTO canary_analyses (id, created_at, updated_at, team, service, environment, deployment_id, status, verdict)
			VALUES ({id:String}, {at:DateTime64(3)}, {at:DateTime64(3)}, 'payments', 'checkout', 'production', 'd5', {status:String}, {verdict:String})`); err != nil {
			t.Fatal(err)
		}
	}
	week := delivery.Scope{Team: "payments", From: at("2026-03-02T00:00:00Z"), To: at("2026-03-09T00:00:00Z")}

	deps, err := calc.Deployments(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	type dep struct {
		id, team, service, status     string
		failed, rolledBack, unplanned bool
		rollbackOf, changes, verdict  string
		incidents                     int64
		detected, recovered           string
	}
	want := []dep{
		{id: "d7", team: "payments", service: "checkout", status: "success", failed: true, unplanned: true, changes: "c-ghost,c6", incidents: 1, detected: "2026-03-09T23:00:00Z"},
		{id: "d6", team: "payments", service: "checkout", status: "success", unplanned: true, rollbackOf: "d5"},
		{id: "d5", team: "payments", service: "checkout", status: "success", failed: true, rolledBack: true, changes: "c5", verdict: "pass", detected: "2026-03-05T15:00:00Z", recovered: "2026-03-06T10:00:00Z"},
		{id: "l1", team: "payments", service: "ledger", status: "failure", failed: true, changes: "c7", detected: "2026-03-05T08:00:00Z", recovered: "2026-03-09T00:00:00Z"},
		{id: "d4", team: "payments", service: "checkout", status: "success", failed: true, changes: "c4", incidents: 1, detected: "2026-03-04T20:00:00Z", recovered: "2026-03-04T22:00:00Z"},
		{id: "l2", team: "payments", service: "ledger", status: "success", changes: "c8"},
		{id: "d3", team: "payments", service: "checkout", status: "success", unplanned: true, changes: "c3"},
		{id: "d2", team: "payments", service: "checkout", status: "failure", failed: true, changes: "c3", detected: "2026-03-03T12:00:00Z", recovered: "2026-03-03T14:00:00Z"},
		{id: "d1", team: "payments", service: "checkout", status: "success", failed: true, changes: "c0,c1,c2", incidents: 1, detected: "2026-03-02T10:30:00Z", recovered: "2026-03-02T11:00:00Z"},
		{id: "d10", team: "payments", service: "checkout", status: "success", changes: "c11"},
	}
	if len(deps) != len(want) {
		ids := []string{}
		for _, d := range deps {
			ids = append(ids, d.DeploymentID)
		}
		t.Fatalf("deployments %v, want %d", ids, len(want))
	}
	for i, w := range want {
		d := deps[i]
		got := dep{id: d.DeploymentID, team: d.Team, service: d.Service, status: d.Status,
			failed: d.Failed, rolledBack: d.RolledBack, unplanned: d.Unplanned, rollbackOf: d.RollbackOf,
			changes: strings.Join(d.ChangeIDs, ","), verdict: d.CanaryVerdict, incidents: d.Incidents}
		if !d.DetectedAt.IsZero() {
			got.detected = d.DetectedAt.Format(time.RFC3339)
		}
		if !d.RecoveredAt.IsZero() {
			got.recovered = d.RecoveredAt.Format(time.RFC3339)
		}
		if got != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, w)
		}
		if d.Environment != "production" || d.Changes != int64(len(d.ChangeIDs)) {
			t.Errorf("%s: environment %q, changes %d for %v", d.DeploymentID, d.Environment, d.Changes, d.ChangeIDs)
		}
	}
	if d4 := deps[4]; !d4.StartedAt.Equal(at("2026-03-04T09:30:00Z")) || !d4.FinishedAt.Equal(at("2026-03-04T09:00:00Z")) {
		t.Errorf("d4 merged from two events: started %v finished %v", d4.StartedAt, d4.FinishedAt)
	}

	incs, err := calc.Incidents(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	type inc struct{ id, team, service, cause, opened, resolved string }
	wantInc := []inc{
		// 24 h and 1 s after d6: outside the attribution window.
		{"i2", "payments", "checkout", "", "2026-03-07T10:00:01Z", "2026-03-07T09:00:00Z"},
		// Names no cause: d4, 11 h before, is the latest successful deployment.
		{"i1", "payments", "checkout", "d4", "2026-03-04T20:00:00Z", "2026-03-04T22:00:00Z"},
		{"i4", "payments", "checkout", "d1", "2026-03-02T10:30:00Z", "2026-03-02T11:00:00Z"},
	}
	var gotInc []inc
	for _, i := range incs {
		r := ""
		if !i.ResolvedAt.IsZero() {
			r = i.ResolvedAt.Format(time.RFC3339)
		}
		gotInc = append(gotInc, inc{i.IncidentID, i.Team, i.Service, i.CausedByDeployment, i.OpenedAt.Format(time.RFC3339), r})
	}
	if !slices.Equal(gotInc, wantInc) {
		t.Errorf("incidents:\n got %+v\nwant %+v", gotInc, wantInc)
	}

	// Listings cut at the limit say so; other scopes see nothing of
	// payments.
	cut, more, err := calc.ListDeployments(ctx, week, 3)
	if err != nil || len(cut) != 3 || !more || cut[0].DeploymentID != "d7" {
		t.Errorf("limit 3: %d rows, more %v, err %v", len(cut), more, err)
	}
	all, more, err := calc.ListDeployments(ctx, week, 10)
	if err != nil || len(all) != 10 || more {
		t.Errorf("limit 10: %d rows, more %v, err %v", len(all), more, err)
	}
	other := week
	other.Team = "search"
	if deps, err := calc.Deployments(ctx, other); err != nil || len(deps) != 1 || deps[0].DeploymentID != "s1" {
		t.Errorf("team search: %+v, %v", deps, err)
	}
	empty := week
	empty.Team = "empty"
	if deps, err := calc.Deployments(ctx, empty); err != nil || deps == nil || len(deps) != 0 {
		t.Errorf("team empty: %+v, %v (want an empty, non-nil list)", deps, err)
	}
}

func loadScenario(t *testing.T, path string) scenarioFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sc scenarioFile
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sc
}

// A store with no delivery data answers with empty listings and an empty
// report. ClickHouse 26.9 now and then fails such queries with materialized
// CTEs ("before its materialization completed"); the runner then answers
// without them, so repeating the question must never fail.
func TestEmptyStoreAnswersEveryTime(t *testing.T) {
	calc := newCalculator(t)
	ctx := context.Background()
	week := delivery.Scope{Team: "payments", From: at("2026-03-02T00:00:00Z"), To: at("2026-03-09T00:00:00Z")}
	for range 8 {
		if _, err := calc.Report(ctx, week, 0); err != nil {
			t.Fatal("report:", err)
		}
		if deps, err := calc.Deployments(ctx, week); err != nil || len(deps) != 0 {
			t.Fatal("deployments:", deps, err)
		}
		if incs, err := calc.Incidents(ctx, week); err != nil || len(incs) != 0 {
			t.Fatal("incidents:", incs, err)
		}
	}
}
