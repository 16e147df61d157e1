// Package otlp turns OTLP payloads (pdata) into ClickHouse columns for the
// tables of migrations/0002_otel.sql, which follow the OpenTelemetry
// Collector's ClickHouse exporter.
//
// Each table has a row buffer holding one typed slice per column: TraceRows
// (otel_traces), LogRows (otel_logs) and MetricRows, which dispatches data
// points to GaugeRows, SumRows, HistogramRows, ExponentialHistogramRows and
// SummaryRows. Values are mapped exactly as the exporter maps them, so rows
// written here and rows written by a Collector read the same.
//
// A buffer is filled with Append*, handed to a batch prepared with the
// matching Insert*SQL by AppendTo (whole columns at a time), and emptied by
// Reset once that batch is sent. Fields are named after their columns, so
// TraceRows.TraceId holds otel_traces.TraceId and EventsName holds
// Events.Name.
//
// Traces also have a direct path, TraceRows.AppendTracesProto, which reads
// an ExportTraceServiceRequest's protobuf bytes straight into the columns,
// several times faster than decoding to pdata first. It accepts exactly the
// payloads pdata accepts and yields exactly the rows AppendTraces yields, as
// a differential fuzz test holds it to.
//
// The buffers keep their capacity across Reset, so once they have grown to
// the batch size appending a span, log record or data point allocates
// nothing of its own: strings are taken from pdata or copied into a
// per-buffer text arena, and attribute maps are slices of shared key and
// value arenas (AttrMap) rather than Go maps.
//
// Column values stay valid until Reset. A buffer is not safe for concurrent
// use.
package otlp
