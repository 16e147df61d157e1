package dora

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// The history's size is a flag so the full size (DESIGN.md §9: 1M
// deployments, 5M changes) and quicker ones run from the same code:
//
//	go test ./query/dora -run '^$' -bench DORA -benchtime 10x -timeout 30m \
//	    -deployments 1000000 -changes-per-deployment 5
var (
	benchDeployments   = flag.Int("deployments", 1_000_000, "deployments in the benchmark history")
	benchChangesPer    = flag.Int("changes-per-deployment", 5, "changes each benchmark deployment ships")
	benchCommitListing = flag.Int("commit-listing-every", 0, "one benchmark deployment in N lists commits instead of change ids (0: none)")
)

var benchEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkDORA computes the metrics of one team, and of all teams, over
// the last 90 days of a year-long history of 20 teams × 5 services.
func BenchmarkDORA(b *testing.B) {
	conn := deliverytest.Open(b)
	start := time.Now()
	deliverytest.SeedBench(b, conn, deliverytest.BenchHistory{
		Teams: 20, ServicesPerTeam: 5, Deployments: *benchDeployments, ChangesPerDeployment: *benchChangesPer,
		Days: 365, End: benchEnd, CommitListingEvery: *benchCommitListing,
	})
	b.Logf("seeded %d deployments, %d changes, %d pipeline stages in %v",
		*benchDeployments, *benchDeployments**benchChangesPer, *benchDeployments*4, time.Since(start).Round(time.Second))
	benchmarks, err := LoadBenchmarks()
	if err != nil {
		b.Fatal(err)
	}
	calc := &Calculator{Conn: conn, Benchmarks: benchmarks}
	window := delivery.Scope{From: benchEnd.AddDate(0, 0, -90), To: benchEnd}
	for _, c := range []struct {
		name string
		team string
	}{{"one_team", "team-07"}, {"all_teams", ""}} {
		b.Run(c.name, func(b *testing.B) {
			scope := window
			scope.Team = c.team
			// The first answer after the engine started reads cold caches
			// (marks, the query condition cache); it is reported apart, and
			// the loop measures the answers after it.
			start := time.Now()
			r, err := calc.Report(context.Background(), scope, 0)
			if err != nil {
				b.Fatal(err)
			}
			first := time.Since(start)
			for b.Loop() {
				if r, err = calc.Report(context.Background(), scope, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(first.Milliseconds()), "first_ms")
			b.ReportMetric(float64(r.DeploymentFrequency.Deployments), "deployments")
			b.ReportMetric(float64(r.LeadTime.Changes), "changes")
		})
	}
	// Under ingest: before each answer a deployment of one of the team's
	// services is written, so that service's facts (one cell of five) are
	// computed again for the answer; the write itself is not timed.
	b.Run("one_team_after_a_write", func(b *testing.B) {
		scope := window
		scope.Team = "team-07"
		// The cells computed first, as the benchmark above leaves them.
		r, err := calc.Report(context.Background(), scope, 0)
		if err != nil {
			b.Fatal(err)
		}
		deliverytest.AfterEachWrite(b, func(ctx context.Context, i int) error {
			fin := benchEnd.Add(-time.Duration(i) * time.Minute)
			return conn.Exec(ctx, `INSERT INTO deployments (deployment_id, event_id, observed_at, ingested_at, source, team, service,
				environment, started_at, finished_at, status, change_ids)
				VALUES (?, ?, ?, now64(3), 'bench', 'team-07', 'svc-035', 'production', ?, ?, 'success', ['org/svc-035#175'])`,
				fmt.Sprintf("svc-035/write-%d", i), fmt.Sprintf("write-%d", i), fin, fin.Add(-time.Minute), fin)
		}, func(ctx context.Context) (err error) {
			r, err = calc.Report(ctx, scope, 0)
			return err
		})
		b.ReportMetric(float64(r.DeploymentFrequency.Deployments), "deployments")
	})
}
