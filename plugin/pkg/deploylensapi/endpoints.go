package deploylensapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// Healthz answers GET /healthz: liveness and the server's version.
func (c *Client) Healthz(ctx context.Context) (Health, error) {
	var h Health
	err := c.get(ctx, "/healthz", nil, true, &h)
	return h, err
}

// Readyz answers GET /readyz: ClickHouse reachable and schema current. A
// server that is not ready answers 503 with the reason in Error.
func (c *Client) Readyz(ctx context.Context) (Readiness, error) {
	var r Readiness
	err := c.get(ctx, "/readyz", nil, true, &r)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
		return Readiness{Status: "not ready", Error: e.Message}, nil
	}
	return r, err
}

// Teams lists the teams the token may see.
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	var out struct {
		Teams []Team `json:"teams"`
	}
	err := c.get(ctx, "/api/v1/teams", nil, false, &out)
	return out.Teams, err
}

// Services lists catalog entries, of one team if team is not empty.
func (c *Client) Services(ctx context.Context, team string) ([]Service, error) {
	q := url.Values{}
	if team != "" {
		q.Set("team", team)
	}
	var out struct {
		Services []Service `json:"services"`
	}
	err := c.get(ctx, "/api/v1/services", q, false, &out)
	return out.Services, err
}

// DORA answers GET /api/v1/dora: the five metrics over the filter's window.
func (c *Client) DORA(ctx context.Context, f Filter, benchmarkYear string) (DORA, error) {
	q := f.values()
	if benchmarkYear != "" {
		q.Set("benchmark_year", benchmarkYear)
	}
	var d DORA
	err := c.get(ctx, "/api/v1/dora", q, false, &d)
	return d, err
}

// DORASeries answers GET /api/v1/dora/series: the metrics per step (day,
// week or month).
func (c *Client) DORASeries(ctx context.Context, f Filter, step string) (DORASeries, error) {
	q := f.values()
	q.Set("step", step)
	var s DORASeries
	err := c.get(ctx, "/api/v1/dora/series", q, false, &s)
	return s, err
}

// Waits answers GET /api/v1/waits: where changes waited.
func (c *Client) Waits(ctx context.Context, f Filter) (Waits, error) {
	var w Waits
	err := c.get(ctx, "/api/v1/waits", f.values(), false, &w)
	return w, err
}

// Timeline answers GET /api/v1/changes/{id}/timeline: one change's
// waterfall up to its first successful deployment to environment.
func (c *Client) Timeline(ctx context.Context, changeID, environment string) (Timeline, error) {
	q := url.Values{}
	if environment != "" {
		q.Set("environment", environment)
	}
	var t Timeline
	err := c.get(ctx, "/api/v1/changes/"+url.PathEscape(changeID)+"/timeline", q, false, &t)
	return t, err
}

// Deployments answers GET /api/v1/deployments: the deployments that
// finished in the window, with failures, rollbacks and canary verdicts.
func (c *Client) Deployments(ctx context.Context, f Filter) ([]Deployment, error) {
	var out struct {
		Deployments []Deployment `json:"deployments"`
	}
	err := c.get(ctx, "/api/v1/deployments", f.values(), false, &out)
	return out.Deployments, err
}

// Environments answers GET /api/v1/environments: where the filter's
// deployments that finished in its window went (its Environment is not
// sent).
func (c *Client) Environments(ctx context.Context, f Filter) ([]Environment, error) {
	f.Environment = ""
	var out struct {
		Environments []Environment `json:"environments"`
	}
	err := c.get(ctx, "/api/v1/environments", f.values(), false, &out)
	return out.Environments, err
}

// Incidents answers GET /api/v1/incidents: the incidents opened in the
// window and the deployment each is attributed to.
func (c *Client) Incidents(ctx context.Context, f Filter) ([]Incident, error) {
	var out struct {
		Incidents []Incident `json:"incidents"`
	}
	err := c.get(ctx, "/api/v1/incidents", f.values(), false, &out)
	return out.Incidents, err
}

// CanaryAnalyses answers GET /api/v1/canary/analyses?deployment_id=…:
// the canary analyses that judged one deployment.
func (c *Client) CanaryAnalyses(ctx context.Context, deploymentID string) ([]CanaryAnalysis, error) {
	var out struct {
		Analyses []CanaryAnalysis `json:"analyses"`
	}
	err := c.get(ctx, "/api/v1/canary/analyses", url.Values{"deployment_id": {deploymentID}}, false, &out)
	return out.Analyses, err
}
