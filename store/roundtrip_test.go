package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/deploylens/deploylens/store/storetest"
)

// Every column type the schema uses goes in with PrepareBatch and comes back
// with Query through the embedded engine, unchanged — including empty values
// and Unicode.
func TestRoundTripEveryColumnType(t *testing.T) {
	conn := storetest.Open(t)
	ctx := context.Background()
	err := conn.Exec(ctx, `CREATE TABLE rt (
		id UInt64,
		ts DateTime64(9, 'UTC'),
		ms DateTime64(3, 'UTC'),
		attrs Map(LowCardinality(String), String),
		tags Array(String),
		team LowCardinality(String),
		f Float64,
		i Int32,
		ok Bool,
		status Enum8('success' = 1, 'failure' = 2),
		floats Array(Float64),
		counts Array(UInt64),
		name String,
		opt Nullable(DateTime64(9, 'UTC'))
	) ENGINE = MergeTree ORDER BY id`)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	type row struct {
		id     uint64
		ts     time.Time
		ms     time.Time
		attrs  map[string]string
		tags   []string
		team   string
		f      float64
		i      int32
		ok     bool
		status string
		floats []float64
		counts []uint64
		name   string
		opt    *time.Time
	}
	ts := time.Date(2026, 3, 9, 14, 5, 6, 123456789, time.UTC)
	rows := []row{
		{1, ts, ts.Truncate(time.Millisecond), map[string]string{"k8s.pod.name": "api-7f9", "région": "été ☀"},
			[]string{"a", "ß", "日本語"}, "payments", 3.25, -7, true, "success",
			[]float64{0.5, math.MaxFloat64, -1}, []uint64{0, math.MaxUint64}, "deploy 🚀", &ts},
		{2, time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC(), map[string]string{}, []string{}, "", 0, math.MinInt32, false, "failure",
			[]float64{}, []uint64{}, "", nil},
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO rt")
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	for _, r := range rows {
		if err := batch.Append(r.id, r.ts, r.ms, r.attrs, r.tags, r.team, r.f, r.i, r.ok, r.status, r.floats, r.counts, r.name, r.opt); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, err := conn.Query(ctx, "SELECT * FROM rt ORDER BY id")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer got.Close()
	n := 0
	for got.Next() {
		var r row
		if err := got.Scan(&r.id, &r.ts, &r.ms, &r.attrs, &r.tags, &r.team, &r.f, &r.i, &r.ok, &r.status, &r.floats, &r.counts, &r.name, &r.opt); err != nil {
			t.Fatalf("scan: %v", err)
		}
		want := rows[n]
		if r.id != want.id || !r.ts.Equal(want.ts) || !r.ms.Equal(want.ms) || r.team != want.team || r.f != want.f ||
			r.i != want.i || r.ok != want.ok || r.status != want.status || r.name != want.name {
			t.Errorf("row %d scalars: got %+v, want %+v", n, r, want)
		}
		if (r.opt == nil) != (want.opt == nil) || (r.opt != nil && !r.opt.Equal(*want.opt)) {
			t.Errorf("row %d nullable: got %v, want %v", n, r.opt, want.opt)
		}
		if len(r.attrs) != len(want.attrs) {
			t.Errorf("row %d map: got %v, want %v", n, r.attrs, want.attrs)
		}
		for k, v := range want.attrs {
			if r.attrs[k] != v {
				t.Errorf("row %d map[%q]: got %q, want %q", n, k, r.attrs[k], v)
			}
		}
		if len(r.tags) != len(want.tags) || len(r.floats) != len(want.floats) || len(r.counts) != len(want.counts) {
			t.Errorf("row %d arrays: got %v %v %v", n, r.tags, r.floats, r.counts)
		}
		for j := range want.tags {
			if r.tags[j] != want.tags[j] {
				t.Errorf("row %d tags[%d]: got %q want %q", n, j, r.tags[j], want.tags[j])
			}
		}
		for j := range want.floats {
			if r.floats[j] != want.floats[j] {
				t.Errorf("row %d floats[%d]: got %v want %v", n, j, r.floats[j], want.floats[j])
			}
		}
		for j := range want.counts {
			if r.counts[j] != want.counts[j] {
				t.Errorf("row %d counts[%d]: got %v want %v", n, j, r.counts[j], want.counts[j])
			}
		}
		n++
	}
	if err := got.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("got %d rows, want %d", n, len(rows))
	}
}

// Query parameters bound server-side ({name:Type}) reach the engine.
func TestServerSideParameters(t *testing.T) {
	conn := storetest.Open(t)
	ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"team": "pay'ments", "n": "41"}))
	var team string
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT {team:String}, {n:UInt64} + 1").Scan(&team, &n); err != nil {
		t.Fatal(err)
	}
	if team != "pay'ments" || n != 42 {
		t.Fatalf("got %q %d", team, n)
	}
}

// Engine errors reach the caller as ClickHouse exceptions with their code.
func TestErrorPropagation(t *testing.T) {
	conn := storetest.Open(t)
	err := conn.Exec(context.Background(), "SELECT * FROM no_such_table")
	var ex *clickhouse.Exception
	if err == nil {
		t.Fatal("want an error")
	}
	if !asException(err, &ex) || ex.Code != 60 {
		t.Fatalf("want exception code 60 (UNKNOWN_TABLE), got %T %v", err, err)
	}
}
