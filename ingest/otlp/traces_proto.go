package otlp

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// AppendTracesProto appends the spans of an OTLP ExportTraceServiceRequest
// given in its protobuf encoding (TracesData is the same message on the
// wire), without building pdata first: the OTLP/gRPC and OTLP/HTTP protobuf
// hot path. The rows are exactly those that decoding body with ptraceotlp
// and calling AppendTraces gives, and body is rejected exactly when
// ptraceotlp rejects it, in which case nothing is appended. Strings are
// copied, so body may be reused once it returns.
func (r *TraceRows) AppendTracesProto(body []byte) error {
	n := r.Len()
	if err := r.decodeRequest(body); err != nil {
		r.truncate(n)
		return fmt.Errorf("decode OTLP traces: %w", err)
	}
	return nil
}

// traceScratch is reused per span while it is decoded.
type traceScratch struct {
	events [][]byte
	links  []linkFields
}

type linkFields struct {
	traceID, spanID, state []byte
	attrs                  AttrMap
}

func (r *TraceRows) decodeRequest(buf []byte) error {
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
		var rs []byte
		if rs, pos, err = readLen(buf, pos, wt, "ResourceSpans"); err != nil {
			return err
		}
		if err := r.decodeResourceSpans(rs); err != nil {
			return err
		}
	}
	return nil
}

// decodeResourceSpans reads the resource first, wherever it sits in the
// message, then the scope spans. Like pdata, it falls back to the
// deprecated instrumentation_library_spans (field 1000) only when there are
// no scope_spans, and validates them either way.
func (r *TraceRows) decodeResourceSpans(buf []byte) error {
	a := &r.arena
	var pairBuf pairBuf
	pairs := pairBuf[:0]
	hasScopeSpans := false
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if b, pos, err = readLen(buf, pos, wt, "ResourceSpans.resource"); err != nil {
				return err
			}
			if pairs, err = a.decodeResource(b, pairs); err != nil {
				return err
			}
		case 2:
			if _, pos, err = readLen(buf, pos, wt, "ResourceSpans.scope_spans"); err != nil {
				return err
			}
			hasScopeSpans = true
		case 3:
			_, pos, err = readLen(buf, pos, wt, "ResourceSpans.schema_url")
		case 1000:
			_, pos, err = readLen(buf, pos, wt, "ResourceSpans.instrumentation_library_spans")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	var res resourceInfo
	res.attrs = a.appendSorted(pairs, roleResource, true)
	// The first service.name in the payload, as pcommon.Map.Get finds it:
	// sorting is stable, so it is the first in the sorted map too.
	res.service, _ = res.attrs.Get("service.name")

	for pos := 0; pos < len(buf); {
		field, wt, next, _ := consumeTag(buf, pos)
		pos = next
		if field != 2 && field != 1000 {
			pos, _ = consumeUnknown(buf, pos, wt)
			continue
		}
		var b []byte
		b, pos, _ = consumeLen(buf, pos)
		if field == 2 || !hasScopeSpans {
			if err := r.decodeScopeSpans(b, &res); err != nil {
				return err
			}
			continue
		}
		// Deprecated scope spans beside current ones: pdata validates and
		// drops them.
		n := r.Len()
		err := r.decodeScopeSpans(b, &res)
		r.truncate(n)
		if err != nil {
			return err
		}
	}
	return nil
}

type resourceInfo struct {
	service string
	attrs   AttrMap
}

