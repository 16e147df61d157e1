package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/canary/judge"
	"github.com/deploylens/deploylens/store"
)

// side is 1 for a baseline row, 2 for a canary row, 0 for neither; the
// selectors are bound arrays of keys and values.
const side = `multiIf(
        arrayAll((k, v) -> ResourceAttributes[k] = v, {bk:Array(String)}, {bv:Array(String)}), 1,
        arrayAll((k, v) -> ResourceAttributes[k] = v, {ck:Array(String)}, {cv:Array(String)}), 2, 0)`

// Every query returns (side UInt8, step Int64, value Float64, exposure Float64)
// for the steps with data; %s are constant fragments chosen by validated enums.
const (
	spanLatencySQL = `
SELECT ` + side + ` AS side,
       intDiv(toUnixTimestamp64Nano(Timestamp) - {from_ns:Int64}, {step_ns:Int64}) AS step,
       toFloat64(%s) AS value, toFloat64(count()) AS exposure
FROM otel_traces
WHERE ServiceName = {service:String}
  AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) AND Timestamp < fromUnixTimestamp64Nano({to_ns:Int64})
  AND ({span_name:String} = '' OR SpanName = {span_name:String})
  AND ({span_kind:String} = '' OR SpanKind = {span_kind:String})
  AND side != 0
GROUP BY side, step`

	spanErrorSQL = `
SELECT ` + side + ` AS side,
       intDiv(toUnixTimestamp64Nano(Timestamp) - {from_ns:Int64}, {step_ns:Int64}) AS step,
       toFloat64(countIf(StatusCode = 'Error')) AS value, toFloat64(count()) AS exposure
FROM otel_traces
WHERE ServiceName = {service:String}
  AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) AND Timestamp < fromUnixTimestamp64Nano({to_ns:Int64})
  AND ({span_name:String} = '' OR SpanName = {span_name:String})
  AND ({span_kind:String} = '' OR SpanKind = {span_kind:String})
  AND side != 0
GROUP BY side, step`

	errorLogSQL = `
SELECT ` + side + ` AS side,
       intDiv(toUnixTimestamp64Nano(Timestamp) - {from_ns:Int64}, {step_ns:Int64}) AS step,
       toFloat64(count()) AS value, 1.0 AS exposure
FROM otel_logs
WHERE ServiceName = {service:String}
  AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) AND Timestamp < fromUnixTimestamp64Nano({to_ns:Int64})
  AND SeverityNumber >= 17
  AND side != 0
GROUP BY side, step`

	metricSQL = `
SELECT ` + side + ` AS side,
       intDiv(toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 - {from_ns:Int64}, {step_ns:Int64}) AS step,
       toFloat64(%s) AS value, toFloat64(count()) AS exposure
FROM %s
WHERE ServiceName = {service:String} AND MetricName = {metric:String}
  AND TimeUnix >= toDateTime(intDiv({from_ns:Int64}, 1000000000)) AND TimeUnix < toDateTime(intDiv({to_ns:Int64} + 999999999, 1000000000))
  AND toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 >= {from_ns:Int64}
  AND toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 < {to_ns:Int64}
  AND arrayAll((k, v) -> Attributes[k] = v, {ak:Array(String)}, {av:Array(String)})
  AND side != 0
GROUP BY side, step`

	// metricRateSQL: the increase of each cumulative series within a step,
	// summed over the series, per second.
	metricRateSQL = `
SELECT side, step, sum(increase) / ({step_ns:Int64} / 1e9) AS value, toFloat64(count()) AS exposure
FROM (
    SELECT ` + side + ` AS side,
           intDiv(toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 - {from_ns:Int64}, {step_ns:Int64}) AS step,
           greatest(max(Value) - min(Value), 0) AS increase
    FROM otel_metrics_sum
    WHERE ServiceName = {service:String} AND MetricName = {metric:String}
      AND toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 >= {from_ns:Int64}
      AND toInt64(toUnixTimestamp(TimeUnix)) * 1000000000 < {to_ns:Int64}
      AND arrayAll((k, v) -> Attributes[k] = v, {ak:Array(String)}, {av:Array(String)})
      AND side != 0
    GROUP BY side, step, ResourceAttributes, Attributes
)
GROUP BY side, step`
)

// statisticSQL maps a validated statistic or aggregation to its expression.
var statisticSQL = map[string]string{
	"mean": "avg(Duration) / 1e6", "p50": "quantile(0.5)(Duration) / 1e6", "p75": "quantile(0.75)(Duration) / 1e6",
	"p90": "quantile(0.9)(Duration) / 1e6", "p95": "quantile(0.95)(Duration) / 1e6",
	"p99": "quantile(0.99)(Duration) / 1e6", "p999": "quantile(0.999)(Duration) / 1e6",
}

