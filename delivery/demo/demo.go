// Package demo generates a realistic, seeded delivery history for four
// teams — native v1 events (DESIGN.md §5), the service catalog they
// assume, and the canary analyses to run on telemetry shaped for them — so
// that a newcomer's deploylens shows every panel filled. The same seed and
// end give the same history.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Config sizes a history.
type Config struct {
	// End is when the history ends (truncated to the minute); nothing
	// happens after it.
	End time.Time
	// Days of history before End.
	Days int
	// Seed of the random choices.
	Seed uint64
}

// Event is one native v1 event.
type Event map[string]any

// Canary is one canary analysis to run: the deployment it judges, the
// versions compared, the half hour after the deployment that telemetry
// covers, and whether the canary's telemetry is made worse than the
// baseline's (a regression the analysis should fail).
type Canary struct {
	Team, Service, DeploymentID string
	Baseline, Canary            string
	Start                       time.Time
	Lifetime                    time.Duration
	Regressed                   bool
}

// History is what Generate makes.
type History struct {
	// Catalog maps service → team.
	Catalog map[string]string
	// Events in time order.
	Events   []Event
	Canaries []Canary
	// Deployments to production per team.
	Deployments map[string]int
}

// profile is how one team ships.
type profile struct {
	team     string
	services []string
	// perDay is each service's production deployments a day.
	perDay float64
	// failure is the share of deployments that fail outright; rollback the
	// share of successful ones rolled back later; incident the share that
	// cause an incident.
	failure, rollback, incident float64
	// reviewPickup and approval are the mean waits for a first review and
	// for the approval gate of the pipeline.
	reviewPickup, approval time.Duration
	// ciQueueFrom grows to ciQueueTo over the history: a CI queue that
	// fills up.
	ciQueueFrom, ciQueueTo time.Duration
	// staging deploys every change to staging first.
	staging bool
}

var profiles = []profile{
	{team: "payments", services: []string{"checkout", "ledger"}, perDay: 1.2, failure: 0.04, rollback: 0.03, incident: 0.04,
		reviewPickup: 3 * time.Hour, approval: 40 * time.Minute, ciQueueFrom: 4 * time.Minute, ciQueueTo: 6 * time.Minute, staging: true},
	{team: "search", services: []string{"indexer", "query-api"}, perDay: 3.5, failure: 0.08, rollback: 0.04, incident: 0.05,
		reviewPickup: 90 * time.Minute, approval: 0, ciQueueFrom: 3 * time.Minute, ciQueueTo: 5 * time.Minute},
	{team: "mobile", services: []string{"ios-app", "android-app"}, perDay: 0.3, failure: 0.10, rollback: 0.05, incident: 0.08,
		reviewPickup: 8 * time.Hour, approval: 30 * time.Hour, ciQueueFrom: 10 * time.Minute, ciQueueTo: 12 * time.Minute},
	{team: "platform", services: []string{"gateway", "auth"}, perDay: 1.0, failure: 0.15, rollback: 0.06, incident: 0.10,
		reviewPickup: 5 * time.Hour, approval: 2 * time.Hour, ciQueueFrom: 10 * time.Minute, ciQueueTo: 4 * time.Hour},
}

// Teams are the teams of every history, in order.
func Teams() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.team
	}
	return out
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Generate makes the history of c.
func Generate(c Config) History {
	if c.Days <= 0 {
		c.Days = 90
	}
	end := c.End.UTC().Truncate(time.Minute)
	start := end.Add(-time.Duration(c.Days) * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(c.Seed, 0x6465706c6f796c65))
	h := History{Catalog: map[string]string{}, Deployments: map[string]int{}}
	for _, p := range profiles {
		for _, svc := range p.services {
			h.Catalog[svc] = p.team
			g := &serviceHistory{p: p, service: svc, rng: rng, start: start, end: end, h: &h}
			g.generate()
			if len(g.canaries) > canariesPerTeam {
				g.canaries = g.canaries[len(g.canaries)-canariesPerTeam:]
			}
			// The middle one of every other team's canaries regressed.
			if len(g.canaries) == canariesPerTeam && len(h.Canaries)%(2*canariesPerTeam) == canariesPerTeam {
				g.canaries[1].Regressed = true
			}
			h.Canaries = append(h.Canaries, g.canaries...)
		}
	}
	sort.SliceStable(h.Events, func(i, j int) bool { return eventTime(h.Events[i]) < eventTime(h.Events[j]) })
	return h
}

