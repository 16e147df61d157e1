package dora

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/delivery"
)

// MaxListed bounds the rows one listing returns.
const MaxListed = 10000

// Deployment is one deployment of a listing, with the facts the metrics
// count it by (DESIGN.md §6).
type Deployment struct {
	DeploymentID string    `json:"deployment_id"`
	Team         string    `json:"team"`
	Service      string    `json:"service"`
	Environment  string    `json:"environment"`
	Version      string    `json:"version"`
	Commit       string    `json:"commit"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	// Status is success or failure.
	Status string `json:"status"`
	// Failed: failure status, rolled back, or an incident attributed.
	Failed     bool   `json:"failed"`
	RolledBack bool   `json:"rolled_back"`
	RollbackOf string `json:"rollback_of"`
	// Unplanned by the rework rate's rule: marked unplanned, a rollback, or
	// the recovery of a failed deployment.
	Unplanned bool     `json:"unplanned"`
	ChangeIDs []string `json:"change_ids"`
	// Changes is len(ChangeIDs); Incidents counts the attributed incidents.
	Changes   int64 `json:"changes"`
	Incidents int64 `json:"incidents"`
	// CanaryVerdict of the deployment's latest finished canary analysis, ""
	// when there is none.
	CanaryVerdict string `json:"canary_verdict"`
	// DetectedAt and RecoveredAt of a failure; zero when it did not fail or
	// has not recovered.
	DetectedAt  time.Time `json:"detected_at,omitzero"`
	RecoveredAt time.Time `json:"recovered_at,omitzero"`
}

// Incident is one incident of a listing with the deployment it is
// attributed to.
type Incident struct {
	IncidentID  string    `json:"incident_id"`
	Team        string    `json:"team"`
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	Severity    string    `json:"severity"`
	Title       string    `json:"title"`
	OpenedAt    time.Time `json:"opened_at"`
	// ResolvedAt is zero while the incident is open.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// CausedByDeployment as named by the incident, else as attributed by
	// the attribution window; "" when unattributed.
	CausedByDeployment string `json:"caused_by_deployment"`
}

// Deployments lists the scope's deployments that finished in [From, To),
// newest first, at most MaxListed of them.
func (c *Calculator) Deployments(ctx context.Context, s delivery.Scope) ([]Deployment, error) {
	out, _, err := c.ListDeployments(ctx, s, MaxListed)
	return out, err
}

// ListDeployments lists at most limit deployments, saying whether there
// were more.
func (c *Calculator) ListDeployments(ctx context.Context, s delivery.Scope, limit int) ([]Deployment, bool, error) {
	rows, err := c.list(ctx, s, "deployment_list", limit)
	if err != nil {
		return nil, false, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		var d Deployment
		if err := rows.Scan(&d.DeploymentID, &d.Team, &d.Service, &d.Environment, &d.Version, &d.Commit,
			&d.StartedAt, &d.FinishedAt, &d.Status, &d.Failed, &d.RolledBack, &d.RollbackOf, &d.Unplanned,
			&d.ChangeIDs, &d.Incidents, &d.CanaryVerdict, &d.DetectedAt, &d.RecoveredAt); err != nil {
			return nil, false, fmt.Errorf("read deployments: %w", err)
		}
		if d.ChangeIDs == nil {
			d.ChangeIDs = []string{}
		}
		d.Changes = int64(len(d.ChangeIDs))
		d.StartedAt, d.FinishedAt = zeroEpoch(d.StartedAt), zeroEpoch(d.FinishedAt)
		d.DetectedAt, d.RecoveredAt = zeroEpoch(d.DetectedAt), zeroEpoch(d.RecoveredAt)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read deployments: %w", err)
	}
	return trim(out, limit)
}

// Incidents lists the scope's incidents opened in [From, To), newest
// first, at most MaxListed of them.
func (c *Calculator) Incidents(ctx context.Context, s delivery.Scope) ([]Incident, error) {
	out, _, err := c.ListIncidents(ctx, s, MaxListed)
	return out, err
}

// ListIncidents lists at most limit incidents, saying whether there were
// more.
func (c *Calculator) ListIncidents(ctx context.Context, s delivery.Scope, limit int) ([]Incident, bool, error) {
	rows, err := c.list(ctx, s, "incident_list", limit)
	if err != nil {
		return nil, false, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var i Incident
		if err := rows.Scan(&i.IncidentID, &i.Team, &i.Service, &i.Environment, &i.Severity, &i.Title,
			&i.OpenedAt, &i.ResolvedAt, &i.CausedByDeployment); err != nil {
			return nil, false, fmt.Errorf("read incidents: %w", err)
		}
		i.OpenedAt, i.ResolvedAt = zeroEpoch(i.OpenedAt), zeroEpoch(i.ResolvedAt)
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read incidents: %w", err)
	}
	return trim(out, limit)
}

// list runs a listing query for one more row than limit, which tells
// whether the listing was cut.
func (c *Calculator) list(ctx context.Context, s delivery.Scope, query string, limit int) (driver.Rows, error) {
	params := delivery.With(s.Parameters(),
		"attribution_window_seconds", fmt.Sprint(int64(c.window().Seconds())),
		"limit", fmt.Sprint(clampLimit(limit)+1))
	variant, err := c.run().Variant(ctx, params)
	if err != nil {
		return nil, err
	}
	return c.run().Query(ctx, queries[query], variant, clickhouse.Parameters(params))
}

func trim[T any](rows []T, limit int) ([]T, bool, error) {
	limit = clampLimit(limit)
	if rows == nil {
		rows = []T{}
	}
	if len(rows) > limit {
		return rows[:limit], true, nil
	}
	return rows, false, nil
}

// clampLimit reads a limit outside 1..MaxListed as MaxListed.
func clampLimit(limit int) int {
	if limit <= 0 || limit > MaxListed {
		return MaxListed
	}
	return limit
}

// zeroEpoch turns ClickHouse's zero time (the Unix epoch) into Go's.
func zeroEpoch(t time.Time) time.Time {
	if t.UnixNano() == 0 {
		return time.Time{}
	}
	return t.UTC()
}