// decodeResource appends a Resource's attributes to pairs. A resource sent
// twice merges, as protobuf messages do.
func (a *arena) decodeResource(buf []byte, pairs []kvPair) ([]kvPair, error) {
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return nil, err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if b, pos, err = readLen(buf, pos, wt, "Resource.attributes"); err != nil {
				return nil, err
			}
			if pairs, err = a.appendPair(pairs, b); err != nil {
				return nil, err
			}
		case 2:
			_, pos, err = readVarint(buf, pos, wt, "Resource.dropped_attributes_count")
		case 3:
			if b, pos, err = readLen(buf, pos, wt, "Resource.entity_refs"); err == nil {
				err = checkEntityRef(b)
			}
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

func checkEntityRef(buf []byte) error {
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		if field >= 1 && field <= 4 {
			_, pos, err = readLen(buf, pos, wt, "EntityRef")
		} else {
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// appendPair decodes one KeyValue into pairs, rendering the value as
// AsString does. The key stays a view into buf until appendSorted stores it.
func (a *arena) appendPair(pairs []kvPair, buf []byte) ([]kvPair, error) {
	k, v, err := parseKeyValue(buf, 0)
	if err != nil {
		return nil, err
	}
	if v.kind == anyString {
		return append(pairs, kvPair{k: view(k), v: view(v.raw), view: true}), nil
	}
	return append(pairs, kvPair{k: view(k), v: a.valueText(v)}), nil
}

// decodeScope reads an InstrumentationScope's name and version, keeping
// earlier ones a later occurrence of the message leaves unset.
func (a *arena) decodeScope(buf []byte, name, version *[]byte) error {
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if b, pos, err = readLen(buf, pos, wt, "InstrumentationScope.name"); err == nil {
				*name = b
			}
		case 2:
			if b, pos, err = readLen(buf, pos, wt, "InstrumentationScope.version"); err == nil {
				*version = b
			}
		case 3:
			if b, pos, err = readLen(buf, pos, wt, "InstrumentationScope.attributes"); err == nil {
				_, _, err = parseKeyValue(b, 0)
			}
		case 4:
			_, pos, err = readVarint(buf, pos, wt, "InstrumentationScope.dropped_attributes_count")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *TraceRows) decodeScopeSpans(buf []byte, res *resourceInfo) error {
	a := &r.arena
	var name, version []byte
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if b, pos, err = readLen(buf, pos, wt, "ScopeSpans.scope"); err == nil {
				err = a.decodeScope(b, &name, &version)
			}
		case 2:
			_, pos, err = readLen(buf, pos, wt, "ScopeSpans.spans")
		case 3:
			_, pos, err = readLen(buf, pos, wt, "ScopeSpans.schema_url")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	scopeName, scopeVersion := a.copyText(name), a.copyText(version)
	for pos := 0; pos < len(buf); {
		field, wt, next, _ := consumeTag(buf, pos)
		pos = next
		if field != 2 {
			pos, _ = consumeUnknown(buf, pos, wt)
			continue
		}
		var b []byte
		b, pos, _ = consumeLen(buf, pos)
		if err := r.decodeSpan(b, res, scopeName, scopeVersion); err != nil {
			return err
		}
	}
	return nil
}

func (r *TraceRows) decodeSpan(buf []byte, res *resourceInfo, scopeName, scopeVersion string) error {
	a := &r.arena
	var (
		pairBuf                                pairBuf
		pairs                                  = pairBuf[:0]
		traceID, spanID, parentID, state, name []byte
		kind                                   uint64
		start, end                             uint64
		statusCode                             uint64
		statusMessage                          []byte
	)
	r.scratch.events = r.scratch.events[:0]
	r.scratch.links = r.scratch.links[:0]
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if traceID, pos, err = readLen(buf, pos, wt, "Span.trace_id"); err == nil {
				err = checkID(traceID, 16, errTraceIDLength)
			}
		case 2:
			if spanID, pos, err = readLen(buf, pos, wt, "Span.span_id"); err == nil {
				err = checkID(spanID, 8, errSpanIDLength)
			}
		case 3:
			state, pos, err = readLen(buf, pos, wt, "Span.trace_state")
		case 4:
			if parentID, pos, err = readLen(buf, pos, wt, "Span.parent_span_id"); err == nil {
				err = checkID(parentID, 8, errSpanIDLength)
			}
		case 5:
			name, pos, err = readLen(buf, pos, wt, "Span.name")
		case 6:
			kind, pos, err = readVarint(buf, pos, wt, "Span.kind")
		case 7:
			start, pos, err = readI64(buf, pos, wt, "Span.start_time_unix_nano")
		case 8:
			end, pos, err = readI64(buf, pos, wt, "Span.end_time_unix_nano")
		case 9:
			if b, pos, err = readLen(buf, pos, wt, "Span.attributes"); err == nil {
				pairs, err = a.appendPair(pairs, b)
			}
		case 10, 12, 14:
			_, pos, err = readVarint(buf, pos, wt, "Span dropped count")
		case 11:
			if b, pos, err = readLen(buf, pos, wt, "Span.events"); err == nil {
				r.scratch.events = append(r.scratch.events, b)
			}
		case 13:
			if b, pos, err = readLen(buf, pos, wt, "Span.links"); err == nil {
				err = r.decodeLink(b)
			}
		case 15:
			if b, pos, err = readLen(buf, pos, wt, "Span.status"); err == nil {
				err = decodeStatus(b, &statusCode, &statusMessage)
			}
		case 16:
			_, pos, err = readI32(buf, pos, wt, "Span.flags")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}

	r.appendRow(&spanRow{
		start:         pcommon.Timestamp(start),
		end:           pcommon.Timestamp(end),
		traceID:       a.idHex(traceID),
		spanID:        a.idHex(spanID),
		parentID:      a.idHex(parentID),
		traceState:    a.copyText(state),
		name:          a.copyText(name),
		kind:          ptrace.SpanKind(int32(kind)),
		service:       res.service,
		resAttrs:      res.attrs,
		scopeName:     scopeName,
		scopeVersion:  scopeVersion,
		attrs:         a.appendSorted(pairs, roleRecord, true),
		statusCode:    ptrace.StatusCode(int32(statusCode)),
		statusMessage: a.copyText(statusMessage),
	})
	if err := r.decodeEvents(); err != nil {
		return err
	}
	r.appendDecodedLinks()
	return nil
}

func decodeStatus(buf []byte, code *uint64, message *[]byte) error {
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		switch field {
		case 2:
			*message, pos, err = readLen(buf, pos, wt, "Status.message")
		case 3:
			*code, pos, err = readVarint(buf, pos, wt, "Status.code")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeEvents appends the events gathered for the current span.
func (r *TraceRows) decodeEvents() error {
	a := &r.arena
	t0, s0, m0 := len(a.times), len(a.strs), len(a.maps)
	for _, buf := range r.scratch.events {
		var (
			pairBuf pairBuf
			pairs   = pairBuf[:0]
			ts      uint64
			name    []byte
		)
		for pos := 0; pos < len(buf); {
			field, wt, next, err := consumeTag(buf, pos)
			if err != nil {
				return err
			}
			pos = next
			var b []byte
			switch field {
			case 1:
				ts, pos, err = readI64(buf, pos, wt, "Span.Event.time_unix_nano")
			case 2:
				name, pos, err = readLen(buf, pos, wt, "Span.Event.name")
			case 3:
				if b, pos, err = readLen(buf, pos, wt, "Span.Event.attributes"); err == nil {
					pairs, err = a.appendPair(pairs, b)
				}
			case 4:
				_, pos, err = readVarint(buf, pos, wt, "Span.Event.dropped_attributes_count")
			default:
				pos, err = consumeUnknown(buf, pos, wt)
			}
			if err != nil {
				return err
			}
		}
		a.times = append(a.times, pcommon.Timestamp(ts).AsTime())
		a.strs = append(a.strs, a.copyText(name))
		attrs := a.appendSorted(pairs, roleEvent, true)
		a.maps = append(a.maps, attrs)
	}
	r.EventsTimestamp = append(r.EventsTimestamp, tail(a.times, t0))
	r.EventsName = append(r.EventsName, tail(a.strs, s0))
	r.EventsAttributes = append(r.EventsAttributes, tail(a.maps, m0))
	return nil
}

// decodeLink decodes one link of the current span into the scratch list.
func (r *TraceRows) decodeLink(buf []byte) error {
	a := &r.arena
	var (
		pairBuf pairBuf
		pairs   = pairBuf[:0]
		l       linkFields
	)
	for pos := 0; pos < len(buf); {
		field, wt, next, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = next
		var b []byte
		switch field {
		case 1:
			if l.traceID, pos, err = readLen(buf, pos, wt, "Span.Link.trace_id"); err == nil {
				err = checkID(l.traceID, 16, errTraceIDLength)
			}
		case 2:
			if l.spanID, pos, err = readLen(buf, pos, wt, "Span.Link.span_id"); err == nil {
				err = checkID(l.spanID, 8, errSpanIDLength)
			}
		case 3:
			l.state, pos, err = readLen(buf, pos, wt, "Span.Link.trace_state")
		case 4:
			if b, pos, err = readLen(buf, pos, wt, "Span.Link.attributes"); err == nil {
				pairs, err = a.appendPair(pairs, b)
			}
		case 5:
			_, pos, err = readVarint(buf, pos, wt, "Span.Link.dropped_attributes_count")
		case 6:
			_, pos, err = readI32(buf, pos, wt, "Span.Link.flags")
		default:
			pos, err = consumeUnknown(buf, pos, wt)
		}
		if err != nil {
			return err
		}
	}
	l.attrs = a.appendSorted(pairs, roleLink, true)
	r.scratch.links = append(r.scratch.links, l)
	return nil
}

// appendDecodedLinks appends the links gathered for the current span, in
// the layout appendLinks uses.
func (r *TraceRows) appendDecodedLinks() {
	a := &r.arena
	links := r.scratch.links
	n := len(links)
	if n == 0 {
		r.LinksTraceId = append(r.LinksTraceId, nil)
		r.LinksSpanId = append(r.LinksSpanId, nil)
		r.LinksTraceState = append(r.LinksTraceState, nil)
		r.LinksAttributes = append(r.LinksAttributes, nil)
		return
	}
	start := len(a.strs)
	for _, l := range links {
		a.strs = append(a.strs, a.idHex(l.traceID))
	}
	for _, l := range links {
		a.strs = append(a.strs, a.idHex(l.spanID))
	}
	for _, l := range links {
		a.strs = append(a.strs, a.copyText(l.state))
	}
	m0 := len(a.maps)
	for _, l := range links {
		a.maps = append(a.maps, l.attrs)
	}
	strs := a.strs[start : start+3*n : start+3*n]
	r.LinksTraceId = append(r.LinksTraceId, strs[:n:n])
	r.LinksSpanId = append(r.LinksSpanId, strs[n:2*n:2*n])
	r.LinksTraceState = append(r.LinksTraceState, strs[2*n:])
	r.LinksAttributes = append(r.LinksAttributes, tail(a.maps, m0))
	clear(r.scratch.links)
}
