package otlp

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Protobuf wire decoding for the direct OTLP paths. Every rule here follows
// pdata's generated decoder (go.opentelemetry.io/collector/pdata v1.71
// internal/proto), quirks included, so that a payload the direct path
// accepts is exactly one pdata accepts; FuzzTracesProtoMatchesPdata holds
// the two to that.

const (
	wireVarint     = 0
	wireI64        = 1
	wireLen        = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireI32        = 5
)

// recursionLimit bounds the nesting of attribute values, as pdata does.
const recursionLimit = 100

var (
	errIntOverflow     = errors.New("proto: integer overflow")
	errInvalidLength   = errors.New("proto: negative length")
	errEndOfGroup      = errors.New("proto: unexpected end of group")
	errRecursionDepth  = errors.New("proto: attribute values nested too deep")
	errTraceIDLength   = errors.New("proto: trace id is neither 0 nor 16 bytes")
	errSpanIDLength    = errors.New("proto: span id is neither 0 nor 8 bytes")
	errUnexpectedGroup = errors.New("proto: illegal wire type")
)

func consumeVarint(buf []byte, pos int) (uint64, int, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, 0, errIntOverflow
		}
		if pos >= len(buf) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		b := buf[pos]
		pos++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, pos, nil
		}
	}
}

// consumeTag reads a field tag. Like pdata it keeps the low 32 bits of the
// field number and rejects a field number that is not positive.
func consumeTag(buf []byte, pos int) (field int32, wireType int8, next int, err error) {
	tag, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return 0, 0, 0, err
	}
	field, wireType = int32(tag>>3), int8(tag&7)
	if field <= 0 {
		return 0, 0, 0, fmt.Errorf("proto: illegal field number %d", field)
	}
	return field, wireType, pos, nil
}

// consumeLen reads a length-delimited field's contents.
func consumeLen(buf []byte, pos int) ([]byte, int, error) {
	n, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return nil, 0, err
	}
	length := int(n)
	if length < 0 {
		return nil, 0, errInvalidLength
	}
	end := pos + length
	if end < 0 || end > len(buf) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return buf[pos:end], end, nil
}

func consumeI64(buf []byte, pos int) (uint64, int, error) {
	end := pos + 8
	if end < 0 || end > len(buf) {
		return 0, 0, io.ErrUnexpectedEOF
	}
	return binary.LittleEndian.Uint64(buf[pos:]), end, nil
}

func consumeI32(buf []byte, pos int) (uint32, int, error) {
	end := pos + 4
	if end < 0 || end > len(buf) {
		return 0, 0, io.ErrUnexpectedEOF
	}
	return binary.LittleEndian.Uint32(buf[pos:]), end, nil
}

// consumeUnknown skips a field the decoder does not know. It reproduces
// pdata's handling of groups: a group ends at its first scalar or
// length-delimited field, and what follows is read as ordinary fields.
func consumeUnknown(buf []byte, pos int, wireType int8) (int, error) {
	depth := 0
	for pos < len(buf) {
		var err error
		switch wireType {
		case wireVarint:
			_, pos, err = consumeVarint(buf, pos)
			return pos, err
		case wireI64:
			_, pos, err = consumeI64(buf, pos)
			return pos, err
		case wireLen:
			_, pos, err = consumeLen(buf, pos)
			return pos, err
		case wireStartGroup:
			depth++
		case wireEndGroup:
			if depth == 0 {
				return 0, errEndOfGroup
			}
			depth--
		case wireI32:
			_, pos, err = consumeI32(buf, pos)
			return pos, err
		default:
			return 0, errUnexpectedGroup
		}
		if depth == 0 {
			return pos, nil
		}
		_, wireType, pos, err = consumeTag(buf, pos)
		if err != nil {
			return 0, err
		}
	}
	return 0, io.ErrUnexpectedEOF
}

func wrongWireType(field string, wireType int8) error {
	return fmt.Errorf("proto: wrong wire type %d for %s", wireType, field)
}

