package migrations_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.sql")

func tables(t *testing.T, m *migrations.Migrator) map[string]bool {
	t.Helper()
	rows, err := m.Conn.Query(context.Background(), "SELECT name FROM system.tables WHERE database = currentDatabase()")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}

func TestFreshApplyThenReapplyIsNoOp(t *testing.T) {
	m := &migrations.Migrator{Conn: storetest.Open(t)}
	ctx := context.Background()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	done, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("first up: %v", err)
	}
	if len(done) != len(all) {
		t.Fatalf("first up applied %d migrations, want %d", len(done), len(all))
	}
	got := tables(t, m)
	for _, want := range []string{migrations.VersionTable, "raw_events", "changes", "pipeline_stages", "deployments",
		"incidents", "pushes", "service_catalog", "api_tokens", "canary_analyses"} {
		if !got[want] {
			t.Errorf("table %s missing after up; have %v", want, got)
		}
	}
	again, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second up applied %d migrations, want none", len(again))
	}
	cur, err := m.Current(ctx)
	if err != nil || !cur {
		t.Fatalf("Current = %v, %v; want true", cur, err)
	}
	var n uint64
	if err := m.Conn.QueryRow(ctx, "SELECT count() FROM (SELECT DISTINCT version FROM "+migrations.VersionTable+")").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(all) {
		t.Fatalf("version table records %d versions, want %d", n, len(all))
	}
}

// Two processes starting at once both run Up; both succeed and the schema is
// current once.
func TestConcurrentUp(t *testing.T) {
	u := storetest.Database(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := openStore(t, u)
			_, errs[i] = (&migrations.Migrator{Conn: s}).Up(ctx)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	m := &migrations.Migrator{Conn: openStore(t, u)}
	if cur, err := m.Current(ctx); err != nil || !cur {
		t.Fatalf("Current = %v, %v", cur, err)
	}
}

func TestEditedMigrationIsRefused(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	v1 := fstest.MapFS{"0001_a.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS a {{onCluster}} (x UInt8) ENGINE = {{engine \"MergeTree\"}} ORDER BY x;\n")}}
	if _, err := (&migrations.Migrator{Conn: conn, Source: v1}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	v2 := fstest.MapFS{"0001_a.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS a {{onCluster}} (x UInt16) ENGINE = {{engine \"MergeTree\"}} ORDER BY x;\n")}}
	_, err := (&migrations.Migrator{Conn: conn, Source: v2}).Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "edited after it was applied") {
		t.Fatalf("want an edited-migration error, got %v", err)
	}
}

func TestRetentionIsApplied(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	m := &migrations.Migrator{Conn: conn, Options: migrations.Options{RetentionDays: map[string]int{"raw_events": 7}}}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var ddl string
	if err := conn.QueryRow(ctx, "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'raw_events'").Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "toIntervalDay(7)") {
		t.Fatalf("raw_events has no 7-day TTL: %s", ddl)
	}
}

// Cluster mode renders replicated local tables, Distributed tables and ON
// CLUSTER; the rendering is pinned by golden files.
func TestRenderGolden(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		opt  migrations.Options
	}{
		{"single", migrations.Options{}},
		{"cluster", migrations.Options{Cluster: "deploylens", RetentionDays: map[string]int{"raw_events": 90}}},
	} {
		var b strings.Builder
		for _, m := range all {
			stmts, err := migrations.Render(m, mode.opt)
			if err != nil {
				t.Fatalf("%s: %v", mode.name, err)
			}
			for _, s := range stmts {
				b.WriteString(s)
				b.WriteString(";\n\n")
			}
		}
		path := filepath.Join("testdata", mode.name+".golden.sql")
		if *update {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./migrations -update)", err)
		}
		if string(want) != b.String() {
			t.Errorf("%s rendering differs from %s; run `go test ./migrations -update` and review the diff", mode.name, path)
		}
		out := b.String()
		if mode.opt.Cluster != "" {
			for _, must := range []string{
				"CREATE TABLE IF NOT EXISTS deployments_local ON CLUSTER `deploylens`",
				"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/deployments_local', '{replica}', ingested_at)",
				"CREATE TABLE IF NOT EXISTS deployments ON CLUSTER `deploylens` AS deployments_local ENGINE = Distributed('deploylens', currentDatabase(), deployments_local, cityHash64(deployment_id))",
				"TTL toDateTime(received_at) + toIntervalDay(90)",
			} {
				if !strings.Contains(out, must) {
					t.Errorf("cluster rendering lacks %q", must)
				}
			}
		} else if strings.Contains(out, "ON CLUSTER") || strings.Contains(out, "Replicated") || strings.Contains(out, "{{") {
			t.Errorf("single-node rendering has cluster DDL or template residue")
		}
	}
}
