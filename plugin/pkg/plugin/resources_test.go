package plugin_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
	"github.com/deploylens/deploylens/plugin/pkg/plugin"
)

// TestResources are the lists the query editor and template variables
// show, read from a real deploylens through the plugin's CallResource.
func TestResources(t *testing.T) {
	dl := deploylenstest.Start(t)
	demo := deploylenstest.Seed(t, dl)
	p := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken})

	options := func(t *testing.T, p *deploylenstest.Plugin, path string) []plugin.Option {
		t.Helper()
		code, body := p.Resource(t, path)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		var out []plugin.Option
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
		return out
	}
	values := func(opts []plugin.Option) []string {
		out := make([]string, len(opts))
		for i, o := range opts {
			out[i] = o.Value
		}
		return out
	}
	equal := func(t *testing.T, what string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %q, want %q", what, got, want)
			}
		}
	}

	t.Run("teams", func(t *testing.T) {
		equal(t, "teams", values(options(t, p, "teams")), demo.Teams)
	})
	t.Run("services of every team", func(t *testing.T) {
		got := options(t, p, "services")
		equal(t, "services", values(got), []string{"checkout", "indexer", "ledger"})
		if got[0].Description != "team payments" {
			t.Errorf("checkout's description %q, want the owning team", got[0].Description)
		}
	})
	t.Run("services of one team", func(t *testing.T) {
		equal(t, "services", values(options(t, p, "services?team=payments")), []string{"checkout", "ledger"})
	})
	t.Run("All means every team", func(t *testing.T) {
		equal(t, "services", values(options(t, p, "services?team=*")), []string{"checkout", "indexer", "ledger"})
	})
	t.Run("environments", func(t *testing.T) {
		equal(t, "environments", values(options(t, p, "environments?team=payments")), demo.Environments)
	})
	t.Run("changes", func(t *testing.T) {
		got := values(options(t, p, "changes?team=payments"))
		found := false
		for _, c := range got {
			found = found || c == demo.ChangeID
		}
		if !found {
			t.Fatalf("changes of payments %q do not list %s", got, demo.ChangeID)
		}
	})
	t.Run("a token scoped to one team lists only it", func(t *testing.T) {
		scoped := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.Token(t, auth.RoleRead, "search")})
		equal(t, "teams", values(options(t, scoped, "teams")), []string{"search"})
		equal(t, "services", values(options(t, scoped, "services")), []string{"indexer"})
		code, body := scoped.Resource(t, "services?team=payments")
		if code != http.StatusForbidden {
			t.Fatalf("another team's services: %d %s, want 403", code, body)
		}
	})
	t.Run("unknown resource", func(t *testing.T) {
		code, body := p.Resource(t, "dashboards")
		if code != http.StatusNotFound {
			t.Fatalf("%d %s, want 404", code, body)
		}
	})
}
