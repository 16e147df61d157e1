package otlp

import (
	"encoding/hex"
	"math"
	"strconv"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// arena is the backing storage of one row buffer's variable-length values.
// Rows hold capped subslices of it, so appending never moves a row's data
// and, once the arena has grown to a batch, appending allocates nothing.
type arena struct {
	// text holds the hex of trace and span ids and formatted numbers.
	// Strings point into it, so it is replaced, never overwritten.
	text  []byte
	keys  []string // keys of every AttrMap, in row order
	boxed []any    // the same keys boxed, where an AttrMap has them
	vals  []string // values of every AttrMap, parallel to keys
	times []time.Time
	strs  []string
	maps  []AttrMap
	f64s  []float64
	u64s  []uint64

	// orders outlive reset: the keys they hold are in earlier text buffers,
	// which are never overwritten.
	orders [numRoles]keyOrder
}

func (a *arena) reset() {
	// A batch may still hold strings of the last batch (clickhouse-go keeps
	// LowCardinality dictionaries keyed by them), so start a new text buffer
	// of the same size rather than writing over the old one.
	a.text = make([]byte, 0, cap(a.text))
	// Slots past the new length keep pointing at the last batch's strings
	// until they are overwritten: at most one batch of payload stays
	// reachable, which costs less than clearing them through the GC's write
	// barrier on every batch.
	a.keys = a.keys[:0]
	a.boxed = a.boxed[:0]
	a.vals = a.vals[:0]
	a.times = a.times[:0]
	a.strs = a.strs[:0]
	a.maps = a.maps[:0]
	a.f64s = a.f64s[:0]
	a.u64s = a.u64s[:0]
}

// tail returns s[from:], capped so that later appends to s cannot reach it.
func tail[S ~[]E, E any](s S, from int) S {
	if from == len(s) {
		return nil
	}
	return s[from:len(s):len(s)]
}

// textFrom returns the text appended since start as a string.
func (a *arena) textFrom(start int) string {
	if start == len(a.text) {
		return ""
	}
	return unsafe.String(&a.text[start], len(a.text)-start)
}

// copyString copies s into the text buffer.
func (a *arena) copyString(s string) string {
	start := len(a.text)
	a.text = append(a.text, s...)
	return a.textFrom(start)
}

// hex returns b in lower-case hex, as hex.EncodeToString does.
func (a *arena) hex(b []byte) string {
	start := len(a.text)
	a.text = hex.AppendEncode(a.text, b)
	return a.textFrom(start)
}

// traceID is the exporter's TraceIDToHexOrEmptyString.
func (a *arena) traceID(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	return a.hex(id[:])
}

// spanID is the exporter's SpanIDToHexOrEmptyString.
func (a *arena) spanID(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	return a.hex(id[:])
}

// value is pcommon.Value.AsString, which the exporter stores for every
// attribute and log body, without allocating for strings and scalars.
func (a *arena) value(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeEmpty:
		return ""
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return "true"
		}
		return "false"
	case pcommon.ValueTypeInt:
		start := len(a.text)
		a.text = strconv.AppendInt(a.text, v.Int(), 10)
		return a.textFrom(start)
	case pcommon.ValueTypeDouble:
		start := len(a.text)
		a.text = appendFloat(a.text, v.Double())
		return a.textFrom(start)
	default:
		// Maps and slices become JSON, bytes base64: rare, and AsString
		// defines the format.
		return v.AsString()
	}
}

// appendFloat formats f as pcommon.Value.AsString does: like encoding/json
// (ES6 number formatting), with NaN and the infinities spelled out.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		b := dst[start:]
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// serviceName is the exporter's GetServiceName: the service.name resource
// attribute as a string, or "".
func (a *arena) serviceName(res pcommon.Map) string {
	if v, ok := res.Get("service.name"); ok {
		return a.value(v)
	}
	return ""
}