var aggregationSQL = map[string]string{
	"avg": "avg(Value)", "min": "min(Value)", "max": "max(Value)", "sum": "sum(Value)",
	"p50": "quantile(0.5)(Value)", "p75": "quantile(0.75)(Value)", "p90": "quantile(0.9)(Value)",
	"p95": "quantile(0.95)(Value)", "p99": "quantile(0.99)(Value)", "p999": "quantile(0.999)(Value)",
}

var metricTables = map[string]string{"gauge": "otel_metrics_gauge", "sum": "otel_metrics_sum"}

// query returns the constant SQL of a validated metric.
func (m *Metric) query() string {
	switch m.Source {
	case SourceSpanLatency:
		return fmt.Sprintf(spanLatencySQL, statisticSQL[m.statistic()])
	case SourceSpanErrorRatio:
		return spanErrorSQL
	case SourceErrorLogRate:
		return errorLogSQL
	}
	if m.aggregation() == "rate" {
		return metricRateSQL
	}
	return fmt.Sprintf(metricSQL, aggregationSQL[m.aggregation()], metricTables[m.metricType()])
}

// samples are one metric's points, one per step, for both sides.
type samples struct {
	baseline, canary                 judge.Series
	baselineExposure, canaryExposure judge.Series
}

// window is the data a look judges.
type window struct {
	service          string
	baseline, canary Selector
	from, to         time.Time
	step             time.Duration
}

func (w window) steps() int { return int((w.to.Sub(w.from) + w.step - 1) / w.step) }

// fetch reads one metric's samples over the window.
func fetch(ctx context.Context, conn driver.Conn, m *Metric, w window) (samples, error) {
	bk, bv := keysValues(w.baseline.ResourceAttributes)
	ck, cv := keysValues(w.canary.ResourceAttributes)
	ak, av := keysValues(m.Attributes)
	params := clickhouse.Parameters{
		"bk": bk, "bv": bv, "ck": ck, "cv": cv, "ak": ak, "av": av,
		"service":   store.StringParam(w.service),
		"from_ns":   strconv.FormatInt(w.from.UnixNano(), 10),
		"to_ns":     strconv.FormatInt(w.to.UnixNano(), 10),
		"step_ns":   strconv.FormatInt(int64(w.step), 10),
		"span_name": store.StringParam(m.SpanName), "span_kind": store.StringParam(m.SpanKind), "metric": store.StringParam(m.MetricName),
	}
	n := w.steps()
	s := samples{baseline: make(judge.Series, n), canary: make(judge.Series, n)}
	counts := m.Kind() != judge.KindContinuous
	missing := math.NaN()
	if counts {
		missing = 0 // a step without error spans or logs counted none
		s.baselineExposure, s.canaryExposure = make(judge.Series, n), make(judge.Series, n)
	}
	for i := range n {
		s.baseline[i], s.canary[i] = missing, missing
	}
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithParameters(params)), m.query())
	if err != nil {
		return samples{}, fmt.Errorf("metric %s: query: %w", m.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sd              uint8
			step            int64
			value, exposure float64
		)
		if err := rows.Scan(&sd, &step, &value, &exposure); err != nil {
			return samples{}, fmt.Errorf("metric %s: scan: %w", m.Name, err)
		}
		if step < 0 || step >= int64(n) {
			continue
		}
		switch sd {
		case 1:
			s.baseline[step] = value
			if counts {
				s.baselineExposure[step] = exposure
			}
		case 2:
			s.canary[step] = value
			if counts {
				s.canaryExposure[step] = exposure
			}
		}
	}
	if err := rows.Err(); err != nil {
		return samples{}, fmt.Errorf("metric %s: %w", m.Name, err)
	}
	if m.Kind() == judge.KindCount {
		// Counts per step: the exposure of each step is one step.
		s.baselineExposure, s.canaryExposure = nil, nil
	}
	return s, nil
}

// keysValues renders a selector as two Array(String) parameter values in
// the text format ClickHouse parses parameters with (quoted, escaped). They
// are values of a declared type, never SQL.
func keysValues(attrs map[string]string) (keys, values string) {
	ks := make([]string, 0, len(attrs))
	for k := range attrs {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	vs := make([]string, len(ks))
	for i, k := range ks {
		vs[i] = attrs[k]
	}
	return arrayLiteral(ks), arrayLiteral(vs)
}

func arrayLiteral(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		for _, r := range s {
			switch r {
			case '\'', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case 0:
				b.WriteString(`\0`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\'')
	}
	b.WriteByte(']')
	return b.String()
}
