package api

import (
	"context"
	"testing"
	"time"

	"github.com/deploylens/deploylens/store"
)

// An analysis reads a service's telemetry, which carries no team. A token
// scoped to one team cannot read another team's service by naming its own
// team in the request: the service's owner (catalog first, else its latest
// deployment) must be in scope too. Services nobody owns stay open.
func TestAnalysisOfAnotherTeamsServiceIsForbidden(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.4.0", perMinute: 20, medianMS: 80, sigma: 0.2}, 1)
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.5.0", perMinute: 20, medianMS: 80, sigma: 0.2}, 2)
	for _, tc := range []struct {
		name  string
		owner func(t *testing.T, service string)
		who   string
		team  string
		want  int
	}{
		{"catalog owner in scope", catalogOwner(f, "payments"), "read-pay", "payments", 201},
		{"catalog owner out of scope", catalogOwner(f, "payments"), "read-search", "search", 403},
		{"deployment owner out of scope", deploymentOwner(f, "payments"), "read-search", "search", 403},
		{"deployment owner in scope", deploymentOwner(f, "payments"), "read-pay", "payments", 201},
		{"catalog beats an older deployment", func(t *testing.T, s string) {
			deploymentOwner(f, "search")(t, s)
			catalogOwner(f, "payments")(t, s)
		}, "read-search", "search", 403},
		{"no owner known", func(*testing.T, string) {}, "read-search", "search", 201},
		{"a token for every team", catalogOwner(f, "payments"), "read-all", "search", 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case sets checkout's owner afresh; the telemetry is checkout's.
			service := "checkout"
			if err := f.conn.Exec(ctx, "TRUNCATE TABLE service_catalog"); err != nil {
				t.Fatal(err)
			}
			if err := f.conn.Exec(ctx, "TRUNCATE TABLE deployments"); err != nil {
				t.Fatal(err)
			}
			tc.owner(t, service)
			req := analysisRequest(tc.team, checkoutConfig())
			body := f.do(t, tc.who, "POST", "/api/v1/canary/analyses", req, tc.want)
			if tc.want == 403 {
				if got := fields(body); len(got) != 1 || got[0] != "service" {
					t.Fatalf("403 names %v, want the field service: %v", got, body)
				}
			}
		})
	}
}

func catalogOwner(f *fixture, team string) func(*testing.T, string) {
	return func(t *testing.T, service string) {
		t.Helper()
		if err := store.InsertRow(context.Background(), f.conn, "INSERT INTO service_catalog (service, team, updated_at, deleted, attributes)",
			service, team, time.Now().UTC(), false, map[string]string{}); err != nil {
			t.Fatal(err)
		}
	}
}

func deploymentOwner(f *fixture, team string) func(*testing.T, string) {
	return func(t *testing.T, service string) {
		t.Helper()
		if err := store.InsertRow(context.Background(), f.conn, "INSERT INTO deployments (deployment_id, event_id, team, service, environment, finished_at, status)",
			"d-"+team, "e-"+team, team, service, "production", t0.Add(-time.Hour), "success"); err != nil {
			t.Fatal(err)
		}
	}
}
