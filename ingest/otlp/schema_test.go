package otlp

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

const migration = "../../migrations/0002_otel.sql"

// ddlColumn is one insertable column of a CREATE TABLE, Nested fields
// flattened to Array columns as ClickHouse stores them.
type ddlColumn struct {
	Name, Type string
}

var createTable = regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS (\w+)\s*\n\((.*?)\n\)\nENGINE`)

// tableTypes renders the migration for one node and reads each table's
// insertable columns: ALIAS and MATERIALIZED columns, which no writer sends,
// are left out.
func tableTypes(t testing.TB) map[string][]ddlColumn {
	t.Helper()
	src, err := os.ReadFile(migration)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := template.New("m").Funcs(template.FuncMap{
		"onCluster": func() string { return "" },
		"engine":    func(e string) string { return e },
		"shardKey":  func(string) string { return "" },
		"ttl":       func(string) string { return "" },
		"table":     func(t string) string { return t },
	}).Parse(string(src))
	if err != nil {
		t.Fatalf("migration does not parse as a template: %v", err)
	}
	var sql bytes.Buffer
	if err := tpl.Execute(&sql, nil); err != nil {
		t.Fatal(err)
	}
	out := map[string][]ddlColumn{}
	for _, m := range createTable.FindAllStringSubmatch(sql.String(), -1) {
		var cols []ddlColumn
		nested := ""
		for _, line := range strings.Split(m[2], "\n") {
			line = strings.TrimSuffix(strings.TrimSpace(line), ",")
			switch {
			case line == "" || strings.HasPrefix(line, "INDEX "):
			case strings.HasSuffix(line, " Nested ("):
				nested = strings.TrimSuffix(line, " Nested (")
			case nested != "" && strings.HasPrefix(line, ")"):
				nested = ""
			case nested != "":
				name, typ, _ := strings.Cut(line, " ")
				cols = append(cols, ddlColumn{nested + "." + name, "Array(" + typ + ")"})
			default:
				name, rest, _ := strings.Cut(line, " ")
				if strings.Contains(rest, " ALIAS ") || strings.Contains(rest, " MATERIALIZED ") {
					continue
				}
				typ, _, _ := strings.Cut(rest, " CODEC(")
				cols = append(cols, ddlColumn{strings.Trim(name, "`"), strings.TrimSpace(typ)})
			}
		}
		out[m[1]] = cols
	}
	return out
}

type tableSpec struct {
	table   string
	insert  string
	columns []string
	rows    func(t *testing.T) table
}

func tableSpecs() []tableSpec {
	metrics := func(t *testing.T) *MetricRows {
		var r MetricRows
		r.AppendMetrics(readMetrics(t, "testdata/checkout_metrics.json"))
		r.AppendMetrics(readMetrics(t, "testdata/metrics.json"))
		return &r
	}
	return []tableSpec{
		{"otel_traces", InsertTracesSQL, TraceColumns, func(t *testing.T) table {
			var r TraceRows
			r.AppendTraces(readTraces(t, "testdata/checkout_traces.json"))
			r.AppendTraces(readTraces(t, "testdata/trace.json"))
			return &r
		}},
		{"otel_logs", InsertLogsSQL, LogColumns, func(t *testing.T) table {
			var r LogRows
			r.AppendLogs(readLogs(t, "testdata/checkout_logs.json"))
			r.AppendLogs(readLogs(t, "testdata/logs.json"))
			return &r
		}},
		{"otel_metrics_gauge", InsertGaugeSQL, GaugeColumns, func(t *testing.T) table { return &metrics(t).Gauge }},
		{"otel_metrics_sum", InsertSumSQL, SumColumns, func(t *testing.T) table { return &metrics(t).Sum }},
		{"otel_metrics_histogram", InsertHistogramSQL, HistogramColumns, func(t *testing.T) table { return &metrics(t).Histogram }},
		{"otel_metrics_exponential_histogram", InsertExponentialHistogramSQL, ExponentialHistogramColumns,
			func(t *testing.T) table { return &metrics(t).ExponentialHistogram }},
		{"otel_metrics_summary", InsertSummarySQL, SummaryColumns, func(t *testing.T) table { return &metrics(t).Summary }},
	}
}

// The encoders insert exactly the columns the migration creates, in the
// statement's order, so a batch prepared from Insert*SQL lines up with
// Columns.
func TestInsertColumnsMatchMigration(t *testing.T) {
	ddl := tableTypes(t)
	for _, spec := range tableSpecs() {
		t.Run(spec.table, func(t *testing.T) {
			cols, ok := ddl[spec.table]
			if !ok {
				t.Fatalf("migration creates no table %s (has %v)", spec.table, slices.Sorted(maps.Keys(ddl)))
			}
			var names []string
			for _, c := range cols {
				names = append(names, c.Name)
			}
			sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
			if !slices.Equal(sorted(names), sorted(spec.columns)) {
				t.Errorf("migration columns\n %v\nencoder columns\n %v", names, spec.columns)
			}
			wantSQL := "INSERT INTO " + spec.table + " (" + strings.Join(spec.columns, ", ") + ")"
			if spec.insert != wantSQL {
				t.Errorf("insert statement\n %s\nwant\n %s", spec.insert, wantSQL)
			}
		})
	}
	if got, want := len(ddl), len(tableSpecs())+1; got != want { // + otel_traces_trace_id_ts
		t.Errorf("migration creates %d tables, want %d", got, want)
	}
}

