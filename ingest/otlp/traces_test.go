package otlp

import (
	"math"
	"testing"
	"time"
)

func TestAppendTracesMapsSpansAsTheExporterDoes(t *testing.T) {
	checkoutRes := kv(
		"deployment.environment.name", "production",
		"host.cpu.count", "8",
		"k8s.pod.name", "checkout-7d9f8b6c5-x2lkq",
		"service.name", "checkout",
		"service.version", "2.14.1",
	)
	otelhttp := "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	tests := []struct {
		name string
		file string
		want map[string]any
	}{
		{
			name: "OTLP specification example",
			file: "testdata/trace.json",
			want: map[string]any{
				"Timestamp":          []time.Time{ts(1544712660000000000)},
				"TraceId":            []string{"5b8efff798038103d269b633813fc60c"},
				"SpanId":             []string{"eee19b7ec3c1b174"},
				"ParentSpanId":       []string{"eee19b7ec3c1b173"},
				"TraceState":         []string{""},
				"SpanName":           []string{"I'm a server span"},
				"SpanKind":           []string{"Server"},
				"ServiceName":        []string{"my.service"},
				"ResourceAttributes": []AttrMap{kv("service.name", "my.service")},
				"ScopeName":          []string{"my.library"},
				"ScopeVersion":       []string{"1.0.0"},
				"SpanAttributes":     []AttrMap{kv("my.span.attr", "some value")},
				"Duration":           []uint64{1e9},
				"StatusCode":         []string{"Unset"},
				"StatusMessage":      []string{""},
				"Events.Timestamp":   [][]time.Time{nil},
				"Events.Name":        [][]string{nil},
				"Events.Attributes":  [][]AttrMap{nil},
				"Links.TraceId":      [][]string{nil},
				"Links.SpanId":       [][]string{nil},
				"Links.TraceState":   [][]string{nil},
				"Links.Attributes":   [][]AttrMap{nil},
			},
		},
		{
			// An erroring server span with events, a link and every attribute
			// type; a client span that ends before it starts; a span with
			// all-zero ids and no service.
			name: "checkout service",
			file: "testdata/checkout_traces.json",
			want: map[string]any{
				"Timestamp":    []time.Time{ts(1718000000123456789), ts(1718000000200000000), ts(1718000001000000000)},
				"TraceId":      []string{"4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", ""},
				"SpanId":       []string{"00f067aa0ba902b7", "a3ce929d0e0e4736", ""},
				"ParentSpanId": []string{"", "00f067aa0ba902b7", ""},
				"TraceState":   []string{"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "", ""},
				"SpanName":     []string{"POST /api/checkout", "SELECT orders", "orphan"},
				"SpanKind":     []string{"Server", "Client", "Unspecified"},
				"ServiceName":  []string{"checkout", "checkout", ""},
				"ResourceAttributes": []AttrMap{checkoutRes, checkoutRes,
					kv("telemetry.sdk.language", "python")},
				"ScopeName":    []string{otelhttp, otelhttp, ""},
				"ScopeVersion": []string{"0.53.0", "0.53.0", ""},
				"SpanAttributes": []AttrMap{
					kv(
						"app.cart.item_ids", `["sku-1",2]`,
						"app.payment", `{"provider":"stripe"}`,
						"app.tiny_ratio", "1e-7",
						"app.token", "3q2+7w==",
						"http.request.method", "POST",
						"http.response.status_code", "500",
						"http.server.request.duration", "0.25",
						"server.address", "shop.example.com",
						"url.path", "/api/checkout",
						"user_agent.synthetic", "false",
					),
					kv("db.system", "postgresql"),
					{},
				},
				// The exporter subtracts unsigned timestamps, so an end
				// before the start wraps around.
				"Duration":      []uint64{250_000_000, math.MaxUint64 - 50_000_000 + 1, 500},
				"StatusCode":    []string{"Error", "Ok", "Unset"},
				"StatusMessage": []string{"payment declined", "", ""},
				"Events.Timestamp": [][]time.Time{
					{ts(1718000000300000000), ts(1718000000310000000)}, nil, nil,
				},
				"Events.Name": [][]string{{"exception", "retry"}, nil, nil},
				"Events.Attributes": [][]AttrMap{
					{kv("exception.message", "payment declined", "exception.type", "*errors.errorString"), {}},
					nil, nil,
				},
				"Links.TraceId":    [][]string{{"0af7651916cd43dd8448eb211c80319c"}, nil, nil},
				"Links.SpanId":     [][]string{{"b7ad6b7169203331"}, nil, nil},
				"Links.TraceState": [][]string{{"congo=ucfJifl5GOE"}, nil, nil},
				"Links.Attributes": [][]AttrMap{{kv("messaging.message.id", "m-42")}, nil, nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows TraceRows
			rows.AppendTraces(readTraces(t, tt.file))
			assertTable(t, TraceColumns, &rows, tt.want)
		})
	}
}

func TestTraceRowsResetReusesBuffersWithoutTouchingSentStrings(t *testing.T) {
	var fresh TraceRows
	fresh.AppendTraces(readTraces(t, "testdata/trace.json"))

	var rows TraceRows
	rows.AppendTraces(readTraces(t, "testdata/checkout_traces.json"))
	sent := rows.TraceId[0] // as a batch that still holds it would see it
	rows.Reset()
	if rows.Len() != 0 {
		t.Fatalf("Len after Reset = %d", rows.Len())
	}
	rows.AppendTraces(readTraces(t, "testdata/trace.json"))

	if sent != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("a string handed out before Reset changed to %q", sent)
	}
	got, want := rows.Columns(), fresh.Columns()
	for i, name := range TraceColumns {
		assertTable(t, []string{name}, columnOf{got[i], rows.Len()}, map[string]any{name: plain(want[i])})
	}
}

// columnOf presents one column as a table.
type columnOf struct {
	col any
	n   int
}

func (c columnOf) Len() int       { return c.n }
func (c columnOf) Columns() []any { return []any{c.col} }

// Once grown, a buffer appends spans without allocating: only Reset's new
// text arena allocates, once per batch.
func TestAppendTracesSteadyStateAllocatesOncePerBatch(t *testing.T) {
	td := benchTraces(100, 10)
	var rows TraceRows
	rows.AppendTraces(td)
	allocs := testing.AllocsPerRun(20, func() {
		rows.Reset()
		rows.AppendTraces(td)
	})
	if allocs > 1 {
		t.Fatalf("Reset+AppendTraces of 100 spans allocated %v times, want at most 1", allocs)
	}
}
