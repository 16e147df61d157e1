package waits

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// go test ./query/waits -run '^$' -bench Waits -benchtime 5x -timeout 30m -deployments 1000000
var (
	benchDeployments = flag.Int("deployments", 1_000_000, "deployments in the benchmark history")
	benchChangesPer  = flag.Int("changes-per-deployment", 5, "changes each benchmark deployment ships")
)

// BenchmarkWaits breaks down the waits of one team, and of all teams, over
// the last 90 days of a year-long history (4 pipeline stages per deployment).
func BenchmarkWaits(b *testing.B) {
	conn := deliverytest.Open(b)
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	deliverytest.SeedBench(b, conn, deliverytest.BenchHistory{
		Teams: 20, ServicesPerTeam: 5, Deployments: *benchDeployments, ChangesPerDeployment: *benchChangesPer, Days: 365, End: end,
	})
	b.Logf("seeded %d deployments, %d changes, %d pipeline stages in %v",
		*benchDeployments, *benchDeployments**benchChangesPer, *benchDeployments*4, time.Since(start).Round(time.Second))
	calc := &Calculator{Conn: conn}
	for _, c := range []struct{ name, team string }{{"one_team", "team-07"}, {"all_teams", ""}} {
		b.Run(c.name, func(b *testing.B) {
			scope := delivery.Scope{Team: c.team, From: end.AddDate(0, 0, -90), To: end}
			// The first answer after the engine started reads cold caches;
			// it is reported apart, and the loop measures the answers after it.
			start := time.Now()
			r, err := calc.Report(context.Background(), scope)
			if err != nil {
				b.Fatal(err)
			}
			first := time.Since(start)
			for b.Loop() {
				if r, err = calc.Report(context.Background(), scope); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(first.Milliseconds()), "first_ms")
			b.ReportMetric(float64(r.Changes), "changes")
		})
	}
	// Under ingest: before each answer a pipeline stage naming one of the
	// team's changes (shipped by svc-035) is written, so that service's waterfalls (one
	// cell of five) are computed again; the write itself is not timed.
	b.Run("one_team_after_a_write", func(b *testing.B) {
		scope := delivery.Scope{Team: "team-07", From: end.AddDate(0, 0, -90), To: end}
		// The cells computed first, as the benchmark above leaves them.
		r, err := calc.Report(context.Background(), scope)
		if err != nil {
			b.Fatal(err)
		}
		deliverytest.AfterEachWrite(b, func(ctx context.Context, i int) error {
			at := end.Add(-time.Duration(i) * time.Hour)
			return conn.Exec(ctx, `INSERT INTO pipeline_stages (pipeline, run_id, stage, event_id, observed_at, ingested_at, source,
				team, service, environment, kind, queued_at, started_at, finished_at, result, change_ids)
				VALUES ('bench-ci', ?, 'build', ?, ?, now64(3), 'bench', 'team-07', 'svc-035', 'production', 'build', ?, ?, ?, 'success', ['org/svc-035#175'])`,
				fmt.Sprintf("write-%d", i), fmt.Sprintf("write-%d", i), at, at.Add(-time.Hour), at.Add(-50*time.Minute), at)
		}, func(ctx context.Context) (err error) {
			r, err = calc.Report(ctx, scope)
			return err
		})
		b.ReportMetric(float64(r.Changes), "changes")
	})
}
