// Package ingesttest gives receiver tests a real pipeline: a fresh database
// on the embedded engine with the schema applied, the group committer and a
// Writer, and helpers to read back what was stored.
package ingesttest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

// Env is one test's ingest pipeline.
type Env struct {
	Conn      driver.Conn
	Committer *commit.Committer
	Writer    *ingest.Writer
	Catalog   *ingest.Catalog
	Registry  *prometheus.Registry
}

// New migrates a fresh database and starts a committer and a writer on it.
func New(tb testing.TB) *Env {
	tb.Helper()
	conn := storetest.Open(tb)
	Migrate(tb, conn)
	return NewOn(tb, conn)
}

// Migrate applies the schema.
func Migrate(tb testing.TB, conn driver.Conn) {
	tb.Helper()
	if _, err := (&migrations.Migrator{Conn: conn}).Up(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
}

// NewOn starts a committer and a writer on a migrated connection.
func NewOn(tb testing.TB, conn driver.Conn) *Env {
	tb.Helper()
	return NewOnWith(tb, conn, commit.Options{MaxDelay: 5 * time.Millisecond})
}

// NewWith is New with the committer's options given: benchmarks use the
// defaults `deploylens serve` runs with rather than the tests' short delay.
func NewWith(tb testing.TB, opt commit.Options) *Env {
	tb.Helper()
	conn := storetest.Open(tb)
	Migrate(tb, conn)
	return NewOnWith(tb, conn, opt)
}

// NewOnWith is NewOn with the committer's options given.
func NewOnWith(tb testing.TB, conn driver.Conn, opt commit.Options) *Env {
	tb.Helper()
	reg := prometheus.NewRegistry()
	c := commit.New(conn, opt, reg)
	tb.Cleanup(func() { c.Close() })
	cat := &ingest.Catalog{Conn: conn, TTL: time.Minute}
	w := &ingest.Writer{Committer: c, Conn: conn, Teams: cat, Metrics: ingest.NewMetrics(reg)}
	return &Env{Conn: conn, Committer: c, Writer: w, Catalog: cat, Registry: reg}
}

// Query returns every row of a query, each as a map from column to value.
func (e *Env) Query(tb testing.TB, query string, args ...any) []map[string]any {
	tb.Helper()
	rows, err := e.Conn.Query(context.Background(), query, args...)
	if err != nil {
		tb.Fatalf("query %s: %v", query, err)
	}
	defer rows.Close()
	cols := rows.Columns()
	types := rows.ColumnTypes()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, t := range types {
			vals[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			tb.Fatalf("scan: %v", err)
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = plain(reflect.ValueOf(vals[i]).Elem().Interface())
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("rows: %v", err)
	}
	return out
}

// One returns the single row of a query, failing when there is not exactly one.
func (e *Env) One(tb testing.TB, query string, args ...any) map[string]any {
	tb.Helper()
	rows := e.Query(tb, query, args...)
	if len(rows) != 1 {
		tb.Fatalf("%s: %d rows, want 1: %v", query, len(rows), rows)
	}
	return rows[0]
}

// Count runs a count() query.
func (e *Env) Count(tb testing.TB, query string, args ...any) uint64 {
	tb.Helper()
	var n uint64
	if err := e.Conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// plain turns times into RFC 3339 strings (the epoch, meaning "not given",
// into "") so expectations read like the events that made them.
func plain(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.Unix() == 0 && x.Nanosecond() == 0 {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []time.Time:
		out := make([]string, len(x))
		for i, t := range x {
			out[i] = fmt.Sprint(plain(t))
		}
		return out
	}
	return v
}

// Subset fails unless every key of want is in got with an equal value.
func Subset(tb testing.TB, what string, got map[string]any, want map[string]any) {
	tb.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			tb.Errorf("%s: no column %q", what, k)
			continue
		}
		if ws, ok := w.([]string); ok && len(ws) == 0 {
			if gs, ok := g.([]string); ok && len(gs) == 0 {
				continue
			}
		}
		if !reflect.DeepEqual(g, w) {
			tb.Errorf("%s: %s = %#v, want %#v", what, k, g, w)
		}
	}
}
