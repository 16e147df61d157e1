package otlp

import (
	"path/filepath"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"
)

// viaPdata is the reference path: ptraceotlp's decoder, then AppendTraces.
func viaPdata(body []byte) (*TraceRows, error) {
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		return nil, err
	}
	var rows TraceRows
	rows.AppendTraces(req.Traces())
	return &rows, nil
}

func marshalTraces(t testing.TB, td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertSameRows fails unless the direct path gives what pdata gives.
func assertSameRows(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := viaPdata(body)
	var got TraceRows
	gotErr := got.AppendTracesProto(body)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("direct decoding err = %v, pdata err = %v", gotErr, wantErr)
	}
	if wantErr != nil {
		if got.Len() != 0 {
			t.Fatalf("a rejected body left %d rows", got.Len())
		}
		assertAligned(t, &got)
		return
	}
	assertAligned(t, &got)
	g, w := got.Columns(), want.Columns()
	for i, name := range TraceColumns {
		if !reflect.DeepEqual(g[i], w[i]) {
			t.Fatalf("column %s:\ndirect %#v\n pdata %#v", name, g[i], w[i])
		}
	}
}

// Hand-built messages for what encoders rarely send but the wire allows:
// fields out of order, messages repeated (which merge), deprecated fields,
// groups, wrong wire types, bad id lengths, deep nesting, truncation.
func oddTraceBodies() map[string][]byte {
	msg := func(field protowire.Number, parts ...[]byte) []byte {
		var body []byte
		for _, p := range parts {
			body = append(body, p...)
		}
		return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), body)
	}
	str := func(field protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, field, protowire.BytesType), s)
	}
	varint := func(field protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, field, protowire.VarintType), v)
	}
	fixed64 := func(field protowire.Number, v uint64) []byte {
		return protowire.AppendFixed64(protowire.AppendTag(nil, field, protowire.Fixed64Type), v)
	}
	kv := func(field protowire.Number, k string, value ...[]byte) []byte {
		return msg(field, str(1, k), msg(2, value...))
	}
	id16 := "0123456789abcdef"
	span := func(parts ...[]byte) []byte {
		return msg(2, append([][]byte{str(1, id16), str(2, "01234567"), fixed64(7, 10), fixed64(8, 20)}, parts...)...)
	}
	// An AnyValue holding an array holding ... a string, levels deep.
	nestedValue := func(levels int) []byte {
		v := str(1, "leaf")
		for range levels {
			v = msg(5, msg(1, v))
		}
		return v
	}
	return map[string][]byte{
		"scope spans before resource, resource twice": msg(1,
			msg(2, msg(1, str(1, "lib"), str(2, "1")), span(kv(9, "b", str(1, "x")), kv(9, "a", varint(3, 5)))),
			msg(1, kv(1, "service.name", str(1, "first")), varint(2, 3)),
			msg(1, kv(1, "service.name", str(1, "second")), kv(1, "host", varint(2, 1))),
			str(3, "https://schema"),
		),
		"scope repeated merges name and version": msg(1,
			msg(2, msg(1, str(1, "old"), str(2, "1.0")), msg(1, str(1, "new")), span()),
		),
		"deprecated scope spans alone": msg(1, msg(1000, span())),
		"deprecated scope spans beside current ones": msg(1,
			msg(1000, span(str(5, "dropped"))), msg(2, span(str(5, "kept")))),
		"span with every field": msg(1, msg(2, span(
			str(3, "k=v"), str(4, "76543210"), str(5, "op"), varint(6, 3), varint(10, 1), varint(12, 2), varint(14, 3),
			protowire.AppendFixed32(protowire.AppendTag(nil, 16, protowire.Fixed32Type), 1),
			msg(11, fixed64(1, 15), str(2, "ev"), kv(3, "e", str(7, "\x00\xff"))),
			msg(13, str(1, id16), str(2, "abcdefgh"), str(3, "s"), kv(4, "l", fixed64(4, 0x3ff8000000000000)), varint(5, 1)),
			msg(11, str(2, "ev2")),
			msg(15, str(2, "boom"), varint(3, 2)), msg(15, str(2, "last")),
		))),
		"value fields repeated, last oneof wins": msg(1, msg(2, span(
			msg(9, str(1, "k"), msg(2, str(1, "s")), msg(2, varint(3, 7)), msg(2)),
			msg(9, str(1, "m"), msg(2, msg(6, kv(1, "z", str(1, "1")), kv(1, "y", msg(5, msg(1, varint(2, 1)))), kv(1, "z", str(1, "2"))))),
			msg(9, str(1, "n"), msg(2, varint(8, 4))),
		))),
		"values nested to pdata's limit": msg(1, msg(2, span(kv(9, "deep", nestedValue(49))))),
		"values nested past it":          msg(1, msg(2, span(kv(9, "deep", nestedValue(50))))),
		"unknown fields and a group":     append(msg(1, varint(77, 1), msg(2, varint(99, 4), span(varint(200, 5)))), protowire.AppendTag(nil, 9, protowire.StartGroupType)...),
		"group holding a field":          msg(1, protowire.AppendTag(nil, 50, protowire.StartGroupType), varint(1, 1), protowire.AppendTag(nil, 50, protowire.EndGroupType)),
		"wrong wire type for name":       msg(1, msg(2, msg(2, varint(5, 1)))),
		"trace id of 15 bytes":           msg(1, msg(2, msg(2, str(1, id16[:15])))),
		"trace id of zeros":              msg(1, msg(2, msg(2, str(1, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")))),
		"truncated":                      msg(1, span())[:9],
		"field number zero":              {0x02, 0x00},
		"huge field number wraps":        protowire.AppendVarint(protowire.AppendVarint(nil, 1<<35|1<<3|2), 0),
		"empty":                          {},
	}
}

func TestAppendTracesProtoMatchesPdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*trace*.json")
	if len(files) < 2 {
		t.Fatalf("no trace payloads in testdata: %v", files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) { assertSameRows(t, marshalTraces(t, readTraces(t, f))) })
	}
	t.Run("generated HTTP spans", func(t *testing.T) { assertSameRows(t, marshalTraces(t, benchTraces(50, 10))) })
	for name, body := range oddTraceBodies() {
		t.Run(name, func(t *testing.T) { assertSameRows(t, body) })
	}
}

// A rejected body leaves rows appended before it untouched.
func TestAppendTracesProtoRejectsWholeBody(t *testing.T) {
	var rows TraceRows
	if err := rows.AppendTracesProto(marshalTraces(t, readTraces(t, "testdata/trace.json"))); err != nil {
		t.Fatal(err)
	}
	good := marshalTraces(t, readTraces(t, "testdata/checkout_traces.json"))
	bad := append(good[:len(good):len(good)], oddTraceBodies()["trace id of 15 bytes"]...)
	if err := rows.AppendTracesProto(bad); err == nil {
		t.Fatal("a body with a 15-byte trace id was accepted")
	}
	if rows.Len() != 1 {
		t.Fatalf("Len = %d after a rejected body, want the 1 row from before", rows.Len())
	}
	assertAligned(t, &rows)
}

func TestAppendTracesProtoSteadyStateAllocatesOncePerBatch(t *testing.T) {
	body := marshalTraces(t, benchTraces(100, 10))
	var rows TraceRows
	if err := rows.AppendTracesProto(body); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		rows.Reset()
		_ = rows.AppendTracesProto(body)
	})
	if allocs > 1 {
		t.Fatalf("Reset+AppendTracesProto of 100 spans allocated %v times, want at most 1", allocs)
	}
}

// For any bytes, the direct decoder accepts exactly what pdata accepts and
// produces the same rows.
func FuzzTracesProtoMatchesPdata(f *testing.F) {
	seedPayloads(f)
	for _, b := range oddTraceBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) { assertSameRows(t, body) })
}