// Field readers used by the message walkers: each checks the wire type
// pdata requires for the field.

func readLen(buf []byte, pos int, wireType int8, field string) ([]byte, int, error) {
	if wireType != wireLen {
		return nil, 0, wrongWireType(field, wireType)
	}
	return consumeLen(buf, pos)
}

func readVarint(buf []byte, pos int, wireType int8, field string) (uint64, int, error) {
	if wireType != wireVarint {
		return 0, 0, wrongWireType(field, wireType)
	}
	return consumeVarint(buf, pos)
}

func readI64(buf []byte, pos int, wireType int8, field string) (uint64, int, error) {
	if wireType != wireI64 {
		return 0, 0, wrongWireType(field, wireType)
	}
	return consumeI64(buf, pos)
}

func readI32(buf []byte, pos int, wireType int8, field string) (uint32, int, error) {
	if wireType != wireI32 {
		return 0, 0, wrongWireType(field, wireType)
	}
	return consumeI32(buf, pos)
}

// checkID validates an id field: empty (the zero id) or exactly n bytes.
func checkID(b []byte, n int, err error) error {
	if len(b) != 0 && len(b) != n {
		return err
	}
	return nil
}

// idHex renders a trace or span id as the exporter does: lower-case hex,
// "" for an absent or all-zero id.
func (a *arena) idHex(b []byte) string {
	for _, c := range b {
		if c != 0 {
			return a.hex(b)
		}
	}
	return ""
}

// view is b as a string without copying; it must not outlive b.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// copyText copies b into the arena's text and returns it as a string.
func (a *arena) copyText(b []byte) string {
	start := len(a.text)
	a.text = append(a.text, b...)
	return a.textFrom(start)
}

// anyValue is the value an AnyValue message decodes to: the last oneof
// field seen wins, across repeated occurrences of the message too.
type anyValue struct {
	kind int32 // the AnyValue field number that set it; 0 for empty
	raw  []byte
	num  uint64
}

const (
	anyString   = 1
	anyBool     = 2
	anyInt      = 3
	anyDouble   = 4
	anyArray    = 5
	anyKvlist   = 6
	anyBytes    = 7
	anyStrindex = 8
)