// eventTime orders events by when they happened (RFC 3339 strings in UTC
// compare as times).
func eventTime(e Event) string {
	for _, k := range []string{"finished_at", "merged_at", "opened_at", "started_at"} {
		if v, ok := e[k].(string); ok {
			return v
		}
	}
	return ""
}

// serviceHistory generates one service's history.
type serviceHistory struct {
	p          profile
	service    string
	rng        *rand.Rand
	start, end time.Time
	h          *History
	n          int
	// lastOK is the latest successful production deployment and its
	// version: the baseline of a canary.
	lastOK, lastVersion string
	canaries            []Canary
}

const (
	canaryLifetime = 30 * time.Minute
	// canariesPerTeam are the latest deployments a team has judged.
	canariesPerTeam = 3
)

// exp draws an exponential duration with the given mean.
func (g *serviceHistory) exp(mean time.Duration) time.Duration {
	return time.Duration(g.rng.ExpFloat64() * float64(mean))
}

// around draws a duration within ±30% of d.
func (g *serviceHistory) around(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.7 + 0.6*g.rng.Float64()))
}

func (g *serviceHistory) add(e Event) {
	e["team"] = g.p.team
	e["service"] = g.service
	g.h.Events = append(g.h.Events, e)
}

func (g *serviceHistory) generate() {
	// Deployments arrive as a Poisson process, on working hours.
	mean := time.Duration(float64(24*time.Hour) / g.p.perDay)
	t := g.start.Add(g.exp(mean))
	var pendingRollback string
	for t.Before(g.end) {
		finished := workingHours(t)
		if !finished.Before(g.end) {
			break
		}
		rollbackOf := ""
		if pendingRollback != "" {
			rollbackOf, pendingRollback = pendingRollback, ""
		}
		id, ok := g.deploy(finished, rollbackOf)
		switch {
		case !ok:
			// A failed deployment is followed by a fix within hours.
			t = finished.Add(g.around(3 * time.Hour))
			continue
		case rollbackOf == "" && g.rng.Float64() < g.p.rollback:
			// Rolled back by the next deployment, soon after.
			pendingRollback = id
			t = finished.Add(g.around(90 * time.Minute))
			continue
		}
		t = finished.Add(g.exp(mean))
	}
}

// workingHours moves t into 08:00–18:00 UTC of a weekday.
func workingHours(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || t.Hour() < 8 || t.Hour() >= 18 {
		if t.Hour() >= 18 || t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, time.UTC).Add(time.Duration(t.Minute()) * time.Minute)
		} else {
			t = time.Date(t.Year(), t.Month(), t.Day(), 8, t.Minute(), 0, 0, time.UTC)
		}
	}
	return t
}

