package otlp

import (
	"testing"
	"time"
)

// pointWant is what a metric table's leading columns hold for rows that
// share one resource and scope.
type pointWant struct {
	res, scopeAttrs                  AttrMap
	resURL, scope, version, scopeURL string
	dropped                          uint32
	service                          string
	names, descriptions, units       []string
	attrs                            []AttrMap
	start, time                      []time.Time
}

func (p pointWant) columns() map[string]any {
	n := len(p.names)
	rep := func(s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	repMap := func(m AttrMap) []AttrMap {
		out := make([]AttrMap, n)
		for i := range out {
			out[i] = m
		}
		return out
	}
	dropped := make([]uint32, n)
	for i := range dropped {
		dropped[i] = p.dropped
	}
	return map[string]any{
		"ResourceAttributes":    repMap(p.res),
		"ResourceSchemaUrl":     rep(p.resURL),
		"ScopeName":             rep(p.scope),
		"ScopeVersion":          rep(p.version),
		"ScopeAttributes":       repMap(p.scopeAttrs),
		"ScopeDroppedAttrCount": dropped,
		"ScopeSchemaUrl":        rep(p.scopeURL),
		"ServiceName":           rep(p.service),
		"MetricName":            p.names,
		"MetricDescription":     p.descriptions,
		"MetricUnit":            p.units,
		"Attributes":            p.attrs,
		"StartTimeUnix":         p.start,
		"TimeUnix":              p.time,
	}
}

func with(base map[string]any, more map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func noExemplars(n int) map[string]any {
	return map[string]any{
		"Exemplars.FilteredAttributes": make([][]AttrMap, n),
		"Exemplars.TimeUnix":           make([][]time.Time, n),
		"Exemplars.Value":              make([][]float64, n),
		"Exemplars.SpanId":             make([][]string, n),
		"Exemplars.TraceId":            make([][]string, n),
	}
}

func TestAppendMetricsMapsEachTypeToItsTable(t *testing.T) {
	spec := pointWant{
		res:        kv("service.name", "my.service"),
		scope:      "my.library",
		version:    "1.0.0",
		scopeAttrs: kv("my.scope.attribute", "some scope attribute"),
		service:    "my.service",
	}
	specPoint := func(name, desc, attr string, start int64) map[string]any {
		p := spec
		p.names, p.descriptions, p.units = []string{name}, []string{desc}, []string{"1"}
		p.attrs = []AttrMap{kv(attr, "some value")}
		p.start, p.time = []time.Time{ts(start)}, []time.Time{ts(1544712660300000000)}
		return with(p.columns(), noExemplars(1))
	}
	checkout := pointWant{
		res:      kv("service.instance.id", "627cc493-f310-47de-96bd-71410b7dec09", "service.name", "checkout"),
		resURL:   "https://opentelemetry.io/schemas/1.26.0",
		scope:    "checkout.metrics",
		version:  "2.14.1",
		scopeURL: "https://opentelemetry.io/schemas/1.24.0",
		dropped:  2,
		service:  "checkout",
	}
	checkoutPoints := func(name, unit, desc string, attrs []AttrMap, start, time []time.Time) map[string]any {
		p := checkout
		n := len(attrs)
		p.names, p.descriptions, p.units = make([]string, n), make([]string, n), make([]string, n)
		for i := range n {
			p.names[i], p.descriptions[i], p.units[i] = name, desc, unit
		}
		p.attrs, p.start, p.time = attrs, start, time
		return p.columns()
	}
	at := ts(1718000010000000000)
	since := ts(1718000000000000000)

	tests := []struct {
		name  string
		file  string
		table string
		want  map[string]any
	}{
		{
			name: "OTLP example sum", file: "testdata/metrics.json", table: "sum",
			want: with(specPoint("my.counter", "I am a Counter", "my.counter.attr", 1544712660300000000), map[string]any{
				"Value": []float64{5}, "Flags": []uint32{0},
				"AggregationTemporality": []int32{1}, "IsMonotonic": []bool{true},
			}),
		},
		{
			name: "OTLP example gauge", file: "testdata/metrics.json", table: "gauge",
			want: with(specPoint("my.gauge", "I am a Gauge", "my.gauge.attr", 0), map[string]any{
				"Value": []float64{10}, "Flags": []uint32{0},
			}),
		},
		{
			name: "OTLP example histogram", file: "testdata/metrics.json", table: "histogram",
			want: with(specPoint("my.histogram", "I am a Histogram", "my.histogram.attr", 1544712660300000000), map[string]any{
				"Count": []uint64{2}, "Sum": []float64{2},
				"BucketCounts": [][]uint64{{1, 1}}, "ExplicitBounds": [][]float64{{1}},
				"Flags": []uint32{0}, "Min": []float64{0}, "Max": []float64{2},
				"AggregationTemporality": []int32{1},
			}),
		},
		{
			name: "OTLP example exponential histogram", file: "testdata/metrics.json", table: "exponential_histogram",
			want: with(specPoint("my.exponential.histogram", "I am an Exponential Histogram", "my.exponential.histogram.attr", 1544712660300000000), map[string]any{
				"Count": []uint64{3}, "Sum": []float64{10}, "Scale": []int32{0}, "ZeroCount": []uint64{1},
				"PositiveOffset": []int32{1}, "PositiveBucketCounts": [][]uint64{{0, 2}},
				"NegativeOffset": []int32{0}, "NegativeBucketCounts": [][]uint64{nil},
				"Flags": []uint32{0}, "Min": []float64{0}, "Max": []float64{5},
				"AggregationTemporality": []int32{1},
			}),
		},
		{
			name: "int gauge without start time", file: "testdata/checkout_metrics.json", table: "gauge",
			want: with(with(checkoutPoints("process.runtime.go.goroutines", "{goroutine}", "",
				[]AttrMap{{}}, []time.Time{ts(0)}, []time.Time{ts(1718000010900000000)}), noExemplars(1)),
				map[string]any{"Value": []float64{132}, "Flags": []uint32{0}}),
		},
		{
			// Exemplar ids are hex even when empty, as the exporter writes them.
			name: "sum with exemplars", file: "testdata/checkout_metrics.json", table: "sum",
			want: with(checkoutPoints("http.server.request.count", "{request}", "Requests served",
				[]AttrMap{kv("http.response.status_code", "500", "http.route", "/api/checkout")},
				[]time.Time{since}, []time.Time{at}), map[string]any{
				"Value": []float64{17}, "Flags": []uint32{1},
				"Exemplars.FilteredAttributes": [][]AttrMap{{kv("user.id", "u-7"), {}}},
				"Exemplars.TimeUnix":           [][]time.Time{{ts(1718000000373456789), ts(1718000005000000000)}},
				"Exemplars.Value":              [][]float64{{1, 2.5}},
				"Exemplars.SpanId":             [][]string{{"00f067aa0ba902b7", "0000000000000000"}},
				"Exemplars.TraceId":            [][]string{{"4bf92f3577b34da6a3ce929d0e0e4736", "00000000000000000000000000000000"}},
				"AggregationTemporality":       []int32{1}, "IsMonotonic": []bool{true},
			}),
		},
		{
			name: "exponential histogram with negative buckets", file: "testdata/checkout_metrics.json", table: "exponential_histogram",
			want: with(with(checkoutPoints("http.server.request.duration", "s", "",
				[]AttrMap{{}}, []time.Time{since}, []time.Time{at}), noExemplars(1)), map[string]any{
				"Count": []uint64{6}, "Sum": []float64{-1.5}, "Scale": []int32{3}, "ZeroCount": []uint64{1},
				"PositiveOffset": []int32{-2}, "PositiveBucketCounts": [][]uint64{{1, 2}},
				"NegativeOffset": []int32{4}, "NegativeBucketCounts": [][]uint64{{2}},
				"Flags": []uint32{0}, "Min": []float64{-1.2}, "Max": []float64{0.4},
				"AggregationTemporality": []int32{2},
			}),
		},
		{
			name: "summary", file: "testdata/checkout_metrics.json", table: "summary",
			want: with(checkoutPoints("rpc.server.latency", "ms", "",
				[]AttrMap{kv("rpc.method", "Charge"), {}}, []time.Time{since, ts(0)}, []time.Time{at, at}), map[string]any{
				"Count": []uint64{40, 0}, "Sum": []float64{812.5, 0},
				"ValueAtQuantiles.Quantile": [][]float64{{0.5, 0.99}, nil},
				"ValueAtQuantiles.Value":    [][]float64{{18, 95.25}, nil},
				"Flags":                     []uint32{0, 0},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows MetricRows
			rows.AppendMetrics(readMetrics(t, tt.file))
			switch tt.table {
			case "gauge":
				assertTable(t, GaugeColumns, &rows.Gauge, tt.want)
			case "sum":
				assertTable(t, SumColumns, &rows.Sum, tt.want)
			case "histogram":
				assertTable(t, HistogramColumns, &rows.Histogram, tt.want)
			case "exponential_histogram":
				assertTable(t, ExponentialHistogramColumns, &rows.ExponentialHistogram, tt.want)
			case "summary":
				assertTable(t, SummaryColumns, &rows.Summary, tt.want)
			}
		})
	}
}

// A metric with no type carries no data points: it adds nothing and does
// not stop the metrics around it.
func TestAppendMetricsSkipsMetricWithoutType(t *testing.T) {
	var rows MetricRows
	rows.AppendMetrics(readMetrics(t, "testdata/checkout_metrics.json"))
	if got, want := rows.Len(), 1+1+1+2; got != want {
		t.Fatalf("Len = %d, want %d (gauge, sum, exponential histogram, two summaries)", got, want)
	}
}

func TestMetricRowsResetEmptiesEveryTable(t *testing.T) {
	var rows MetricRows
	rows.AppendMetrics(readMetrics(t, "testdata/checkout_metrics.json"))
	rows.AppendMetrics(readMetrics(t, "testdata/metrics.json"))
	rows.Reset()
	for _, tbl := range []table{&rows.Gauge, &rows.Sum, &rows.Histogram, &rows.ExponentialHistogram, &rows.Summary} {
		if tbl.Len() != 0 {
			t.Errorf("%T has %d rows after Reset", tbl, tbl.Len())
		}
		assertAligned(t, tbl)
	}
	rows.AppendMetrics(readMetrics(t, "testdata/metrics.json"))
	if rows.Len() != 4 {
		t.Fatalf("Len after Reset and one payload = %d, want 4", rows.Len())
	}
}

func TestAppendMetricsSteadyStateAllocatesOncePerBatch(t *testing.T) {
	md := benchMetrics(100)
	var rows MetricRows
	rows.AppendMetrics(md)
	allocs := testing.AllocsPerRun(20, func() {
		rows.Reset()
		rows.AppendMetrics(md)
	})
	if allocs > 1 {
		t.Fatalf("Reset+AppendMetrics of 100 points allocated %v times, want at most 1", allocs)
	}
}
