package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/waits"
	"github.com/deploylens/deploylens/server"
)

type fixture struct {
	srv    *httptest.Server
	tokens map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	conn := deliverytest.Open(t)
	deliverytest.Seed(t, conn, deliverytest.Load(t, "testdata/history.json"))
	benchmarks, err := dora.LoadBenchmarks()
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(conn, time.Minute)
	s := server.New(server.Options{Authenticator: tokens})
	a := &API{
		Conn:  conn,
		DORA:  &dora.Calculator{Conn: conn, Benchmarks: benchmarks},
		Waits: &waits.Calculator{Conn: conn},
		Now:   func() time.Time { return time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC) },
	}
	a.Register(s)
	f := &fixture{srv: httptest.NewServer(s.Engine), tokens: map[string]string{}}
	t.Cleanup(f.srv.Close)
	for name, spec := range map[string]struct {
		role  auth.Role
		teams []string
	}{
		"admin":       {auth.RoleAdmin, nil},
		"ingest":      {auth.RoleIngest, nil},
		"read-all":    {auth.RoleRead, []string{"*"}},
		"read-pay":    {auth.RoleRead, []string{"payments"}},
		"read-search": {auth.RoleRead, []string{"search"}},
	} {
		plain, _, err := tokens.Create(context.Background(), name, spec.role, spec.teams)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = plain
	}
	return f
}

func (f *fixture) get(t *testing.T, who, path string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != want {
		t.Fatalf("GET %s as %s: status %d, want %d; body %v", path, who, res.StatusCode, want, out)
	}
	return out
}

// fields returns the fields an error body's details name.
func fields(body map[string]any) []string {
	var out []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok {
			out = append(out, m["field"].(string))
		}
	}
	return out
}

const week = "from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z"

func TestTeamScopeIsEnforced(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, who, path string
		status          int
	}{
		{"own team", "read-pay", "/api/v1/dora?team=payments&" + week, http.StatusOK},
		{"another team's DORA", "read-pay", "/api/v1/dora?team=search&" + week, http.StatusForbidden},
		{"another team's series", "read-pay", "/api/v1/dora/series?team=search&" + week, http.StatusForbidden},
		{"another team's waits", "read-pay", "/api/v1/waits?team=search&" + week, http.StatusForbidden},
		{"another team's deployments", "read-pay", "/api/v1/deployments?team=search&" + week, http.StatusForbidden},
		{"another team's incidents", "read-pay", "/api/v1/incidents?team=search&" + week, http.StatusForbidden},
		{"another team's environments", "read-pay", "/api/v1/environments?team=search&" + week, http.StatusForbidden},
		{"another team's change", "read-search", "/api/v1/changes/c1/timeline", http.StatusForbidden},
		{"own change", "read-pay", "/api/v1/changes/c1/timeline", http.StatusOK},
		{"any team with an all-teams read token", "read-all", "/api/v1/dora?team=search&" + week, http.StatusOK},
		{"forbidden even when the team does not exist", "read-pay", "/api/v1/dora?team=nobody&" + week, http.StatusForbidden},
		{"an ingest token cannot read", "ingest", "/api/v1/dora?team=payments&" + week, http.StatusForbidden},
		{"no token", "", "/api/v1/dora?team=payments&" + week, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := f.get(t, c.who, c.path, c.status)
			if c.status == http.StatusForbidden && strings.Contains(c.path, "team=") && c.who != "ingest" && !slices.Contains(fields(body), "team") {
				t.Errorf("403 names %v, want the team field", fields(body))
			}
		})
	}
}

func TestWithoutTeamAnswerCoversTheCallersTeams(t *testing.T) {
	f := newFixture(t)
	pay := f.get(t, "read-pay", "/api/v1/dora?"+week, http.StatusOK)
	all := f.get(t, "admin", "/api/v1/dora?"+week, http.StatusOK)
	count := func(b map[string]any) float64 {
		return b["deployment_frequency"].(map[string]any)["deployments"].(float64)
	}
	if count(pay) != 3 || count(all) != 4 {
		t.Fatalf("deployments seen: payments token %v (want 3), admin %v (want 4)", count(pay), count(all))
	}
	// Naming another team's service does not widen the scope.
	if n := count(f.get(t, "read-pay", "/api/v1/dora?service=indexer&"+week, http.StatusOK)); n != 0 {
		t.Fatalf("payments token sees %v deployments of search's indexer", n)
	}
}

