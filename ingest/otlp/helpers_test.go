package otlp

import (
	"os"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func readTraces(t testing.TB, path string) ptrace.Traces {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return td
}

func readLogs(t testing.TB, path string) plog.Logs {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ld
}

func readMetrics(t testing.TB, path string) pmetric.Metrics {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return md
}

// ts is a pcommon.Timestamp as the encoders turn it into a time.Time.
func ts(unixNano int64) time.Time { return time.Unix(0, unixNano).UTC() }

// kv builds an AttrMap from alternating keys and values.
func kv(pairs ...string) AttrMap {
	var m AttrMap
	for i := 0; i < len(pairs); i += 2 {
		m.Keys = append(m.Keys, pairs[i])
		m.Values = append(m.Values, pairs[i+1])
	}
	return m
}

// table is what every row buffer offers.
type table interface {
	Len() int
	Columns() []any
}

// assertTable compares every column of rows with want, keyed by column
// name. want must name every column, so a test cannot skip one.
func assertTable(t *testing.T, names []string, rows table, want map[string]any) {
	t.Helper()
	cols := rows.Columns()
	if len(cols) != len(names) {
		t.Fatalf("%d columns, %d names", len(cols), len(names))
	}
	for i, name := range names {
		w, ok := want[name]
		if !ok {
			t.Errorf("test gives no expectation for column %s", name)
			continue
		}
		if got := plain(cols[i]); !reflect.DeepEqual(got, w) {
			t.Errorf("column %s:\n got %#v\nwant %#v", name, got, w)
		}
	}
	if len(want) != len(names) {
		t.Errorf("want names %d columns, the table has %d", len(want), len(names))
	}
	assertAligned(t, rows)
}

// assertAligned checks that every column holds Len rows.
func assertAligned(t testing.TB, rows table) {
	t.Helper()
	for i, c := range rows.Columns() {
		if n := reflect.ValueOf(c).Len(); n != rows.Len() {
			t.Fatalf("column %d has %d rows, Len is %d", i, n, rows.Len())
		}
	}
}

// plain drops the driver's boxed keys from attribute columns, leaving what
// a test spells out with kv.
func plain(col any) any {
	strip := func(m AttrMap) AttrMap { return AttrMap{Keys: m.Keys, Values: m.Values} }
	switch c := col.(type) {
	case []AttrMap:
		if c == nil {
			return c
		}
		out := make([]AttrMap, len(c))
		for i, m := range c {
			out[i] = strip(m)
		}
		return out
	case [][]AttrMap:
		if c == nil {
			return c
		}
		out := make([][]AttrMap, len(c))
		for i, row := range c {
			if row == nil {
				continue
			}
			out[i] = make([]AttrMap, len(row))
			for j, m := range row {
				out[i][j] = strip(m)
			}
		}
		return out
	}
	return col
}
