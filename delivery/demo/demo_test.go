package demo

import (
	"reflect"
	"testing"
	"time"
)

func TestSameSeedSameHistory(t *testing.T) {
	end := time.Date(2026, 11, 2, 15, 4, 0, 0, time.UTC)
	a := Generate(Config{End: end, Days: 60, Seed: 7})
	b := Generate(Config{End: end, Days: 60, Seed: 7})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two histories of one seed differ")
	}
	if c := Generate(Config{End: end, Days: 60, Seed: 8}); reflect.DeepEqual(a.Events, c.Events) {
		t.Fatal("another seed gives the same history")
	}
}

// Every event happens inside the history's days, ids are unique, and every
// team ships, fails, and has its canaries judged.
func TestHistoryShape(t *testing.T) {
	end := time.Date(2026, 11, 2, 15, 4, 0, 0, time.UTC)
	start := end.AddDate(0, 0, -90)
	h := Generate(Config{End: end, Days: 90, Seed: 1})
	ids := map[string]bool{}
	failures := map[string]int{}
	for _, e := range h.Events {
		id := e["id"].(string)
		if ids[id] {
			t.Errorf("event id %s twice", id)
		}
		ids[id] = true
		for _, k := range []string{"finished_at", "opened_at", "resolved_at", "merged_at", "queued_at"} {
			if v, ok := e[k].(string); ok {
				at, err := time.Parse(time.RFC3339, v)
				if err != nil || !at.Before(end) || (k != "opened_at" && at.Before(start.Add(-72*time.Hour))) {
					t.Errorf("%s %s = %s: outside the history", id, k, v)
				}
			}
		}
		if e["type"] == "deployment" && e["status"] == "failure" {
			failures[e["team"].(string)]++
		}
	}
	canaries := map[string]int{}
	regressed := 0
	for _, c := range h.Canaries {
		canaries[c.Team]++
		if c.Regressed {
			regressed++
		}
		if !c.Start.Add(c.Lifetime).Before(end) {
			t.Errorf("canary %s ends after the history", c.DeploymentID)
		}
	}
	for _, team := range Teams() {
		if h.Deployments[team] == 0 || failures[team] == 0 || canaries[team] != canariesPerTeam {
			t.Errorf("%s: %d deployments, %d failures, %d canaries", team, h.Deployments[team], failures[team], canaries[team])
		}
	}
	if regressed != 2 {
		t.Errorf("%d regressed canaries, want 2", regressed)
	}
}
