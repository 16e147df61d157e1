package otlpreceiver

import (
	"context"
	"errors"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/otlp"
)

// maxPooledRows: buffers that grew past this are left to the GC rather than
// pooled, so one huge request does not pin its memory for ever.
const maxPooledRows = 1 << 16

var (
	tracePool  = sync.Pool{New: func() any { return new(otlp.TraceRows) }}
	logPool    = sync.Pool{New: func() any { return new(otlp.LogRows) }}
	metricPool = sync.Pool{New: func() any { return new(otlp.MetricRows) }}
)

// table adapts an otlp row buffer to commit.Rows.
type table struct {
	sql  string
	rows interface {
		Len() int
		AppendTo(driver.Batch) error
	}
}

func (t table) InsertSQL() string             { return t.sql }
func (t table) Len() int                      { return t.rows.Len() }
func (t table) AppendTo(b driver.Batch) error { return t.rows.AppendTo(b) }

// reusable says whether a buffer may be reset after Commit returned err:
// not when the caller's context ended first, since the committer may still
// be appending the buffer's columns to a batch.
func reusable(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

type resetter interface {
	Len() int
	Reset()
}

func release(p *sync.Pool, r resetter, err error) {
	if !reusable(err) || r.Len() > maxPooledRows {
		return
	}
	r.Reset()
	p.Put(r)
}

// storeTraces commits spans appended by fill; it counts the outcome.
func (r *Receiver) storeTraces(ctx context.Context, protocol string, fill func(*otlp.TraceRows) error) error {
	rows := tracePool.Get().(*otlp.TraceRows)
	if err := fill(rows); err != nil {
		release(&tracePool, rows, nil)
		r.metrics.Refused(SignalTraces, protocol, 0)
		return err
	}
	n := rows.Len()
	err := r.cfg.Committer.Commit(ctx, table{otlp.InsertTracesSQL, rows})
	release(&tracePool, rows, err)
	r.count(SignalTraces, protocol, n, err)
	return err
}

// ConsumeTraces stores td.
func (r *Receiver) ConsumeTraces(ctx context.Context, protocol string, td ptrace.Traces) error {
	return r.storeTraces(ctx, protocol, func(rows *otlp.TraceRows) error { rows.AppendTraces(td); return nil })
}

// ConsumeLogs stores ld.
func (r *Receiver) ConsumeLogs(ctx context.Context, protocol string, ld plog.Logs) error {
	rows := logPool.Get().(*otlp.LogRows)
	rows.AppendLogs(ld)
	n := rows.Len()
	err := r.cfg.Committer.Commit(ctx, table{otlp.InsertLogsSQL, rows})
	release(&logPool, rows, err)
	r.count(SignalLogs, protocol, n, err)
	return err
}

// ConsumeMetrics stores md, each data point in the table of its metric's type.
func (r *Receiver) ConsumeMetrics(ctx context.Context, protocol string, md pmetric.Metrics) error {
	rows := metricPool.Get().(*otlp.MetricRows)
	rows.AppendMetrics(md)
	n := rows.Len()
	err := r.cfg.Committer.Commit(ctx,
		table{otlp.InsertGaugeSQL, &rows.Gauge},
		table{otlp.InsertSumSQL, &rows.Sum},
		table{otlp.InsertHistogramSQL, &rows.Histogram},
		table{otlp.InsertExponentialHistogramSQL, &rows.ExponentialHistogram},
		table{otlp.InsertSummarySQL, &rows.Summary},
	)
	release(&metricPool, rows, err)
	r.count(SignalMetrics, protocol, n, err)
	return err
}

// Refused counts a request refused before its items were known.
func (r *Receiver) Refused(signal, protocol string) { r.metrics.Refused(signal, protocol, 0) }

func (r *Receiver) count(signal, protocol string, n int, err error) {
	if err != nil {
		r.metrics.Refused(signal, protocol, n)
		return
	}
	r.metrics.Accepted(signal, protocol, n)
}

var _ commit.Rows = table{}
