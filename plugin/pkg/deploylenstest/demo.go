package deploylenstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Demo is the delivery history Seed sent, for tests to assert against.
type Demo struct {
	// Now is the end of the history; every event is before it.
	Now time.Time
	// Teams and Services are the catalog: service → team.
	Teams    []string
	Services map[string]string
	// Deployments to production by team.
	Deployments map[string]int
	// ChangeID is a change of team payments that reached production.
	ChangeID string
	// GitHubChangeID is a change of team payments, deployed, whose id has
	// GitHub's owner/repo#number form.
	GitHubChangeID string
	// CanaryDeployment is the latest deployment of checkout, which
	// SeedCanary has judged.
	CanaryDeployment string
	// LeadTime is every change's lead time: first commit to deployment.
	LeadTime time.Duration
	// Environments deployed to.
	Environments []string
}

type event map[string]any

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Seed sends the demo history (DemoEvents, ending this hour) through the
// server's public API: the service catalog (PUT /api/v1/catalog), then
// native events (POST /api/v1/events).
func Seed(tb testing.TB, s *Server) Demo {
	tb.Helper()
	d, events := DemoEvents(time.Now())
	for svc, team := range d.Services {
		if code, body := s.Do(tb, http.MethodPut, "/api/v1/catalog/services/"+svc, []byte(`{"team":"`+team+`"}`)); code != http.StatusOK {
			tb.Fatalf("PUT catalog %s: %d %s", svc, code, body)
		}
	}
	body, _ := json.Marshal(events)
	code, res := s.Do(tb, http.MethodPost, "/api/v1/events", body)
	if code == http.StatusNotFound {
		tb.Fatalf("this deploylens does not serve POST /api/v1/events yet (the delivery-ingest issue): %s", res)
	}
	if code/100 != 2 {
		tb.Fatalf("POST /api/v1/events: %d %s", code, res)
	}
	return d
}

