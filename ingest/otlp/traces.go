package otlp

import (
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// InsertTracesSQL prepares a batch for TraceRows.AppendTo.
const InsertTracesSQL = "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes)"

// TraceColumns names the columns of InsertTracesSQL, in TraceRows.Columns order.
var TraceColumns = []string{
	"Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
	"ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode", "StatusMessage",
	"Events.Timestamp", "Events.Name", "Events.Attributes",
	"Links.TraceId", "Links.SpanId", "Links.TraceState", "Links.Attributes",
}

// TraceRows buffers otel_traces rows, one span each.
type TraceRows struct {
	Timestamp          []time.Time // span start
	TraceId            []string    // lower-case hex, "" for an all-zero id
	SpanId             []string
	ParentSpanId       []string
	TraceState         []string
	SpanName           []string
	SpanKind           []string // "Server", "Client", ... as ptrace.SpanKind.String
	ServiceName        []string // resource attribute service.name
	ResourceAttributes []AttrMap
	ScopeName          []string
	ScopeVersion       []string
	SpanAttributes     []AttrMap
	Duration           []uint64 // end - start in nanoseconds, unsigned as the exporter computes it
	StatusCode         []string // "Unset", "Ok", "Error"
	StatusMessage      []string
	EventsTimestamp    [][]time.Time
	EventsName         [][]string
	EventsAttributes   [][]AttrMap
	LinksTraceId       [][]string
	LinksSpanId        [][]string
	LinksTraceState    [][]string
	LinksAttributes    [][]AttrMap

	arena   arena
	scratch traceScratch
}

// Len returns the number of buffered spans.
func (r *TraceRows) Len() int { return len(r.Timestamp) }

// Reset empties the buffer and keeps its capacity. Call it only once the
// batch the columns went to has been sent or aborted.
func (r *TraceRows) Reset() {
	r.Timestamp = r.Timestamp[:0]
	r.TraceId = r.TraceId[:0]
	r.SpanId = r.SpanId[:0]
	r.ParentSpanId = r.ParentSpanId[:0]
	r.TraceState = r.TraceState[:0]
	r.SpanName = r.SpanName[:0]
	r.SpanKind = r.SpanKind[:0]
	r.ServiceName = r.ServiceName[:0]
	r.ResourceAttributes = r.ResourceAttributes[:0]
	r.ScopeName = r.ScopeName[:0]
	r.ScopeVersion = r.ScopeVersion[:0]
	r.SpanAttributes = r.SpanAttributes[:0]
	r.Duration = r.Duration[:0]
	r.StatusCode = r.StatusCode[:0]
	r.StatusMessage = r.StatusMessage[:0]
	r.EventsTimestamp = r.EventsTimestamp[:0]
	r.EventsName = r.EventsName[:0]
	r.EventsAttributes = r.EventsAttributes[:0]
	r.LinksTraceId = r.LinksTraceId[:0]
	r.LinksSpanId = r.LinksSpanId[:0]
	r.LinksTraceState = r.LinksTraceState[:0]
	r.LinksAttributes = r.LinksAttributes[:0]
	r.arena.reset()
}

// AppendTraces appends one row per span of td.
func (r *TraceRows) AppendTraces(td ptrace.Traces) {
	a := &r.arena
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		service := a.serviceName(res)
		resAttrs := a.attrs(res, roleResource)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			scope := ss.Scope()
			scopeName, scopeVersion := scope.Name(), scope.Version()
			spans := ss.Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				status := s.Status()
				r.appendRow(&spanRow{
					start:         s.StartTimestamp(),
					end:           s.EndTimestamp(),
					traceID:       a.traceID(s.TraceID()),
					spanID:        a.spanID(s.SpanID()),
					parentID:      a.spanID(s.ParentSpanID()),
					traceState:    s.TraceState().AsRaw(),
					name:          s.Name(),
					kind:          s.Kind(),
					service:       service,
					resAttrs:      resAttrs,
					scopeName:     scopeName,
					scopeVersion:  scopeVersion,
					attrs:         a.attrs(s.Attributes(), roleRecord),
					statusCode:    status.Code(),
					statusMessage: status.Message(),
				})
				r.appendEvents(s.Events())
				r.appendLinks(s.Links())
			}
		}
	}
}

// spanRow is one span's scalar columns, whichever decoder produced them.
type spanRow struct {
	start, end    pcommon.Timestamp
	traceID       string
	spanID        string
	parentID      string
	traceState    string
	name          string
	kind          ptrace.SpanKind
	service       string
	resAttrs      AttrMap
	scopeName     string
	scopeVersion  string
	attrs         AttrMap
	statusCode    ptrace.StatusCode
	statusMessage string
}

