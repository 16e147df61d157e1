package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/delivery/demo"
)

// `demo load` fills a fresh server through its public API: every team's
// production deployments count in its DORA figures, the slow approvers and
// the growing CI queue show up where the waits are, the regressed canaries
// fail and the others pass, and loading again changes nothing.
func TestDemoLoadFillsEveryTeam(t *testing.T) {
	p := startServe(t, t.TempDir())
	end := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	args := []string{"load", "--url", p.url, "--token", p.token, "--days", "30", "--end", end.Format(time.RFC3339)}
	var out strings.Builder
	if err := runDemo(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("demo load: %v\n%s", err, out.String())
	}
	h := demo.Generate(demo.Config{End: end, Days: 30, Seed: 1})
	window := url.Values{"from": {end.AddDate(0, 0, -30).Format(time.RFC3339)}, "to": {end.Format(time.RFC3339)}}

	get := func(path string, q url.Values, into any) {
		t.Helper()
		code, body := p.request(t, http.MethodGet, path+"?"+q.Encode(), "")
		if code != http.StatusOK {
			t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), code, body)
		}
		if err := json.Unmarshal([]byte(body), into); err != nil {
			t.Fatal(err)
		}
	}
	deployments := func(team string) int {
		var r struct {
			DeploymentFrequency struct{ Deployments int } `json:"deployment_frequency"`
		}
		q := window
		q.Set("team", team)
		get("/api/v1/dora", q, &r)
		return r.DeploymentFrequency.Deployments
	}
	for _, team := range demo.Teams() {
		if got := deployments(team); got != h.Deployments[team] || got == 0 {
			t.Errorf("%s: DORA counts %d deployments, the demo sent %d", team, got, h.Deployments[team])
		}
	}

	topWaits := func(team string) []string {
		var r struct {
			TopWaits []struct{ Stage string } `json:"top_waits"`
		}
		q := window
		q.Set("team", team)
		get("/api/v1/waits", q, &r)
		var out []string
		for _, w := range r.TopWaits {
			out = append(out, w.Stage)
		}
		return out
	}
	if w := topWaits("mobile"); len(w) == 0 || w[0] != "approve" {
		t.Errorf("mobile's top waits %v: its 30-hour approvals should lead", w)
	}
	if w := topWaits("platform"); !slices.Contains(w, "test") || !slices.Contains(w, "build") {
		t.Errorf("platform's top waits %v: its CI queue should show in build and test", w)
	}

	for _, c := range h.Canaries {
		var r struct {
			Analyses []struct{ Status, Verdict string } `json:"analyses"`
		}
		get("/api/v1/canary/analyses", url.Values{"deployment_id": {c.DeploymentID}}, &r)
		want := "pass"
		if c.Regressed {
			want = "fail"
		}
		if len(r.Analyses) != 1 || r.Analyses[0].Status != "completed" || r.Analyses[0].Verdict != want {
			t.Errorf("canary of %s (regressed %v): %+v, want one completed %s", c.DeploymentID, c.Regressed, r.Analyses, want)
		}
	}
	if !strings.Contains(out.String(), "payments") || !strings.Contains(out.String(), "fail") {
		t.Errorf("demo load says:\n%s", out.String())
	}

	// Event ids are the idempotency keys: a second load stores nothing new.
	if err := runDemo(context.Background(), args, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, team := range demo.Teams() {
		if got := deployments(team); got != h.Deployments[team] {
			t.Errorf("%s after a second load: %d deployments, want %d", team, got, h.Deployments[team])
		}
	}
}

func TestDemoLoadRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "subcommand load"},
		{[]string{"load"}, "--token"},
		{[]string{"load", "--token", "x", "--days", "0"}, "--days"},
		{[]string{"load", "--token", "x", "--end", "yesterday"}, "--end"},
	} {
		err := runDemo(context.Background(), c.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("demo %v: %v, want an error naming %s", c.args, err, c.want)
		}
	}
}
