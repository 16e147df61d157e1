package query_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/query"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

type fixture struct {
	srv    *httptest.Server
	tokens map[string]string
	store  *auth.Tokens
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	conn := storetest.Open(t)
	ctx := context.Background()
	if _, err := (&migrations.Migrator{Conn: conn}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(conn, 0)
	s := server.New(server.Options{Authenticator: tokens})
	query.RegisterCatalog(s, &query.Catalog{Conn: conn})
	f := &fixture{srv: httptest.NewServer(s.Engine), tokens: map[string]string{}, store: tokens}
	t.Cleanup(f.srv.Close)
	for name, spec := range map[string]struct {
		role  auth.Role
		teams []string
	}{
		"admin":      {auth.RoleAdmin, nil},
		"ingest":     {auth.RoleIngest, nil},
		"read-all":   {auth.RoleRead, []string{"*"}},
		"read-pay":   {auth.RoleRead, []string{"payments"}},
		"read-multi": {auth.RoleRead, []string{"payments", "search"}},
	} {
		plain, _, err := tokens.Create(ctx, name, spec.role, spec.teams)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = plain
	}
	for svc, team := range map[string]string{"checkout": "payments", "ledger": "payments", "indexer": "search", "ads-api": "ads"} {
		f.do(t, "admin", "PUT", "/api/v1/catalog/services/"+svc, `{"team":"`+team+`"}`, http.StatusOK)
	}
	return f
}

func (f *fixture) do(t *testing.T, who, method, path, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if who != "" {
		tok := f.tokens[who]
		if tok == "" {
			tok = who // a literal token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != want {
		t.Fatalf("%s %s as %s: status %d, want %d; body %v", method, path, who, res.StatusCode, want, out)
	}
	return out
}

func TestCatalogAuthorization(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, who, method, path, body string
		want                          int
	}{
		{"no token is 401", "", "GET", "/api/v1/teams", "", 401},
		{"made-up token is 401", "dlk_abc_def", "GET", "/api/v1/teams", "", 401},
		{"bootstrap-shaped guess is 401", "not-the-admin-token-at-all", "GET", "/api/v1/teams", "", 401},
		{"ingest token cannot read", "ingest", "GET", "/api/v1/teams", "", 403},
		{"read token cannot write the catalog", "read-all", "PUT", "/api/v1/catalog/services/x", `{"team":"a"}`, 403},
		{"ingest token cannot write the catalog", "ingest", "PUT", "/api/v1/catalog/services/x", `{"team":"a"}`, 403},
		{"team-scoped token cannot read another team", "read-pay", "GET", "/api/v1/services?team=search", "", 403},
		{"team-scoped token reads its team", "read-pay", "GET", "/api/v1/services?team=payments", "", 200},
		{"read-all token reads any team", "read-all", "GET", "/api/v1/services?team=search", "", 200},
		{"admin reads any team", "admin", "GET", "/api/v1/services?team=ads", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) { f.do(t, tc.who, tc.method, tc.path, tc.body, tc.want) })
	}
}

func TestListingsShowOnlyTheTokensTeams(t *testing.T) {
	f := newFixture(t)
	teams := func(who string) []string {
		out := f.do(t, who, "GET", "/api/v1/teams", "", 200)
		var names []string
		for _, x := range out["teams"].([]any) {
			names = append(names, x.(map[string]any)["team"].(string))
		}
		return names
	}
	if got := strings.Join(teams("read-pay"), ","); got != "payments" {
		t.Errorf("read-pay sees teams %q, want payments", got)
	}
	if got := strings.Join(teams("read-multi"), ","); got != "payments,search" {
		t.Errorf("read-multi sees teams %q, want payments,search", got)
	}
	if got := strings.Join(teams("admin"), ","); got != "ads,payments,search" {
		t.Errorf("admin sees teams %q", got)
	}
	out := f.do(t, "read-pay", "GET", "/api/v1/services", "", 200)
	for _, s := range out["services"].([]any) {
		if team := s.(map[string]any)["team"]; team != "payments" {
			t.Errorf("read-pay sees service of team %v", team)
		}
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	f.do(t, "read-all", "GET", "/api/v1/teams", "", 200)
	id := strings.SplitN(strings.TrimPrefix(f.tokens["read-all"], "dlk_"), "_", 2)[0]
	if err := f.store.Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	f.do(t, "read-all", "GET", "/api/v1/teams", "", 401)
}

func TestCatalogValidationNamesTheField(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ name, path, body, field string }{
		{"missing team", "/api/v1/catalog/services/svc", `{}`, "team"},
		{"team of wrong type", "/api/v1/catalog/services/svc", `{"team": 7}`, "team"},
		{"unknown field", "/api/v1/catalog/services/svc", `{"team":"a","owner":"b"}`, "owner"},
		{"not JSON", "/api/v1/catalog/services/svc", `{"team":`, "body"},
		{"bad service name", "/api/v1/catalog/services/%20bad", `{"team":"a"}`, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := f.do(t, "admin", "PUT", tc.path, tc.body, 400)
			details, _ := out["details"].([]any)
			if len(details) == 0 || details[0].(map[string]any)["field"] != tc.field {
				t.Fatalf("details %v do not name field %q", out["details"], tc.field)
			}
		})
	}
	out := f.do(t, "admin", "GET", "/api/v1/services", "", 200)
	for _, s := range out["services"].([]any) {
		if s.(map[string]any)["service"] == "svc" {
			t.Fatal("a rejected request was stored")
		}
	}
}