// appendRow appends a span's scalar columns as the exporter maps them; the
// caller appends its events and links next.
func (r *TraceRows) appendRow(s *spanRow) {
	r.Timestamp = append(r.Timestamp, s.start.AsTime())
	r.TraceId = append(r.TraceId, s.traceID)
	r.SpanId = append(r.SpanId, s.spanID)
	r.ParentSpanId = append(r.ParentSpanId, s.parentID)
	r.TraceState = append(r.TraceState, s.traceState)
	r.SpanName = append(r.SpanName, s.name)
	r.SpanKind = append(r.SpanKind, s.kind.String())
	r.ServiceName = append(r.ServiceName, s.service)
	r.ResourceAttributes = append(r.ResourceAttributes, s.resAttrs)
	r.ScopeName = append(r.ScopeName, s.scopeName)
	r.ScopeVersion = append(r.ScopeVersion, s.scopeVersion)
	r.SpanAttributes = append(r.SpanAttributes, s.attrs)
	r.Duration = append(r.Duration, uint64(s.end-s.start))
	r.StatusCode = append(r.StatusCode, s.statusCode.String())
	r.StatusMessage = append(r.StatusMessage, s.statusMessage)
}

// truncate drops the rows from n on, undoing a failed append.
func (r *TraceRows) truncate(n int) {
	r.Timestamp = r.Timestamp[:n]
	r.TraceId = r.TraceId[:n]
	r.SpanId = r.SpanId[:n]
	r.ParentSpanId = r.ParentSpanId[:n]
	r.TraceState = r.TraceState[:n]
	r.SpanName = r.SpanName[:n]
	r.SpanKind = r.SpanKind[:n]
	r.ServiceName = r.ServiceName[:n]
	r.ResourceAttributes = r.ResourceAttributes[:n]
	r.ScopeName = r.ScopeName[:n]
	r.ScopeVersion = r.ScopeVersion[:n]
	r.SpanAttributes = r.SpanAttributes[:n]
	r.Duration = r.Duration[:n]
	r.StatusCode = r.StatusCode[:n]
	r.StatusMessage = r.StatusMessage[:n]
	r.EventsTimestamp = r.EventsTimestamp[:n]
	r.EventsName = r.EventsName[:n]
	r.EventsAttributes = r.EventsAttributes[:n]
	r.LinksTraceId = r.LinksTraceId[:n]
	r.LinksSpanId = r.LinksSpanId[:n]
	r.LinksTraceState = r.LinksTraceState[:n]
	r.LinksAttributes = r.LinksAttributes[:n]
}

func (r *TraceRows) appendEvents(events ptrace.SpanEventSlice) {
	a := &r.arena
	t0, s0, m0 := len(a.times), len(a.strs), len(a.maps)
	for i := range events.Len() {
		e := events.At(i)
		a.times = append(a.times, e.Timestamp().AsTime())
		a.strs = append(a.strs, e.Name())
		attrs := a.attrs(e.Attributes(), roleEvent)
		a.maps = append(a.maps, attrs)
	}
	r.EventsTimestamp = append(r.EventsTimestamp, tail(a.times, t0))
	r.EventsName = append(r.EventsName, tail(a.strs, s0))
	r.EventsAttributes = append(r.EventsAttributes, tail(a.maps, m0))
}

func (r *TraceRows) appendLinks(links ptrace.SpanLinkSlice) {
	a := &r.arena
	n := links.Len()
	if n == 0 {
		r.LinksTraceId = append(r.LinksTraceId, nil)
		r.LinksSpanId = append(r.LinksSpanId, nil)
		r.LinksTraceState = append(r.LinksTraceState, nil)
		r.LinksAttributes = append(r.LinksAttributes, nil)
		return
	}
	// Trace ids, span ids and states share a.strs: each column's run is
	// written whole before the next begins.
	start := len(a.strs)
	for i := range n {
		a.strs = append(a.strs, a.traceID(links.At(i).TraceID()))
	}
	for i := range n {
		a.strs = append(a.strs, a.spanID(links.At(i).SpanID()))
	}
	for i := range n {
		a.strs = append(a.strs, links.At(i).TraceState().AsRaw())
	}
	m0 := len(a.maps)
	for i := range n {
		attrs := a.attrs(links.At(i).Attributes(), roleLink)
		a.maps = append(a.maps, attrs)
	}
	strs := a.strs[start : start+3*n : start+3*n]
	r.LinksTraceId = append(r.LinksTraceId, strs[:n:n])
	r.LinksSpanId = append(r.LinksSpanId, strs[n:2*n:2*n])
	r.LinksTraceState = append(r.LinksTraceState, strs[2*n:])
	r.LinksAttributes = append(r.LinksAttributes, tail(a.maps, m0))
}

// Columns returns the columns in TraceColumns order.
func (r *TraceRows) Columns() []any {
	return []any{
		r.Timestamp, r.TraceId, r.SpanId, r.ParentSpanId, r.TraceState, r.SpanName, r.SpanKind, r.ServiceName,
		r.ResourceAttributes, r.ScopeName, r.ScopeVersion, r.SpanAttributes, r.Duration, r.StatusCode, r.StatusMessage,
		r.EventsTimestamp, r.EventsName, r.EventsAttributes,
		r.LinksTraceId, r.LinksSpanId, r.LinksTraceState, r.LinksAttributes,
	}
}

// AppendTo appends the buffered rows to a batch prepared with InsertTracesSQL.
func (r *TraceRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_traces", TraceColumns, r.Columns())
}