func TestParametersAreValidated(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, path string
		status     int
		field      string
	}{
		{"malformed from", "/api/v1/dora?team=payments&from=yesterday", http.StatusBadRequest, "from"},
		{"malformed to", "/api/v1/waits?team=payments&to=2026-13-01", http.StatusBadRequest, "to"},
		{"from after to", "/api/v1/dora?team=payments&from=2026-03-09T00:00:00Z&to=2026-03-02T00:00:00Z", http.StatusBadRequest, "from"},
		{"from equal to to", "/api/v1/dora?team=payments&from=2026-03-09T00:00:00Z&to=2026-03-09T00:00:00Z", http.StatusBadRequest, "from"},
		{"window too long", "/api/v1/dora?team=payments&from=2016-03-09T00:00:00Z&to=2026-03-09T00:00:00Z", http.StatusBadRequest, "from"},
		{"unknown parameter", "/api/v1/dora?team=payments&teem=x", http.StatusBadRequest, "teem"},
		{"repeated parameter", "/api/v1/dora?team=payments&team=search", http.StatusBadRequest, "team"},
		{"bad team name", "/api/v1/dora?team=%00drop", http.StatusBadRequest, "team"},
		{"bad environment", "/api/v1/dora?team=payments&environment=%0A", http.StatusBadRequest, "environment"},
		{"unpublished benchmark year", "/api/v1/dora?team=payments&benchmark_year=2019", http.StatusBadRequest, "benchmark_year"},
		{"unknown step", "/api/v1/dora/series?team=payments&step=year", http.StatusBadRequest, "step"},
		{"too many steps", "/api/v1/dora/series?team=payments&step=day&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", http.StatusBadRequest, "step"},
		{"timeline parameter", "/api/v1/changes/c1/timeline?team=payments", http.StatusBadRequest, "team"},
		{"unknown team", "/api/v1/dora?team=nobody", http.StatusNotFound, "team"},
		{"unknown team's waits", "/api/v1/waits?team=nobody", http.StatusNotFound, "team"},
		{"limit zero", "/api/v1/deployments?team=payments&limit=0", http.StatusBadRequest, "limit"},
		{"limit too large", "/api/v1/incidents?team=payments&limit=10001", http.StatusBadRequest, "limit"},
		{"limit not a number", "/api/v1/deployments?team=payments&limit=ten", http.StatusBadRequest, "limit"},
		{"change never deployed", "/api/v1/changes/nope/timeline", http.StatusNotFound, "change_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := f.get(t, "admin", c.path, c.status)
			if !slices.Contains(fields(body), c.field) {
				t.Errorf("error names %v, want %q; body %v", fields(body), c.field, body)
			}
			if msg, _ := body["error"].(string); msg == "" {
				t.Errorf("no error sentence: %v", body)
			}
		})
	}
}

func TestEndpointsAnswer(t *testing.T) {
	f := newFixture(t)
	dora := f.get(t, "read-pay", "/api/v1/dora?team=payments&benchmark_year=2023&"+week, http.StatusOK)
	// c1: first commit 08:00, deployed 14:00 (6h); c2: 08:00, deployed 16:00 the next day after a failure (8h).
	if lt := dora["lead_time"].(map[string]any); lt["changes"].(float64) != 2 || lt["median_seconds"].(float64) != 7*3600 {
		t.Errorf("lead_time = %v, want 2 changes, median 7h", lt)
	}
	if y := dora["benchmark"].(map[string]any)["year"].(float64); y != 2023 {
		t.Errorf("benchmark year %v, want 2023", y)
	}
	series := f.get(t, "read-pay", "/api/v1/dora/series?team=payments&step=day&"+week, http.StatusOK)
	if pts := series["points"].([]any); len(pts) != 7 {
		t.Errorf("%d daily points over a week, want 7", len(pts))
	}
	w := f.get(t, "read-pay", "/api/v1/waits?team=payments&"+week, http.StatusOK)
	if w["changes"].(float64) != 2 {
		t.Errorf("waits over %v changes, want 2", w["changes"])
	}
	deps := f.get(t, "read-pay", "/api/v1/deployments?team=payments&"+week, http.StatusOK)
	var ids []string
	for _, d := range deps["deployments"].([]any) {
		d := d.(map[string]any)
		ids = append(ids, d["deployment_id"].(string))
		if d["deployment_id"] == "d2" && (d["failed"] != true || d["recovered_at"] != "2026-03-03T16:00:00Z") {
			t.Errorf("d2 = %v, want failed and recovered by d3 at 16:00", d)
		}
	}
	if strings.Join(ids, ",") != "d3,d2,d1" || deps["truncated"] != false {
		t.Errorf("deployments %v (truncated %v), want d3,d2,d1 newest first", ids, deps["truncated"])
	}
	if cut := f.get(t, "read-pay", "/api/v1/deployments?team=payments&limit=2&"+week, http.StatusOK); len(cut["deployments"].([]any)) != 2 || cut["truncated"] != true {
		t.Errorf("limit 2: %v", cut)
	}
	// Without a team a read token lists its own teams' rows only; no
	// incidents is an empty list, not a missing one.
	if mine := f.get(t, "read-search", "/api/v1/deployments?"+week, http.StatusOK); len(mine["deployments"].([]any)) != 1 {
		t.Errorf("search token lists %v", mine)
	}
	if incs := f.get(t, "read-pay", "/api/v1/incidents?team=payments&"+week, http.StatusOK); incs["incidents"] == nil || len(incs["incidents"].([]any)) != 0 {
		t.Errorf("incidents = %v, want []", incs)
	}
	envs := f.get(t, "read-pay", "/api/v1/environments?team=payments&"+week, http.StatusOK)["environments"].([]any)
	if len(envs) != 1 || envs[0].(map[string]any)["environment"] != "production" || envs[0].(map[string]any)["deployments"].(float64) != 3 {
		t.Errorf("environments = %v, want production with 3 deployments", envs)
	}
	tl := f.get(t, "read-pay", "/api/v1/changes/c1/timeline", http.StatusOK)
	if tl["team"] != "payments" || tl["lead_seconds"].(float64) != 6*3600 {
		t.Errorf("timeline = %v", tl)
	}
}

// Every endpoint is in the OpenAPI document with exactly the parameters it
// accepts.
func TestOpenAPIDocumentsEveryParameter(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string } `json:"parameters"`
			Responses  map[string]any              `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range Parameters {
		op, ok := doc.Paths[path]["get"]
		if !ok {
			t.Errorf("%s is not documented", path)
			continue
		}
		var got []string
		for _, p := range op.Parameters {
			got = append(got, p.Name)
		}
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s documents %v, accepts %v", path, got, w)
		}
		for _, code := range []string{"200", "400", "401", "403", "404"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s documents no %s response", path, code)
			}
		}
	}
}
