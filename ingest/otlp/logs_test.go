package otlp

import (
	"testing"
	"time"
)

func TestAppendLogsMapsRecordsAsTheExporterDoes(t *testing.T) {
	checkoutRes := kv("k8s.namespace.name", "shop", "service.name", "checkout")
	tests := []struct {
		name string
		file string
		want map[string]any
	}{
		{
			name: "OTLP specification example",
			file: "testdata/logs.json",
			want: map[string]any{
				"Timestamp":          []time.Time{ts(1544712660300000000)},
				"TraceId":            []string{"5b8efff798038103d269b633813fc60c"},
				"SpanId":             []string{"eee19b7ec3c1b174"},
				"TraceFlags":         []uint8{0},
				"SeverityText":       []string{"Information"},
				"SeverityNumber":     []uint8{0},
				"ServiceName":        []string{"my.service"},
				"Body":               []string{"Example log record"},
				"ResourceSchemaUrl":  []string{""},
				"ResourceAttributes": []AttrMap{kv("service.name", "my.service")},
				"ScopeSchemaUrl":     []string{""},
				"ScopeName":          []string{"my.library"},
				"ScopeVersion":       []string{"1.0.0"},
				"ScopeAttributes":    []AttrMap{kv("my.scope.attribute", "some scope attribute")},
				// Every value type flattened with AsString, keys sorted.
				"LogAttributes": []AttrMap{kv(
					"array.attribute", `["many","values"]`,
					"boolean.attribute", "true",
					"double.attribute", "637.704",
					"int.attribute", "10",
					"map.attribute", `{"some.map.key":"some value"}`,
					"string.attribute", "some string",
				)},
				"EventName": []string{""},
			},
		},
		{
			// An event record with only an observed time, wide flags and a
			// map body; a plain record with both times.
			name: "checkout service",
			file: "testdata/checkout_logs.json",
			want: map[string]any{
				"Timestamp":      []time.Time{ts(1718000000400000000), ts(1718000000500000000)},
				"TraceId":        []string{"4bf92f3577b34da6a3ce929d0e0e4736", ""},
				"SpanId":         []string{"00f067aa0ba902b7", ""},
				"TraceFlags":     []uint8{1, 0}, // 257 cut to its low byte
				"SeverityText":   []string{"ERROR", "INFO"},
				"SeverityNumber": []uint8{17, 9},
				"ServiceName":    []string{"checkout", "checkout"},
				"Body": []string{
					`{"amount":42.5,"reason":"card <expired> & blocked"}`,
					"order 1234 placed",
				},
				"ResourceSchemaUrl":  []string{"https://opentelemetry.io/schemas/1.26.0", "https://opentelemetry.io/schemas/1.26.0"},
				"ResourceAttributes": []AttrMap{checkoutRes, checkoutRes},
				"ScopeSchemaUrl":     []string{"https://opentelemetry.io/schemas/1.24.0", "https://opentelemetry.io/schemas/1.24.0"},
				"ScopeName":          []string{"checkout.payments", "checkout.payments"},
				"ScopeVersion":       []string{"2.14.1", "2.14.1"},
				"ScopeAttributes":    []AttrMap{kv("logger.kind", "slog"), kv("logger.kind", "slog")},
				"LogAttributes":      []AttrMap{kv("attempt", "3", "payment.provider", "stripe"), {}},
				"EventName":          []string{"payment.declined", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows LogRows
			rows.AppendLogs(readLogs(t, tt.file))
			assertTable(t, LogColumns, &rows, tt.want)
		})
	}
}

func TestLogRowsResetStartsEmpty(t *testing.T) {
	var fresh, rows LogRows
	fresh.AppendLogs(readLogs(t, "testdata/logs.json"))
	rows.AppendLogs(readLogs(t, "testdata/checkout_logs.json"))
	rows.Reset()
	rows.AppendLogs(readLogs(t, "testdata/logs.json"))
	got, want := rows.Columns(), fresh.Columns()
	for i, name := range LogColumns {
		assertTable(t, []string{name}, columnOf{got[i], rows.Len()}, map[string]any{name: plain(want[i])})
	}
}

func TestAppendLogsSteadyStateAllocatesOncePerBatch(t *testing.T) {
	ld := benchLogs(100)
	var rows LogRows
	rows.AppendLogs(ld)
	allocs := testing.AllocsPerRun(20, func() {
		rows.Reset()
		rows.AppendLogs(ld)
	})
	if allocs > 1 {
		t.Fatalf("Reset+AppendLogs of 100 records allocated %v times, want at most 1", allocs)
	}
}
