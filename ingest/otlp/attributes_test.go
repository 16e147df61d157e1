package otlp

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The exporter stores pcommon.Value.AsString; the arena's allocation-free
// rendering must produce the same text for every value.
func TestValueRendersAsAsString(t *testing.T) {
	values := map[string]func(v pcommon.Value){
		"string":             func(v pcommon.Value) { v.SetStr("GET /api/cart") },
		"empty":              func(pcommon.Value) {},
		"true":               func(v pcommon.Value) { v.SetBool(true) },
		"false":              func(v pcommon.Value) { v.SetBool(false) },
		"int":                func(v pcommon.Value) { v.SetInt(-42) },
		"max int":            func(v pcommon.Value) { v.SetInt(math.MaxInt64) },
		"min int":            func(v pcommon.Value) { v.SetInt(math.MinInt64) },
		"zero":               func(v pcommon.Value) { v.SetDouble(0) },
		"negative zero":      func(v pcommon.Value) { v.SetDouble(math.Copysign(0, -1)) },
		"fraction":           func(v pcommon.Value) { v.SetDouble(637.704) },
		"large":              func(v pcommon.Value) { v.SetDouble(123456789012345678) },
		"at exponent switch": func(v pcommon.Value) { v.SetDouble(1e21) },
		"below it":           func(v pcommon.Value) { v.SetDouble(9.99e20) },
		"tiny":               func(v pcommon.Value) { v.SetDouble(1e-7) },
		"smallest normal":    func(v pcommon.Value) { v.SetDouble(1e-6) },
		"denormal":           func(v pcommon.Value) { v.SetDouble(5e-324) },
		"negative exponent":  func(v pcommon.Value) { v.SetDouble(-2.5e-9) },
		"NaN":                func(v pcommon.Value) { v.SetDouble(math.NaN()) },
		"+Inf":               func(v pcommon.Value) { v.SetDouble(math.Inf(1)) },
		"-Inf":               func(v pcommon.Value) { v.SetDouble(math.Inf(-1)) },
		"bytes":              func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xde, 0xad, 0xbe, 0xef}) },
		"slice": func(v pcommon.Value) {
			_ = v.SetEmptySlice().FromRaw([]any{"a", int64(1), 2.5, true, nil})
		},
		"map with HTML": func(v pcommon.Value) {
			_ = v.SetEmptyMap().FromRaw(map[string]any{"q": "<a&b>", "n": int64(3)})
		},
	}
	for name, set := range values {
		t.Run(name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			set(v)
			var a arena
			if got, want := a.value(v), v.AsString(); got != want {
				t.Fatalf("value = %q, AsString = %q", got, want)
			}
		})
	}
}

// Attribute maps are sorted by key, as the exporter's ordered maps are;
// duplicate keys from the wire are kept, in payload order.
func TestAttrsSortsByKeyAndKeepsDuplicates(t *testing.T) {
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{
		"attributes":[
			{"key":"zone","value":{"stringValue":"eu-1"}},
			{"key":"b","value":{"stringValue":"first"}},
			{"key":"a","value":{"intValue":"7"}},
			{"key":"b","value":{"stringValue":"second"}}
		]}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var rows TraceRows
	rows.AppendTraces(td)
	got := rows.SpanAttributes[0]
	want := kv("a", "7", "b", "first", "b", "second", "zone", "eu-1")
	if got.Len() != 4 {
		t.Skipf("pdata dropped a duplicate key on decode (%d entries), nothing to order", got.Len())
	}
	if !equalAttrs(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if v, _ := got.Get("b"); v != "first" {
		t.Errorf("Get(b) = %q, want the first entry", v)
	}
}

func TestSortByKeyLargeMapsToo(t *testing.T) {
	var a arena
	m := pcommon.NewMap()
	for i := range 100 {
		m.PutInt(string(rune('z'-i%26))+string(rune('a'+i/26)), int64(i))
	}
	got := a.attrs(m, roleRecord)
	for i := 1; i < got.Len(); i++ {
		if got.Keys[i-1] > got.Keys[i] {
			t.Fatalf("keys out of order at %d: %q > %q", i, got.Keys[i-1], got.Keys[i])
		}
	}
	for i, k := range got.Keys {
		v, _ := m.Get(k)
		if got.Values[i] != v.AsString() {
			t.Fatalf("key %q carries %q, want %q", k, got.Values[i], v.AsString())
		}
	}
}

func equalAttrs(a, b AttrMap) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] || a.Values[i] != b.Values[i] {
			return false
		}
	}
	return true
}

// Consecutive maps with the same keys in the same order reuse the last
// map's ordering; any change of keys or order sorts afresh.
func TestAttrsKeyOrderMemoryFollowsEachMap(t *testing.T) {
	spans := [][]string{
		{"b", "1", "a", "2"},
		{"b", "3", "a", "4"},
		{"a", "5", "b", "6"},
		{"a", "7"},
		{"b", "8", "a", "9", "a", "10"},
		{"b", "11", "a", "12"},
	}
	want := []AttrMap{
		kv("a", "2", "b", "1"),
		kv("a", "4", "b", "3"),
		kv("a", "5", "b", "6"),
		kv("a", "7"),
		kv("a", "9", "a", "10", "b", "8"),
		kv("a", "12", "b", "11"),
	}
	// JSON keeps duplicate keys, as the wire does.
	var b strings.Builder
	b.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[`)
	for i, attrs := range spans {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"attributes":[`)
		for j := 0; j < len(attrs); j += 2 {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"key":%q,"value":{"stringValue":%q}}`, attrs[j], attrs[j+1])
		}
		b.WriteString("]}")
	}
	b.WriteString("]}]}]}")
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	body := marshalTraces(t, td)
	for name, appendTo := range map[string]func(*TraceRows){
		"pdata":  func(r *TraceRows) { r.AppendTraces(td) },
		"direct": func(r *TraceRows) { _ = r.AppendTracesProto(body) },
	} {
		t.Run(name, func(t *testing.T) {
			var rows TraceRows
			appendTo(&rows)
			appendTo(&rows) // the second pass starts with a remembered order
			for i, got := range rows.SpanAttributes {
				if w := want[i%len(want)]; !equalAttrs(got, w) {
					t.Errorf("span %d: got %v, want %v", i, got, w)
				}
			}
		})
	}
}
