package otlp

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// seedPayloads adds every testdata payload, as OTLP protobuf, to f.
func seedPayloads(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b); err == nil && td.SpanCount() > 0 {
			p, _ := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
			f.Add(p)
		}
		if ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(b); err == nil && ld.LogRecordCount() > 0 {
			p, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
			f.Add(p)
		}
		if md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b); err == nil && md.DataPointCount() > 0 {
			p, _ := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
			f.Add(p)
		}
	}
	p, _ := ptraceotlp.NewExportRequestFromTraces(benchTraces(3, 10)).MarshalProto()
	f.Add(p)
}

// Whatever bytes arrive, decoding them as any of the three OTLP export
// requests and appending what decodes never panics, yields one row per span,
// record or data point, and keeps every column the same length. The three
// messages share field numbers, so one input exercises all three paths.
func FuzzDecodeAndAppend(f *testing.F) {
	seedPayloads(f)
	var (
		traces  TraceRows
		logs    LogRows
		metrics MetricRows
	)
	f.Fuzz(func(t *testing.T, payload []byte) {
		traces.Reset()
		logs.Reset()
		metrics.Reset()

		treq := ptraceotlp.NewExportRequest()
		if treq.UnmarshalProto(payload) == nil {
			traces.AppendTraces(treq.Traces())
			if traces.Len() != treq.Traces().SpanCount() {
				t.Fatalf("%d trace rows for %d spans", traces.Len(), treq.Traces().SpanCount())
			}
			assertAligned(t, &traces)
		}
		lreq := plogotlp.NewExportRequest()
		if lreq.UnmarshalProto(payload) == nil {
			logs.AppendLogs(lreq.Logs())
			if logs.Len() != lreq.Logs().LogRecordCount() {
				t.Fatalf("%d log rows for %d records", logs.Len(), lreq.Logs().LogRecordCount())
			}
			assertAligned(t, &logs)
		}
		mreq := pmetricotlp.NewExportRequest()
		if mreq.UnmarshalProto(payload) == nil {
			metrics.AppendMetrics(mreq.Metrics())
			if metrics.Len() != mreq.Metrics().DataPointCount() {
				t.Fatalf("%d metric rows for %d data points", metrics.Len(), mreq.Metrics().DataPointCount())
			}
			for _, tbl := range []table{&metrics.Gauge, &metrics.Sum, &metrics.Histogram, &metrics.ExponentialHistogram, &metrics.Summary} {
				assertAligned(t, tbl)
			}
		}
	})
}

// The arena renders every int and double exactly as AsString does.
func FuzzValueRendersAsAsString(f *testing.F) {
	f.Add(int64(0), 0.0)
	f.Add(int64(-42), 637.704)
	f.Add(int64(math.MaxInt64), 1e21)
	f.Add(int64(math.MinInt64), 1e-7)
	f.Add(int64(1), math.Inf(-1))
	f.Fuzz(func(t *testing.T, i int64, d float64) {
		var a arena
		for _, v := range []pcommon.Value{pcommon.NewValueInt(i), pcommon.NewValueDouble(d)} {
			if got, want := a.value(v), v.AsString(); got != want {
				t.Fatalf("value(%v) = %q, AsString = %q", v.AsRaw(), got, want)
			}
		}
	})
}
