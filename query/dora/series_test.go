package dora

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// weeklyHistory is twelve ISO weeks of team payments deploying checkout,
// every 4 hours. Weeks 0-10 are alike: 10 deployments of 2 changes each
// (lead times 1-5h), the sixth failing and recovered by the next. Week 11 is
// not: 40 deployments, lead times ten times longer, every other one failing.
func weeklyHistory(first time.Time) deliverytest.History {
	h := deliverytest.History{Catalog: map[string]string{"checkout": "payments"}}
	for w := range 12 {
		n, slow := 10, time.Duration(1)
		failed := func(i int) bool { return i == 5 }
		if w == 11 {
			n, slow = 40, 10
			failed = func(i int) bool { return i%2 == 1 }
		}
		for i := range n {
			fin := first.AddDate(0, 0, 7*w).Add(time.Duration(i)*4*time.Hour + 8*time.Hour)
			id := fmt.Sprintf("w%02d-d%02d", w, i)
			status := "success"
			if failed(i) {
				status = "failure"
			}
			d := deliverytest.Deployment{DeploymentID: id, Event: deliverytest.Event{Service: "checkout"}, FinishedAt: fin, Status: status}
			for c := range 2 {
				cid := fmt.Sprintf("%s-c%d", id, c)
				lead := slow * time.Duration(1+(i+c)%5) * time.Hour
				h.Changes = append(h.Changes, deliverytest.Change{ChangeID: cid, FirstCommitAt: fin.Add(-lead)})
				d.ChangeIDs = append(d.ChangeIDs, cid)
			}
			h.Deployments = append(h.Deployments, d)
		}
	}
	return h
}

func TestSeriesFlagsTheStepThatDiffers(t *testing.T) {
	calc := newCalculator(t)
	first := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	deliverytest.Seed(t, calc.Conn, weeklyHistory(first))
	scope := delivery.Scope{Team: "payments", From: first.AddDate(0, 0, 7*8+3), To: first.AddDate(0, 0, 7*12)}
	s, err := calc.Series(context.Background(), scope, StepWeek)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 4 || !s.Points[0].Start.Equal(first.AddDate(0, 0, 56)) {
		t.Fatalf("points %d starting %v; want 4 whole weeks from the one holding from (%v)", len(s.Points), s.Points[0].Start, first.AddDate(0, 0, 56))
	}
	for i, p := range s.Points[:3] {
		for name, sh := range map[string]*Shift{"deployment frequency": p.DeploymentFrequency.Shift, "lead time": p.LeadTime.Shift,
			"change failure rate": p.ChangeFailureRate.Shift, "rework rate": p.ReworkRate.Shift} {
			if sh == nil || sh.PValue == nil || sh.Significant {
				t.Errorf("week %d %s: %+v; like its baseline, want tested and not significant", 8+i, name, sh)
			}
		}
	}
	last := s.Points[3]
	// The changes of failed deployments never shipped: 20 successes × 2.
	if last.DeploymentFrequency.Deployments != 40 || last.LeadTime.Changes != 40 {
		t.Fatalf("week 11: %d deployments, %d changes; want 40, 40", last.DeploymentFrequency.Deployments, last.LeadTime.Changes)
	}
	for name, sh := range map[string]*Shift{"deployment frequency": last.DeploymentFrequency.Shift, "lead time": last.LeadTime.Shift,
		"change failure rate": last.ChangeFailureRate.Shift, "rework rate": last.ReworkRate.Shift} {
		if sh == nil || !sh.Significant || sh.Direction != "up" || *sh.PValue >= SignificanceLevel {
			t.Errorf("week 11 %s: %+v; want a significant rise", name, sh)
		}
	}
	// Every recovery takes 4 hours (the next deployment): no shift.
	if sh := last.RecoveryTime.Shift; sh == nil || sh.Significant {
		t.Errorf("week 11 recovery time: %+v; want no shift", sh)
	}
}

func TestQuantilesMatchR(t *testing.T) {
	var ref struct {
		Lead        []float64 `json:"lead_seconds"`
		Median, P90 float64
	}
	b, err := os.ReadFile("testdata/quantiles.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	calc := newCalculator(t)
	deployed := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	h := deliverytest.History{Catalog: map[string]string{"checkout": "payments"}}
	for i, s := range ref.Lead {
		id := fmt.Sprintf("c%02d", i)
		fin := deployed.Add(time.Duration(i) * time.Minute)
		h.Changes = append(h.Changes, deliverytest.Change{ChangeID: id, FirstCommitAt: fin.Add(-time.Duration(math.Round(s * 1e9)))})
		h.Deployments = append(h.Deployments, deliverytest.Deployment{DeploymentID: "d" + id, Event: deliverytest.Event{Service: "checkout"},
			FinishedAt: fin, Status: "success", ChangeIDs: []string{id}})
	}
	deliverytest.Seed(t, calc.Conn, h)
	r, err := calc.Report(context.Background(), delivery.Scope{Team: "payments", From: deployed.AddDate(0, 0, -1), To: deployed.AddDate(0, 0, 1)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	lt := r.LeadTime
	if lt.Changes != len(ref.Lead) || lt.MedianSeconds == nil || lt.P90Seconds == nil {
		t.Fatalf("lead time %+v from %d samples", lt, len(ref.Lead))
	}
	for name, got := range map[string][2]float64{"median": {*lt.MedianSeconds, ref.Median}, "p90": {*lt.P90Seconds, ref.P90}} {
		if math.Abs(got[0]-got[1]) > 1e-6 {
			t.Errorf("%s = %.9f, R's quantile(type = 7) = %.9f", name, got[0], got[1])
		}
	}
	if lt.MedianCI == nil || !(lt.MedianCI.Low <= *lt.MedianSeconds && *lt.MedianSeconds <= lt.MedianCI.High) {
		t.Errorf("median interval %+v does not hold the median %v", lt.MedianCI, *lt.MedianSeconds)
	}
}

// The whole answer for the payments scenario, intervals and lists
// included, is pinned by a golden file (go test ./query/dora -update
// rewrites it); the hand-worked figures are checked in TestScenarios.
func TestReportGolden(t *testing.T) {
	var sc scenarioFile
	b, err := os.ReadFile("testdata/scenarios/payments.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	calc := newCalculator(t)
	deliverytest.Seed(t, calc.Conn, sc.History)
	r, err := calc.Report(context.Background(), sc.Cases[0].scope(), 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	got = append(got, '\n')
	const path = "testdata/payments_report.golden.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./query/dora -run TestReportGolden -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("the report differs from %s; if the change is intended, run with -update and review the diff:\n%s", path, got)
	}
}