// deploy writes one production deployment finishing at finished, with its
// changes, pipeline run, possible staging deployment and incident, and
// says whether it succeeded.
func (g *serviceHistory) deploy(finished time.Time, rollbackOf string) (string, bool) {
	g.n++
	n := g.n
	id := fmt.Sprintf("%s-%d", g.service, n)
	version := fmt.Sprintf("2.%d.%d", n/10, n%10)
	commit := fmt.Sprintf("%x", 0x1000000+n*7919+len(g.service)*104729)
	failed := rollbackOf == "" && g.rng.Float64() < g.p.failure
	// The pipeline, timed back from the deployment's finish.
	progress := float64(finished.Sub(g.start)) / float64(g.end.Sub(g.start))
	ciQueue := time.Duration(float64(g.p.ciQueueFrom) + progress*float64(g.p.ciQueueTo-g.p.ciQueueFrom))
	type stage struct {
		name, kind  string
		queue, work time.Duration
	}
	stages := []stage{
		{"build", "build", g.around(ciQueue), g.around(7 * time.Minute)},
		{"test", "test", g.around(ciQueue), g.around(18 * time.Minute)},
	}
	if g.p.staging {
		stages = append(stages, stage{"deploy-staging", "deploy", g.around(2 * time.Minute), g.around(6 * time.Minute)})
	}
	if g.p.approval > 0 {
		// An approval job starts at once and runs until someone approves:
		// its running time is the approval gate's wait.
		stages = append(stages, stage{"approve", "approval", g.around(time.Minute), g.exp(g.p.approval)})
	}
	stages = append(stages, stage{"deploy", "deploy", g.around(2 * time.Minute), g.around(9 * time.Minute)})
	const handOff = 2 * time.Minute
	var total time.Duration
	for _, s := range stages {
		total += s.queue + s.work + handOff
	}
	merged := finished.Add(-total)
	// The changes it ships: a rollback ships none.
	var changes []string
	if rollbackOf == "" {
		for i := range 1 + g.rng.IntN(3) {
			change := fmt.Sprintf("acme/%s#%d", g.service, n*3+i)
			changes = append(changes, change)
			approved := merged.Add(-g.around(45 * time.Minute))
			reviewed := approved.Add(-g.around(2 * time.Hour))
			opened := reviewed.Add(-g.exp(g.p.reviewPickup))
			first := opened.Add(-g.around(20 * time.Hour))
			g.add(Event{
				"id": "chg-" + change, "type": "change", "change_id": change, "repo": "acme/" + g.service,
				"title": fmt.Sprintf("%s change %d", g.service, n*3+i), "author": fmt.Sprintf("dev%d", g.rng.IntN(6)),
				"first_commit_at": rfc(first), "opened_at": rfc(opened), "first_review_at": rfc(reviewed),
				"approved_at": rfc(approved), "merged_at": rfc(merged), "merge_commit": commit,
			})
		}
	}
	at := merged.Add(handOff)
	var deployStart time.Time
	for i, s := range stages {
		queued := at
		started := queued.Add(s.queue)
		ended := started.Add(s.work)
		result := "success"
		if failed && i == len(stages)-1 {
			result = "failure"
		}
		g.add(Event{
			"id": fmt.Sprintf("stg-%s-%s", id, s.name), "type": "pipeline_stage", "pipeline": g.service + "-release",
			"run_id": id, "stage": s.name, "kind": s.kind, "queued_at": rfc(queued), "started_at": rfc(started),
			"finished_at": rfc(ended), "result": result, "commit": commit, "change_ids": nonNil(changes),
		})
		if s.name == "deploy-staging" {
			g.add(Event{
				"id": "dep-stg-" + id, "type": "deployment", "environment": "staging", "deployment_id": "stg-" + id,
				"version": version, "commit": commit, "started_at": rfc(started), "finished_at": rfc(ended),
				"status": "success", "change_ids": nonNil(changes),
			})
		}
		if s.name == "deploy" {
			deployStart = started
		}
		at = ended.Add(handOff)
	}
	status := "success"
	if failed {
		status = "failure"
	}
	dep := Event{
		"id": "dep-" + id, "type": "deployment", "environment": "production", "deployment_id": id,
		"version": version, "commit": commit, "started_at": rfc(deployStart), "finished_at": rfc(finished),
		"status": status, "change_ids": nonNil(changes),
	}
	if rollbackOf != "" {
		dep["rollback_of"] = rollbackOf
	}
	g.add(dep)
	g.h.Deployments[g.p.team]++
	if failed {
		return id, false
	}
	// Some successful deployments cause an incident: half name their cause,
	// half are left to the attribution window.
	if g.rng.Float64() < g.p.incident {
		opened := finished.Add(g.around(3 * time.Hour))
		if opened.Before(g.end) {
			inc := Event{
				"id": "inc-" + id, "type": "incident", "environment": "production", "incident_id": "INC-" + id,
				"severity": []string{"SEV1", "SEV2", "SEV3"}[g.rng.IntN(3)], "title": fmt.Sprintf("%s degraded after %s", g.service, version),
				"opened_at": rfc(opened),
			}
			if resolved := opened.Add(g.around(time.Duration(1+g.rng.IntN(6)) * time.Hour)); resolved.Before(g.end) {
				inc["resolved_at"] = rfc(resolved)
			}
			if g.rng.IntN(2) == 0 {
				inc["caused_by_deployment"] = id
			}
			g.add(inc)
		}
	}
	// A team's first service is judged by canary analyses (Generate keeps
	// the last few); the half hour after the deployment must be over.
	if g.service == g.p.services[0] && g.lastVersion != "" && finished.Add(canaryLifetime).Before(g.end) {
		g.canaries = append(g.canaries, Canary{
			Team: g.p.team, Service: g.service, DeploymentID: id, Baseline: g.lastVersion, Canary: version,
			Start: finished, Lifetime: canaryLifetime,
		})
	}
	g.lastOK, g.lastVersion = id, version
	return id, true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Latency is the deterministic latency of the i-th span of a version in a
// canary's telemetry: around 80 ms, 60% slower when regressed.
func Latency(i int, regressed bool) time.Duration {
	ms := 80 * math.Exp(0.3*math.Sin(float64(i)*1.7))
	if regressed {
		ms *= 1.6
	}
	return time.Duration(ms * float64(time.Millisecond))
}
