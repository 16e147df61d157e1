package review

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/delivery"
)

// maxAnalyses bounds the analyses one review lists.
const maxAnalyses = 1000

// weekAnalyses lists the team's canary analyses created in the window: the
// latest row of each (canary_analyses keeps every update), of the scope's
// environment or none.
const weekAnalyses = `
SELECT id, service, deployment_id, toString(status), verdict, score, created_at
FROM (
    SELECT id, team, service, environment, deployment_id, status, verdict, score, created_at
    FROM canary_analyses
    WHERE created_at >= {from:DateTime64(9, 'UTC')} AND created_at < {to:DateTime64(9, 'UTC')}
    ORDER BY updated_at DESC
    LIMIT 1 BY id
)
WHERE team = {team:String} AND environment IN ({environment:String}, '')
ORDER BY created_at, id
LIMIT {limit:UInt32}`

func canaryAnalyses(ctx context.Context, conn driver.Conn, s delivery.Scope) ([]CanaryAnalysis, error) {
	params := delivery.With(s.Parameters(), "limit", fmt.Sprint(maxAnalyses))
	rows, err := conn.Query(delivery.Context(ctx, params), weekAnalyses)
	if err != nil {
		return nil, fmt.Errorf("list canary analyses: %w", err)
	}
	defer rows.Close()
	out := []CanaryAnalysis{}
	for rows.Next() {
		var (
			a     CanaryAnalysis
			score float64
		)
		if err := rows.Scan(&a.ID, &a.Service, &a.DeploymentID, &a.Status, &a.Verdict, &score, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("read canary analyses: %w", err)
		}
		// A running or failed analysis has no score (stored as 0).
		if a.Verdict != "" {
			a.Score = &score
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
