package deliverytest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store/storetest"
)

//go:embed testdata/bench_seed.sql
var benchSeed string

// BenchHistory sizes a synthetic history (testdata/bench_seed.sql).
type BenchHistory struct {
	Teams, ServicesPerTeam int
	Deployments            int
	ChangesPerDeployment   int
	Days                   int
	End                    time.Time
	// CommitListingEvery makes one deployment in N list commits instead of
	// change ids (0: none do).
	CommitListingEvery int
}

// SeedBench generates h inside ClickHouse (INSERT … SELECT FROM numbers()).
func SeedBench(tb testing.TB, conn driver.Conn, h BenchHistory) {
	tb.Helper()
	params := clickhouse.Parameters{
		"teams":                  fmt.Sprint(h.Teams),
		"services_per_team":      fmt.Sprint(h.ServicesPerTeam),
		"deployments":            fmt.Sprint(h.Deployments),
		"changes_per_deployment": fmt.Sprint(h.ChangesPerDeployment),
		"days":                   fmt.Sprint(h.Days),
		"end":                    h.End.UTC().Format("2006-01-02 15:04:05"),
		"commit_listing_every":   fmt.Sprint(h.CommitListingEvery),
	}
	ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(params))
	for _, stmt := range strings.Split(benchSeed, "\n;\n") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if q := strings.TrimSpace(strings.Join(lines, "\n")); q != "" {
			if err := conn.Exec(ctx, q); err != nil {
				tb.Fatalf("seed: %v\n%s", err, q)
			}
		}
	}
	settle(tb, conn)
}

// settle merges what the seed wrote into the final parts a long-lived
// store converges to, then waits until no merge runs: millions of rows
// inserted seconds ago are otherwise merged in the background for minutes,
// and a query measured meanwhile reads dozens of parts and shares the
// machine with that work, which a history received over months does not.
func settle(tb testing.TB, conn driver.Conn) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	merged := storetest.MergeAll(tb, conn)
	quiet := 0
	for quiet < 3 && time.Since(start) < 10*time.Minute {
		var merges uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&merges); err != nil {
			tb.Fatalf("seed: watch merges: %v", err)
		}
		if merges == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Second)
	}
	tb.Logf("seed: %d tables merged, background merges settled, in %v", merged, time.Since(start).Round(time.Second))
}

// AfterEachWrite measures answer under ingest: before each of b's
// iterations write(i) stores something (untimed), then answer runs (timed).
func AfterEachWrite(b *testing.B, write func(ctx context.Context, i int) error, answer func(ctx context.Context) error) {
	b.Helper()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		if err := write(ctx, i); err != nil {
			b.Fatal("write:", err)
		}
		b.StartTimer()
		if err := answer(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
