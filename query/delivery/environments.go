package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// environments lists where the scope's deployments that finished in the
// window went; the scope's own environment is ignored. Each deployment is
// merged first (its team, service and environment from the latest event
// that gave one), so a deployment counts once.
const environments = `
WITH if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams
SELECT if(d.environment = '', 'production', d.environment) AS env, count() AS deployments, max(d.finished_at) AS last_finished_at
FROM (
    SELECT
        deployment_id,
        argMaxIf(team, (observed_at, event_id), team != '')                AS team,
        argMaxIf(service, (observed_at, event_id), service != '')          AS service,
        argMaxIf(environment, (observed_at, event_id), environment != '')  AS environment,
        argMaxIf(finished_at, (observed_at, event_id), finished_at > 0)    AS finished_at
    FROM deployments
    WHERE deployment_id GLOBAL IN (
        SELECT deployment_id FROM deployments
        WHERE finished_at >= {from:DateTime64(9, 'UTC')} AND finished_at < {to:DateTime64(9, 'UTC')}
          AND ({service:String} = '' OR service = {service:String}))
    GROUP BY deployment_id
) AS d
LEFT JOIN (
    SELECT service, argMax(team, updated_at) AS team
    FROM service_catalog
    GROUP BY service
    HAVING argMax(deleted, updated_at) = false
) AS o ON o.service = d.service
WHERE (empty(scope_teams) OR has(scope_teams, if(d.team != '', d.team, o.team)))
  AND ({service:String} = '' OR d.service = {service:String})
  AND d.finished_at >= {from:DateTime64(9, 'UTC')} AND d.finished_at < {to:DateTime64(9, 'UTC')}
GROUP BY env
ORDER BY env`

// Environment is one environment the scope deployed to.
type Environment struct {
	Environment    string    `json:"environment"`
	Deployments    uint64    `json:"deployments"`
	LastFinishedAt time.Time `json:"last_finished_at"`
}

// Environments lists the environments the scope's deployments that
// finished in [From, To) went to, by name.
func Environments(ctx context.Context, conn driver.Conn, s Scope) ([]Environment, error) {
	rows, err := conn.Query(Context(ctx, s.Parameters()), environments)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	defer rows.Close()
	out := []Environment{}
	for rows.Next() {
		var e Environment
		if err := rows.Scan(&e.Environment, &e.Deployments, &e.LastFinishedAt); err != nil {
			return nil, fmt.Errorf("read environments: %w", err)
		}
		e.LastFinishedAt = e.LastFinishedAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
