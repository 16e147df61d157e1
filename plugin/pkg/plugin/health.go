package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// CheckHealth answers the data source page's "Save & test": is deploylens
// reachable, ready (ClickHouse up, schema current), and does the token read?
// Each failure says what an admin should change.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	fail := func(format string, args ...any) (*backend.CheckHealthResult, error) {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: fmt.Sprintf(format, args...)}, nil
	}
	if d.configErr != nil {
		return fail("Configuration: %v", d.configErr)
	}
	c := d.client

	health, err := c.Healthz(ctx)
	if err != nil {
		if deploylensapi.IsUnreachable(err) {
			return fail("Cannot reach deploylens at %s: %v. Check the URL and that Grafana's network can reach deploylens' HTTP port.", c.URL(), errors.Unwrap(err))
		}
		return fail("%s does not answer like deploylens (GET /healthz: %v). Check the URL: it is the address of deploylens' HTTP listener, e.g. http://deploylens:8080.", c.URL(), err)
	}

	ready, err := c.Readyz(ctx)
	if err != nil {
		return fail("deploylens %s at %s answered GET /readyz with an error: %v", health.Version, c.URL(), err)
	}
	if !ready.Ready() {
		return fail("deploylens %s at %s is up but not ready: %s. Fix deploylens' ClickHouse connection or run `deploylens migrate up`.", health.Version, c.URL(), ready.Error)
	}

	teams, err := c.Teams(ctx)
	switch deploylensapi.StatusOf(err) {
	case 0:
		if err != nil {
			return fail("deploylens %s at %s: listing teams failed: %v", health.Version, c.URL(), err)
		}
	case http.StatusUnauthorized:
		return fail("deploylens rejected the token (invalid or revoked). Create a read token with `deploylens token create --role read --name grafana` and paste it into the Token field.")
	case http.StatusForbidden:
		return fail("The token may not read metrics: %v. Use a token with role read (or admin).", err)
	default:
		return fail("deploylens %s at %s: listing teams failed: %v", health.Version, c.URL(), err)
	}

	msg := fmt.Sprintf("deploylens %s is ready (schema current); the token sees %d team(s).", health.Version, len(teams))
	if len(teams) == 0 {
		msg += " No team is in the service catalog yet: send events or add services with PUT /api/v1/catalog/services/{name}."
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: msg}, nil
}