// Every column goes through clickhouse-go's own encoder for the type the
// migration declares and decodes back to the same values: the Go types of
// the row buffers are ones the driver accepts for those columns.
func TestColumnsRoundTripThroughClickHouseEncoding(t *testing.T) {
	ddl := tableTypes(t)
	for _, spec := range tableSpecs() {
		t.Run(spec.table, func(t *testing.T) {
			types := map[string]string{}
			for _, c := range ddl[spec.table] {
				types[c.Name] = c.Type
			}
			rows := spec.rows(t)
			if rows.Len() == 0 {
				t.Fatal("test payloads gave no rows")
			}
			for i, col := range rows.Columns() {
				name, chType := spec.columns[i], types[spec.columns[i]]
				decoded := roundTrip(t, chType, col, rows.Len())
				seconds := strings.Contains(chType, "DateTime") && !strings.Contains(chType, "DateTime64")
				v := reflect.ValueOf(col)
				for r := range rows.Len() {
					got := canonical(reflect.ValueOf(decoded.Row(r, false)), false)
					want := canonical(v.Index(r), seconds)
					if got != want {
						t.Errorf("%s (%s) row %d: decoded %s, appended %s", name, chType, r, got, want)
					}
				}
			}
		})
	}
}

var serverContext = &column.ServerContext{Timezone: time.UTC}

// roundTrip appends values to a column of chType, encodes it as the Native
// format does and decodes it into a fresh column.
func roundTrip(t testing.TB, chType string, values any, rows int) column.Interface {
	t.Helper()
	enc, err := column.Type(chType).Column("c", serverContext)
	if err != nil {
		t.Fatalf("%s: %v", chType, err)
	}
	if _, err := enc.Append(values); err != nil {
		t.Fatalf("append %T to %s: %v", values, chType, err)
	}
	var buf proto.Buffer
	if cs, ok := enc.(column.CustomSerialization); ok {
		if err := cs.WriteStatePrefix(&buf); err != nil {
			t.Fatal(err)
		}
	}
	enc.Encode(&buf)
	dec, _ := column.Type(chType).Column("c", serverContext)
	r := buf.Reader()
	if cs, ok := dec.(column.CustomSerialization); ok {
		if err := cs.ReadStatePrefix(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := dec.Decode(r, rows); err != nil {
		t.Fatalf("decode %s: %v", chType, err)
	}
	return dec
}

// canonical renders a cell for comparison: maps with sorted keys, times in
// UTC (cut to the second for DateTime columns).
func canonical(v reflect.Value, seconds bool) string {
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case AttrMap:
		return canonical(reflect.ValueOf(x.AsMap()), seconds)
	case time.Time:
		if seconds {
			x = x.Truncate(time.Second)
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = canonical(v.Index(i), seconds)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q:%q", k.String(), v.MapIndex(k).String())
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return fmt.Sprintf("%v", v.Interface())
}

// columnBatch is a driver.Batch over clickhouse-go's real columns, for
// AppendTo without a server.
type columnBatch struct {
	driver.Batch
	cols []column.Interface
}

func newColumnBatch(t testing.TB, types []ddlColumn) *columnBatch {
	b := &columnBatch{}
	for _, c := range types {
		col, err := column.Type(c.Type).Column(c.Name, serverContext)
		if err != nil {
			t.Fatal(err)
		}
		b.cols = append(b.cols, col)
	}
	return b
}

func (b *columnBatch) Columns() []column.Interface { return b.cols }
func (b *columnBatch) Column(i int) driver.BatchColumn {
	return batchColumn{b.cols[i]}
}

type batchColumn struct{ col column.Interface }

func (c batchColumn) Append(v any) error    { _, err := c.col.Append(v); return err }
func (c batchColumn) AppendRow(v any) error { return c.col.AppendRow(v) }

// AppendTo fills a batch whose columns are in the statement's order, and
// refuses one prepared for another table.
func TestAppendToFillsEveryBatchColumn(t *testing.T) {
	ddl := tableTypes(t)
	for _, spec := range tableSpecs() {
		t.Run(spec.table, func(t *testing.T) {
			byName := map[string]ddlColumn{}
			for _, c := range ddl[spec.table] {
				byName[c.Name] = c
			}
			var ordered []ddlColumn
			for _, n := range spec.columns {
				ordered = append(ordered, byName[n])
			}
			rows := spec.rows(t)
			appender := rows.(interface{ AppendTo(driver.Batch) error })
			batch := newColumnBatch(t, ordered)
			if err := appender.AppendTo(batch); err != nil {
				t.Fatal(err)
			}
			for i, c := range batch.cols {
				if c.Rows() != rows.Len() {
					t.Errorf("batch column %s has %d rows, want %d", spec.columns[i], c.Rows(), rows.Len())
				}
			}
			short := newColumnBatch(t, ordered[:len(ordered)-1])
			if err := appender.AppendTo(short); err == nil || !strings.Contains(err.Error(), "Insert SQL") {
				t.Errorf("AppendTo a batch with a missing column: err = %v, want one naming the Insert SQL", err)
			}
		})
	}
}
