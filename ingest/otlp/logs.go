package otlp

import (
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/collector/pdata/plog"
)

// InsertLogsSQL prepares a batch for LogRows.AppendTo.
const InsertLogsSQL = "INSERT INTO otel_logs (Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName)"

// LogColumns names the columns of InsertLogsSQL, in LogRows.Columns order.
var LogColumns = []string{
	"Timestamp", "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber", "ServiceName", "Body",
	"ResourceSchemaUrl", "ResourceAttributes", "ScopeSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes",
	"LogAttributes", "EventName",
}

// LogRows buffers otel_logs rows, one log record each.
type LogRows struct {
	Timestamp          []time.Time // the record's time, else its observed time
	TraceId            []string    // lower-case hex, "" for an all-zero id
	SpanId             []string
	TraceFlags         []uint8 // low byte of the record's flags
	SeverityText       []string
	SeverityNumber     []uint8
	ServiceName        []string // resource attribute service.name
	Body               []string // as pcommon.Value.AsString: maps and slices as JSON
	ResourceSchemaUrl  []string
	ResourceAttributes []AttrMap
	ScopeSchemaUrl     []string
	ScopeName          []string
	ScopeVersion       []string
	ScopeAttributes    []AttrMap
	LogAttributes      []AttrMap
	EventName          []string

	arena arena
}

// Len returns the number of buffered log records.
func (r *LogRows) Len() int { return len(r.Timestamp) }

// Reset empties the buffer and keeps its capacity. Call it only once the
// batch the columns went to has been sent or aborted.
func (r *LogRows) Reset() {
	r.Timestamp = r.Timestamp[:0]
	r.TraceId = r.TraceId[:0]
	r.SpanId = r.SpanId[:0]
	r.TraceFlags = r.TraceFlags[:0]
	r.SeverityText = r.SeverityText[:0]
	r.SeverityNumber = r.SeverityNumber[:0]
	r.ServiceName = r.ServiceName[:0]
	r.Body = r.Body[:0]
	r.ResourceSchemaUrl = r.ResourceSchemaUrl[:0]
	r.ResourceAttributes = r.ResourceAttributes[:0]
	r.ScopeSchemaUrl = r.ScopeSchemaUrl[:0]
	r.ScopeName = r.ScopeName[:0]
	r.ScopeVersion = r.ScopeVersion[:0]
	r.ScopeAttributes = r.ScopeAttributes[:0]
	r.LogAttributes = r.LogAttributes[:0]
	r.EventName = r.EventName[:0]
	r.arena.reset()
}

// AppendLogs appends one row per log record of ld.
func (r *LogRows) AppendLogs(ld plog.Logs) {
	a := &r.arena
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		service := a.serviceName(res)
		resAttrs := a.attrs(res, roleResource)
		resURL := rl.SchemaUrl()
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			sl := sls.At(j)
			scope := sl.Scope()
			scopeURL, scopeName, scopeVersion := sl.SchemaUrl(), scope.Name(), scope.Version()
			scopeAttrs := a.attrs(scope.Attributes(), roleScope)
			records := sl.LogRecords()
			for k := range records.Len() {
				l := records.At(k)
				ts := l.Timestamp()
				if ts == 0 {
					ts = l.ObservedTimestamp()
				}
				r.Timestamp = append(r.Timestamp, ts.AsTime())
				r.TraceId = append(r.TraceId, a.traceID(l.TraceID()))
				r.SpanId = append(r.SpanId, a.spanID(l.SpanID()))
				r.TraceFlags = append(r.TraceFlags, uint8(l.Flags()))
				r.SeverityText = append(r.SeverityText, l.SeverityText())
				r.SeverityNumber = append(r.SeverityNumber, uint8(l.SeverityNumber()))
				r.ServiceName = append(r.ServiceName, service)
				r.Body = append(r.Body, a.value(l.Body()))
				r.ResourceSchemaUrl = append(r.ResourceSchemaUrl, resURL)
				r.ResourceAttributes = append(r.ResourceAttributes, resAttrs)
				r.ScopeSchemaUrl = append(r.ScopeSchemaUrl, scopeURL)
				r.ScopeName = append(r.ScopeName, scopeName)
				r.ScopeVersion = append(r.ScopeVersion, scopeVersion)
				r.ScopeAttributes = append(r.ScopeAttributes, scopeAttrs)
				r.LogAttributes = append(r.LogAttributes, a.attrs(l.Attributes(), roleRecord))
				r.EventName = append(r.EventName, l.EventName())
			}
		}
	}
}

// Columns returns the columns in LogColumns order.
func (r *LogRows) Columns() []any {
	return []any{
		r.Timestamp, r.TraceId, r.SpanId, r.TraceFlags, r.SeverityText, r.SeverityNumber, r.ServiceName, r.Body,
		r.ResourceSchemaUrl, r.ResourceAttributes, r.ScopeSchemaUrl, r.ScopeName, r.ScopeVersion, r.ScopeAttributes,
		r.LogAttributes, r.EventName,
	}
}

// AppendTo appends the buffered rows to a batch prepared with InsertLogsSQL.
func (r *LogRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_logs", LogColumns, r.Columns())
}