// mergeAnyValue reads one AnyValue message into v, validating nested
// arrays and maps to pdata's depth limit.
func mergeAnyValue(buf []byte, depth int, v *anyValue) error {
	if depth >= recursionLimit {
		return errRecursionDepth
	}
	depth++
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		switch field {
		case anyString, anyBytes:
			var b []byte
			if b, pos, err = readLen(buf, pos, wt, "AnyValue"); err != nil {
				return err
			}
			*v = anyValue{kind: field, raw: b}
		case anyBool, anyInt, anyStrindex:
			var n uint64
			if n, pos, err = readVarint(buf, pos, wt, "AnyValue"); err != nil {
				return err
			}
			*v = anyValue{kind: field, num: n}
		case anyDouble:
			var n uint64
			if n, pos, err = readI64(buf, pos, wt, "AnyValue"); err != nil {
				return err
			}
			*v = anyValue{kind: field, num: n}
		case anyArray, anyKvlist:
			var b []byte
			if b, pos, err = readLen(buf, pos, wt, "AnyValue"); err != nil {
				return err
			}
			if err := checkValueList(b, depth, field == anyKvlist); err != nil {
				return err
			}
			*v = anyValue{kind: field, raw: b}
		default:
			if pos, err = consumeUnknown(buf, pos, wt); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValueList validates an ArrayValue (repeated AnyValue) or a
// KeyValueList (repeated KeyValue).
func checkValueList(buf []byte, depth int, kvs bool) error {
	if depth >= recursionLimit {
		return errRecursionDepth
	}
	depth++
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		if field != 1 {
			if pos, err = consumeUnknown(buf, pos, wt); err != nil {
				return err
			}
			continue
		}
		var b []byte
		if b, pos, err = readLen(buf, pos, wt, "value list"); err != nil {
			return err
		}
		if kvs {
			_, _, err = parseKeyValue(b, depth)
		} else {
			var v anyValue
			err = mergeAnyValue(b, depth, &v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseKeyValue reads a KeyValue message: the last key wins and the value
// merges over every occurrence of its field.
func parseKeyValue(buf []byte, depth int) (key []byte, v anyValue, err error) {
	if depth >= recursionLimit {
		return nil, v, errRecursionDepth
	}
	depth++
	for pos := 0; pos < len(buf); {
		var field int32
		var wt int8
		if field, wt, pos, err = consumeTag(buf, pos); err != nil {
			return nil, v, err
		}
		switch field {
		case 1:
			if key, pos, err = readLen(buf, pos, wt, "KeyValue.key"); err != nil {
				return nil, v, err
			}
		case 2:
			var b []byte
			if b, pos, err = readLen(buf, pos, wt, "KeyValue.value"); err != nil {
				return nil, v, err
			}
			if err = mergeAnyValue(b, depth, &v); err != nil {
				return nil, v, err
			}
		case 3:
			if _, pos, err = readVarint(buf, pos, wt, "KeyValue.key_strindex"); err != nil {
				return nil, v, err
			}
		default:
			if pos, err = consumeUnknown(buf, pos, wt); err != nil {
				return nil, v, err
			}
		}
	}
	return key, v, nil
}

// valueText renders v as pcommon.Value.AsString would.
func (a *arena) valueText(v anyValue) string {
	switch v.kind {
	case anyString:
		return a.copyText(v.raw)
	case anyBool:
		if v.num != 0 {
			return "true"
		}
		return "false"
	case anyInt:
		start := len(a.text)
		a.text = strconv.AppendInt(a.text, int64(v.num), 10)
		return a.textFrom(start)
	case anyDouble:
		start := len(a.text)
		a.text = appendFloat(a.text, math.Float64frombits(v.num))
		return a.textFrom(start)
	case anyBytes:
		start := len(a.text)
		a.text = base64.StdEncoding.AppendEncode(a.text, v.raw)
		return a.textFrom(start)
	case anyArray, anyKvlist:
		// Rare: build the pdata value and let AsString write the JSON.
		pv := pcommon.NewValueEmpty()
		setValue(pv, v)
		return pv.AsString()
	}
	return "" // unset, or a profiles string-table index: pdata's Empty
}

// setValue stores a validated anyValue into a pdata value.
func setValue(dst pcommon.Value, v anyValue) {
	switch v.kind {
	case anyString:
		dst.SetStr(string(v.raw))
	case anyBool:
		dst.SetBool(v.num != 0)
	case anyInt:
		dst.SetInt(int64(v.num))
	case anyDouble:
		dst.SetDouble(math.Float64frombits(v.num))
	case anyBytes:
		dst.SetEmptyBytes().FromRaw(v.raw)
	case anyArray:
		s := dst.SetEmptySlice()
		forEachListItem(v.raw, func(b []byte) {
			var item anyValue
			_ = mergeAnyValue(b, 0, &item)
			setValue(s.AppendEmpty(), item)
		})
	case anyKvlist:
		m := dst.SetEmptyMap()
		forEachListItem(v.raw, func(b []byte) {
			k, item, _ := parseKeyValue(b, 0)
			setValue(m.PutEmpty(string(k)), item)
		})
	}
}

// forEachListItem calls fn with each field-1 entry of a validated list.
func forEachListItem(buf []byte, fn func([]byte)) {
	for pos := 0; pos < len(buf); {
		field, wt, next, _ := consumeTag(buf, pos)
		pos = next
		if field != 1 {
			pos, _ = consumeUnknown(buf, pos, wt)
			continue
		}
		var b []byte
		b, pos, _ = consumeLen(buf, pos)
		fn(b)
	}
}
