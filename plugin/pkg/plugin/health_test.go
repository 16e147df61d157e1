package plugin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
)

// TestCheckHealth is the data source page's "Save & test" against a real
// deploylens: every failure names what an admin has to change.
func TestCheckHealth(t *testing.T) {
	dl := deploylenstest.Start(t)
	deploylenstest.Seed(t, dl)
	revoked := dl.Token(t, auth.RoleRead, auth.AllTeams)
	dl.Revoke(t, revoked)
	notDeploylens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>grafana login</html>"))
	}))
	defer notDeploylens.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name     string
		settings deploylenstest.Settings
		status   backend.HealthStatus
		want     []string
	}{
		{"read token", deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken}, backend.HealthStatusOk,
			[]string{"is ready (schema current)", "sees 2 team(s)"}},
		{"token scoped to one team", deploylenstest.Settings{URL: dl.URL, Token: dl.Token(t, auth.RoleRead, "search")}, backend.HealthStatusOk,
			[]string{"sees 1 team(s)"}},
		{"URL with a trailing slash", deploylenstest.Settings{URL: dl.URL + "/", Token: dl.ReadToken}, backend.HealthStatusOk,
			[]string{"is ready"}},
		{"wrong token", deploylenstest.Settings{URL: dl.URL, Token: "dlk_nope_nope"}, backend.HealthStatusError,
			[]string{"rejected the token", "deploylens token create --role read"}},
		{"revoked token", deploylenstest.Settings{URL: dl.URL, Token: revoked}, backend.HealthStatusError,
			[]string{"rejected the token"}},
		{"ingest token", deploylenstest.Settings{URL: dl.URL, Token: dl.Token(t, auth.RoleIngest, auth.AllTeams)}, backend.HealthStatusError,
			[]string{"may not read metrics", `role "ingest"`, "role read"}},
		{"no token", deploylenstest.Settings{URL: dl.URL}, backend.HealthStatusError,
			[]string{"token is empty", "deploylens token create"}},
		{"no URL", deploylenstest.Settings{Token: dl.ReadToken}, backend.HealthStatusError,
			[]string{"URL is empty", "http://deploylens:8080"}},
		{"not a URL", deploylenstest.Settings{URL: "deploylens:8080", Token: dl.ReadToken}, backend.HealthStatusError,
			[]string{"is not an http(s) URL"}},
		{"nothing listening", deploylenstest.Settings{URL: closed.URL, Token: dl.ReadToken}, backend.HealthStatusError,
			[]string{"Cannot reach deploylens at " + closed.URL, "connection refused", "Check the URL"}},
		{"not deploylens", deploylenstest.Settings{URL: notDeploylens.URL, Token: dl.ReadToken}, backend.HealthStatusError,
			[]string{"does not answer like deploylens", "GET /healthz"}},
		{"unknown benchmark year", deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken, JSONData: map[string]any{"benchmarkYear": "2019"}}, backend.HealthStatusError,
			[]string{`benchmark year "2019" is not one of 2023, 2024`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := deploylenstest.StartPlugin(t, tc.settings).CheckHealth(t)
			if res.Status != tc.status {
				t.Fatalf("status %v, want %v: %s", res.Status, tc.status, res.Message)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Message, w) {
					t.Errorf("message %q does not say %q", res.Message, w)
				}
			}
		})
	}
}

// TestCheckHealthSchemaNotCurrent: a deploylens whose database lacks a
// migration is up but not ready, and the health check says how to fix it.
func TestCheckHealthSchemaNotCurrent(t *testing.T) {
	dl := deploylenstest.Start(t)
	// As if a migration had been recorded with other SQL than this
	// version ships: deploylens reports its schema as not current.
	err := dl.Store.Conn.Exec(context.Background(),
		"INSERT INTO "+migrations.VersionTable+" (version, name, checksum, applied_at) SELECT version, name, 'edited', now64(3) + 1 FROM "+migrations.VersionTable+" ORDER BY version DESC LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	res := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken}).CheckHealth(t)
	if res.Status != backend.HealthStatusError {
		t.Fatalf("status %v: %s", res.Status, res.Message)
	}
	for _, w := range []string{"is up but not ready", "schema is not current", "deploylens migrate up"} {
		if !strings.Contains(res.Message, w) {
			t.Errorf("message %q does not say %q", res.Message, w)
		}
	}
}