// DemoEvents is a small, realistic delivery history for two teams ending
// at now (truncated to the hour), as native events: changes with their
// review milestones, pipeline stages with queue times, deployments (one
// failed and rolled back, one unplanned), an incident attributed to a
// deployment, and a staging deployment. Demo.Services is the catalog the
// events assume.
func DemoEvents(now time.Time) (Demo, []map[string]any) {
	now = now.UTC().Truncate(time.Hour)
	d := Demo{
		Now:          now,
		Teams:        []string{"payments", "search"},
		Services:     map[string]string{"checkout": "payments", "ledger": "payments", "indexer": "search"},
		Deployments:  map[string]int{},
		Environments: []string{"production", "staging"},
	}
	var events []map[string]any
	add := func(e event) { events = append(events, e) }
	plans := []plan{
		{"payments", "checkout", 20, "success", nil},
		{"payments", "checkout", 16, "success", nil},
		{"payments", "checkout", 12, "failure", nil},
		{"payments", "checkout", 11, "success", event{"rollback_of": "payments-checkout-3"}},
		{"payments", "ledger", 8, "success", event{"unplanned": true}},
		{"payments", "checkout", 5, "success", nil},
		{"payments", "checkout", 2, "success", nil},
		{"search", "indexer", 15, "success", nil},
		{"search", "indexer", 6, "success", nil},
		{"search", "indexer", 1, "failure", nil},
	}
	for i, p := range plans {
		n := i + 1
		finished := now.Add(-time.Duration(p.daysAgo) * 24 * time.Hour)
		// Native change ids are free-form; one is GitHub's owner/repo#number.
		change := fmt.Sprintf("%s-%d", p.service, 100+n)
		if n == 6 {
			change = fmt.Sprintf("acme/%s#%d", p.service, 100+n)
			d.GitHubChangeID = change
		}
		commit := fmt.Sprintf("%040x", 0xabc000+n)
		deployID := fmt.Sprintf("%s-%s-%d", p.team, p.service, countOf(plans[:i+1], p.team, p.service))
		if n == 2 {
			d.ChangeID = change
		}
		// The pipeline, timed back from the deployment's finish: build and
		// test wait in a CI queue, an approval job starts at once and runs
		// 3 hours until a human approves (its running time is the approval
		// gate, as the waterfall reads it), then the deploy stage runs the
		// deployment.
		stages := []struct {
			name, kind string
			queue, run time.Duration
		}{
			{"build", "build", 15 * time.Minute, 8 * time.Minute},
			{"test", "test", 40 * time.Minute, 20 * time.Minute},
			{"approve", "approval", time.Minute, 3 * time.Hour},
			{"deploy", "deploy", 5 * time.Minute, 12 * time.Minute},
		}
		const handOff = 5 * time.Minute
		pipeline := -handOff
		for _, st := range stages {
			pipeline += st.queue + st.run + handOff
		}
		merged := finished.Add(-pipeline - 10*time.Minute)
		t := merged.Add(10 * time.Minute)
		for _, st := range stages {
			queued := t
			started := queued.Add(st.queue)
			ended := started.Add(st.run)
			add(event{
				"id": fmt.Sprintf("stg-%d-%s", n, st.name), "type": "pipeline_stage", "team": p.team, "service": p.service,
				"pipeline": p.service + "-ci", "run_id": strconv.Itoa(1000 + n), "stage": st.name, "kind": st.kind,
				"queued_at": rfc(queued), "started_at": rfc(started), "finished_at": rfc(ended),
				"result": "success", "commit": commit, "change_ids": []string{change},
			})
			t = ended.Add(handOff)
		}
		// The change: two days of coding, a review picked up after 5 hours,
		// approved a day later, merged 2 hours after approval.
		approved := merged.Add(-2 * time.Hour)
		reviewed := approved.Add(-24 * time.Hour)
		opened := reviewed.Add(-5 * time.Hour)
		first := opened.Add(-48 * time.Hour)
		add(event{
			"id": "chg-" + change, "type": "change", "team": p.team, "service": p.service,
			"change_id": change, "repo": "acme/" + p.service, "title": fmt.Sprintf("Change %d of %s", n, p.service),
			"author": "dev" + strconv.Itoa(n%3), "first_commit_at": rfc(first), "opened_at": rfc(opened),
			"first_review_at": rfc(reviewed), "approved_at": rfc(approved), "merged_at": rfc(merged),
			"merge_commit": commit, "commits": []string{commit},
		})
		deployed := event{
			"id": "dep-" + deployID, "type": "deployment", "team": p.team, "service": p.service,
			"environment": "production", "deployment_id": deployID, "version": fmt.Sprintf("1.%d.0", n),
			"commit": commit, "started_at": rfc(finished.Add(-12 * time.Minute)), "finished_at": rfc(finished),
			"status": p.status, "change_ids": []string{change},
		}
		for k, v := range p.extra {
			deployed[k] = v
		}
		add(deployed)
		d.Deployments[p.team]++
		if p.service == "checkout" {
			d.CanaryDeployment = deployID
		}
	}
	// An incident the second checkout deployment caused, resolved in 3 hours.
	opened := now.Add(-16*24*time.Hour + 2*time.Hour)
	add(event{
		"id": "inc-1", "type": "incident", "team": "payments", "service": "checkout", "environment": "production",
		"incident_id": "INC-1", "severity": "SEV2", "title": "Checkout errors after release",
		"opened_at": rfc(opened), "resolved_at": rfc(opened.Add(3 * time.Hour)),
		"caused_by_deployment": "payments-checkout-2",
	})
	// A staging deployment, so that environments list more than one.
	add(event{
		"id": "dep-staging-1", "type": "deployment", "team": "payments", "service": "checkout",
		"environment": "staging", "deployment_id": "payments-checkout-staging-1", "version": "1.8.0-rc1",
		"started_at": rfc(now.Add(-26 * time.Hour)), "finished_at": rfc(now.Add(-25 * time.Hour)), "status": "success",
	})

	d.LeadTime = (48+5+24+2)*time.Hour + 10*time.Minute + (15+8+5+40+20+5+180+1+5+5+12)*time.Minute
	return d, events
}

// plan is one deployment of the demo history.
type plan struct {
	team, service string
	// daysAgo is how many days before now the deployment finished.
	daysAgo int
	status  string
	extra   event
}

// countOf numbers a service's deployments: the n-th one is <team>-<service>-n.
func countOf(plans []plan, team, service string) int {
	n := 0
	for _, p := range plans {
		if p.team == team && p.service == service {
			n++
		}
	}
	return n
}
