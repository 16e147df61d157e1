package delivery

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// knownTeam finds a team in the service catalog or named by any delivery
// event.
const knownTeam = `
SELECT count() > 0 FROM (
    SELECT service FROM service_catalog
    GROUP BY service
    HAVING argMax(team, updated_at) = {team:String} AND argMax(deleted, updated_at) = false
    UNION ALL SELECT deployment_id FROM (SELECT deployment_id FROM deployments WHERE team = {team:String} LIMIT 1)
    UNION ALL SELECT change_id FROM (SELECT change_id FROM changes WHERE team = {team:String} LIMIT 1)
    UNION ALL SELECT incident_id FROM (SELECT incident_id FROM incidents WHERE team = {team:String} LIMIT 1)
    UNION ALL SELECT run_id FROM (SELECT run_id FROM pipeline_stages WHERE team = {team:String} LIMIT 1)
)`

// TeamExists reports whether deploylens knows team: the catalog gives it a
// service, or an event names it.
func TeamExists(ctx context.Context, conn driver.Conn, team string) (bool, error) {
	var found uint8
	ctx = Context(ctx, map[string]string{"team": team})
	if err := conn.QueryRow(ctx, knownTeam).Scan(&found); err != nil {
		return false, fmt.Errorf("look up team: %w", err)
	}
	return found == 1, nil
}
