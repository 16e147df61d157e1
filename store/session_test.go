package store_test

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// The engine answers clickhouse-go's DESCRIBE TABLE before each insert from a
// cache: a schema change must be seen by the very next insert.
func TestInsertAfterSchemaChange(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE sc (id UInt64) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO sc (id)", uint64(1)); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "ALTER TABLE sc ADD COLUMN s String"); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO sc (id, s)", uint64(2), "two"); err != nil {
		t.Fatalf("insert after ADD COLUMN: %v", err)
	}
	if err := conn.Exec(ctx, "DROP TABLE sc"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "CREATE TABLE sc (id UInt64, n Int32) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO sc (id, s)", uint64(3), "three"); err == nil {
		t.Fatal("insert of a dropped column accepted: DESCRIBE answered from a stale cache")
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO sc (id, n)", uint64(3), int32(-3)); err != nil {
		t.Fatalf("insert into the re-created table: %v", err)
	}
	var n int32
	if err := conn.QueryRow(ctx, "SELECT n FROM sc WHERE id = 3").Scan(&n); err != nil || n != -3 {
		t.Fatalf("n = %d, %v", n, err)
	}
}

// The engine's chDB sessions outlive requests (each statement borrows one
// of its pool): a setting or database one query asks for must not leak into
// the next.
func TestSettingsAndDatabaseDoNotLeak(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	var v string
	withSetting := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": 1234}))
	if err := conn.QueryRow(withSetting, "SELECT getSetting('max_block_size')::String").Scan(&v); err != nil || v != "1234" {
		t.Fatalf("with the setting: %q %v", v, err)
	}
	if err := conn.QueryRow(ctx, "SELECT getSetting('max_block_size')::String").Scan(&v); err != nil || v == "1234" {
		t.Fatalf("the next query still has it: %q %v", v, err)
	}
	// Every query of this test runs in the test's own database, not in the
	// engine's default one.
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&v); err != nil || v == "default" || v == "" {
		t.Fatalf("currentDatabase() = %q, %v", v, err)
	}
}

// Statements run at once on the embedded engine's connections: while a long
// query runs, another statement sees it running, and an insert is stored
// before it ends. A serialising engine would run the probes only after the
// query finished, when it is no longer listed.
func TestStatementsRunAtOnce(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE once (id UInt64) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		// One second a row, a row a block (sleep() refuses more than 3 s a block).
		done <- conn.Exec(ctx, "SELECT /* long-statement */ sleep(1) FROM numbers(3) SETTINGS max_block_size = 1 FORMAT Null")
	}()
	running := func() bool {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query LIKE '%/* long-statement */%' AND query NOT LIKE '%system.processes%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	for !running() {
		select {
		case err := <-done:
			t.Fatalf("the probe never saw the long statement running (it ended: %v): statements are serialised", err)
		default:
		}
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO once (id)", uint64(1)); err != nil {
		t.Fatal(err)
	}
	if !running() {
		t.Fatal("the insert returned only after the long statement ended")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Ingest never waits behind queries: with every query connection of the
// engine taken by a long statement, an insert and ingest's lookups (marked
// by store.IngestContext) still run at once, on ingest's own connection.
func TestIngestDoesNotWaitBehindQueries(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE lane (id UInt64) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, storetest.EngineConnections)
	for range storetest.EngineConnections {
		go func() {
			done <- conn.Exec(ctx, "SELECT /* busy-statement */ sleep(1) FROM numbers(3) SETTINGS max_block_size = 1 FORMAT Null")
		}()
	}
	busy := func() uint64 {
		var n uint64
		if err := conn.QueryRow(store.IngestContext(ctx), "SELECT count() FROM system.processes WHERE query LIKE '%/* busy-statement */%' AND query NOT LIKE '%system.processes%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for busy() < storetest.EngineConnections {
		select {
		case err := <-done:
			t.Fatalf("a long statement ended (%v) before all %d ran at once", err, storetest.EngineConnections)
		default:
		}
	}
	if err := store.InsertRow(ctx, conn, "INSERT INTO lane (id)", uint64(1)); err != nil {
		t.Fatal(err)
	}
	if n := busy(); n != storetest.EngineConnections {
		t.Fatalf("the insert returned when %d of the %d long statements were still running: it waited for a query connection", n, storetest.EngineConnections)
	}
	for range storetest.EngineConnections {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
