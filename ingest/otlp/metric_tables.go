package otlp

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Insert statements for the metric tables' AppendTo.
const (
	InsertGaugeSQL                = "INSERT INTO otel_metrics_gauge (ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Value, Flags, Exemplars.FilteredAttributes, Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId)"
	InsertSumSQL                  = "INSERT INTO otel_metrics_sum (ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Value, Flags, Exemplars.FilteredAttributes, Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId, AggregationTemporality, IsMonotonic)"
	InsertHistogramSQL            = "INSERT INTO otel_metrics_histogram (ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Count, Sum, BucketCounts, ExplicitBounds, Exemplars.FilteredAttributes, Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId, Flags, Min, Max, AggregationTemporality)"
	InsertExponentialHistogramSQL = "INSERT INTO otel_metrics_exponential_histogram (ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts, Exemplars.FilteredAttributes, Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId, Flags, Min, Max, AggregationTemporality)"
	InsertSummarySQL              = "INSERT INTO otel_metrics_summary (ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Count, Sum, ValueAtQuantiles.Quantile, ValueAtQuantiles.Value, Flags)"
)

// Column names of the metric insert statements, in each Columns order.
var (
	GaugeColumns = []string{
		"ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "ScopeDroppedAttrCount", "ScopeSchemaUrl",
		"ServiceName", "MetricName", "MetricDescription", "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix",
		"Value", "Flags",
		"Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId", "Exemplars.TraceId",
	}
	SumColumns = []string{
		"ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "ScopeDroppedAttrCount", "ScopeSchemaUrl",
		"ServiceName", "MetricName", "MetricDescription", "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix",
		"Value", "Flags",
		"Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId", "Exemplars.TraceId",
		"AggregationTemporality", "IsMonotonic",
	}
	HistogramColumns = []string{
		"ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "ScopeDroppedAttrCount", "ScopeSchemaUrl",
		"ServiceName", "MetricName", "MetricDescription", "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix",
		"Count", "Sum", "BucketCounts", "ExplicitBounds",
		"Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId", "Exemplars.TraceId",
		"Flags", "Min", "Max", "AggregationTemporality",
	}
	ExponentialHistogramColumns = []string{
		"ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "ScopeDroppedAttrCount", "ScopeSchemaUrl",
		"ServiceName", "MetricName", "MetricDescription", "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix",
		"Count", "Sum", "Scale", "ZeroCount", "PositiveOffset", "PositiveBucketCounts", "NegativeOffset", "NegativeBucketCounts",
		"Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId", "Exemplars.TraceId",
		"Flags", "Min", "Max", "AggregationTemporality",
	}
	SummaryColumns = []string{
		"ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "ScopeDroppedAttrCount", "ScopeSchemaUrl",
		"ServiceName", "MetricName", "MetricDescription", "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix",
		"Count", "Sum", "ValueAtQuantiles.Quantile", "ValueAtQuantiles.Value", "Flags",
	}
)

// GaugeRows buffers otel_metrics_gauge rows. It is part of MetricRows,
// which fills and resets it.
type GaugeRows struct {
	pointColumns
	Value []float64
	Flags []uint32
	exemplarColumns
}

func (r *GaugeRows) append(a *arena, m *metricMeta, g pmetric.Gauge) {
	dps := g.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		r.appendPoint(a, m, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
		r.Value = append(r.Value, numberValue(dp))
		r.Flags = append(r.Flags, uint32(dp.Flags()))
		r.appendExemplars(a, dp.Exemplars())
	}
}

func (r *GaugeRows) reset() {
	r.pointColumns.reset()
	r.Value = r.Value[:0]
	r.Flags = r.Flags[:0]
	r.exemplarColumns.reset()
}

// Columns returns the columns in GaugeColumns order.
func (r *GaugeRows) Columns() []any {
	return joinColumns(r.pointColumns.columns(), []any{r.Value, r.Flags}, r.exemplarColumns.columns())
}

// AppendTo appends the buffered rows to a batch prepared with InsertGaugeSQL.
func (r *GaugeRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_metrics_gauge", GaugeColumns, r.Columns())
}

// SumRows buffers otel_metrics_sum rows. It is part of MetricRows, which
// fills and resets it.
type SumRows struct {
	pointColumns
	Value []float64
	Flags []uint32
	exemplarColumns
	AggregationTemporality []int32
	IsMonotonic            []bool
}

func (r *SumRows) append(a *arena, m *metricMeta, s pmetric.Sum) {
	temporality, monotonic := int32(s.AggregationTemporality()), s.IsMonotonic()
	dps := s.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		r.appendPoint(a, m, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
		r.Value = append(r.Value, numberValue(dp))
		r.Flags = append(r.Flags, uint32(dp.Flags()))
		r.appendExemplars(a, dp.Exemplars())
		r.AggregationTemporality = append(r.AggregationTemporality, temporality)
		r.IsMonotonic = append(r.IsMonotonic, monotonic)
	}
}

func (r *SumRows) reset() {
	r.pointColumns.reset()
	r.Value = r.Value[:0]
	r.Flags = r.Flags[:0]
	r.exemplarColumns.reset()
	r.AggregationTemporality = r.AggregationTemporality[:0]
	r.IsMonotonic = r.IsMonotonic[:0]
}

// Columns returns the columns in SumColumns order.
func (r *SumRows) Columns() []any {
	return joinColumns(r.pointColumns.columns(), []any{r.Value, r.Flags}, r.exemplarColumns.columns(),
		[]any{r.AggregationTemporality, r.IsMonotonic})
}

// AppendTo appends the buffered rows to a batch prepared with InsertSumSQL.
func (r *SumRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_metrics_sum", SumColumns, r.Columns())
}

// HistogramRows buffers otel_metrics_histogram rows. It is part of
// MetricRows, which fills and resets it.
type HistogramRows struct {
	pointColumns
	Count          []uint64
	Sum            []float64
	BucketCounts   [][]uint64
	ExplicitBounds [][]float64
	exemplarColumns
	Flags                  []uint32
	Min                    []float64 // 0 when the point has none
	Max                    []float64
	AggregationTemporality []int32
}

func (r *HistogramRows) append(a *arena, m *metricMeta, h pmetric.Histogram) {
	temporality := int32(h.AggregationTemporality())
	dps := h.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		r.appendPoint(a, m, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
		r.Count = append(r.Count, dp.Count())
		r.Sum = append(r.Sum, dp.Sum())
		r.BucketCounts = append(r.BucketCounts, a.uint64s(dp.BucketCounts()))
		r.ExplicitBounds = append(r.ExplicitBounds, a.float64s(dp.ExplicitBounds()))
		r.appendExemplars(a, dp.Exemplars())
		r.Flags = append(r.Flags, uint32(dp.Flags()))
		r.Min = append(r.Min, dp.Min())
		r.Max = append(r.Max, dp.Max())
		r.AggregationTemporality = append(r.AggregationTemporality, temporality)
	}
}

func (r *HistogramRows) reset() {
	r.pointColumns.reset()
	r.Count = r.Count[:0]
	r.Sum = r.Sum[:0]
	r.BucketCounts = r.BucketCounts[:0]
	r.ExplicitBounds = r.ExplicitBounds[:0]
	r.exemplarColumns.reset()
	r.Flags = r.Flags[:0]
	r.Min = r.Min[:0]
	r.Max = r.Max[:0]
	r.AggregationTemporality = r.AggregationTemporality[:0]
}

// Columns returns the columns in HistogramColumns order.
func (r *HistogramRows) Columns() []any {
	return joinColumns(r.pointColumns.columns(), []any{r.Count, r.Sum, r.BucketCounts, r.ExplicitBounds},
		r.exemplarColumns.columns(), []any{r.Flags, r.Min, r.Max, r.AggregationTemporality})
}

// AppendTo appends the buffered rows to a batch prepared with InsertHistogramSQL.
func (r *HistogramRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_metrics_histogram", HistogramColumns, r.Columns())
}

// ExponentialHistogramRows buffers otel_metrics_exponential_histogram rows.
// It is part of MetricRows, which fills and resets it.
type ExponentialHistogramRows struct {
	pointColumns
	Count                []uint64
	Sum                  []float64
	Scale                []int32
	ZeroCount            []uint64
	PositiveOffset       []int32
	PositiveBucketCounts [][]uint64
	NegativeOffset       []int32
	NegativeBucketCounts [][]uint64
	exemplarColumns
	Flags                  []uint32
	Min                    []float64 // 0 when the point has none
	Max                    []float64
	AggregationTemporality []int32
}

func (r *ExponentialHistogramRows) append(a *arena, m *metricMeta, h pmetric.ExponentialHistogram) {
	temporality := int32(h.AggregationTemporality())
	dps := h.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		pos, neg := dp.Positive(), dp.Negative()
		r.appendPoint(a, m, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
		r.Count = append(r.Count, dp.Count())
		r.Sum = append(r.Sum, dp.Sum())
		r.Scale = append(r.Scale, dp.Scale())
		r.ZeroCount = append(r.ZeroCount, dp.ZeroCount())
		r.PositiveOffset = append(r.PositiveOffset, pos.Offset())
		r.PositiveBucketCounts = append(r.PositiveBucketCounts, a.uint64s(pos.BucketCounts()))
		r.NegativeOffset = append(r.NegativeOffset, neg.Offset())
		r.NegativeBucketCounts = append(r.NegativeBucketCounts, a.uint64s(neg.BucketCounts()))
		r.appendExemplars(a, dp.Exemplars())
		r.Flags = append(r.Flags, uint32(dp.Flags()))
		r.Min = append(r.Min, dp.Min())
		r.Max = append(r.Max, dp.Max())
		r.AggregationTemporality = append(r.AggregationTemporality, temporality)
	}
}

func (r *ExponentialHistogramRows) reset() {
	r.pointColumns.reset()
	r.Count = r.Count[:0]
	r.Sum = r.Sum[:0]
	r.Scale = r.Scale[:0]
	r.ZeroCount = r.ZeroCount[:0]
	r.PositiveOffset = r.PositiveOffset[:0]
	r.PositiveBucketCounts = r.PositiveBucketCounts[:0]
	r.NegativeOffset = r.NegativeOffset[:0]
	r.NegativeBucketCounts = r.NegativeBucketCounts[:0]
	r.exemplarColumns.reset()
	r.Flags = r.Flags[:0]
	r.Min = r.Min[:0]
	r.Max = r.Max[:0]
	r.AggregationTemporality = r.AggregationTemporality[:0]
}

// Columns returns the columns in ExponentialHistogramColumns order.
func (r *ExponentialHistogramRows) Columns() []any {
	return joinColumns(r.pointColumns.columns(),
		[]any{r.Count, r.Sum, r.Scale, r.ZeroCount, r.PositiveOffset, r.PositiveBucketCounts, r.NegativeOffset, r.NegativeBucketCounts},
		r.exemplarColumns.columns(), []any{r.Flags, r.Min, r.Max, r.AggregationTemporality})
}

// AppendTo appends the buffered rows to a batch prepared with
// InsertExponentialHistogramSQL.
func (r *ExponentialHistogramRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_metrics_exponential_histogram", ExponentialHistogramColumns, r.Columns())
}

// SummaryRows buffers otel_metrics_summary rows. It is part of MetricRows,
// which fills and resets it.
type SummaryRows struct {
	pointColumns
	Count                    []uint64
	Sum                      []float64
	ValueAtQuantilesQuantile [][]float64
	ValueAtQuantilesValue    [][]float64
	Flags                    []uint32
}

func (r *SummaryRows) append(a *arena, m *metricMeta, s pmetric.Summary) {
	dps := s.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		r.appendPoint(a, m, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
		r.Count = append(r.Count, dp.Count())
		r.Sum = append(r.Sum, dp.Sum())
		qs := dp.QuantileValues()
		n := qs.Len()
		start := len(a.f64s)
		for j := range n {
			a.f64s = append(a.f64s, qs.At(j).Quantile())
		}
		for j := range n {
			a.f64s = append(a.f64s, qs.At(j).Value())
		}
		if n == 0 {
			r.ValueAtQuantilesQuantile = append(r.ValueAtQuantilesQuantile, nil)
			r.ValueAtQuantilesValue = append(r.ValueAtQuantilesValue, nil)
		} else {
			vals := a.f64s[start : start+2*n : start+2*n]
			r.ValueAtQuantilesQuantile = append(r.ValueAtQuantilesQuantile, vals[:n:n])
			r.ValueAtQuantilesValue = append(r.ValueAtQuantilesValue, vals[n:])
		}
		r.Flags = append(r.Flags, uint32(dp.Flags()))
	}
}

func (r *SummaryRows) reset() {
	r.pointColumns.reset()
	r.Count = r.Count[:0]
	r.Sum = r.Sum[:0]
	r.ValueAtQuantilesQuantile = r.ValueAtQuantilesQuantile[:0]
	r.ValueAtQuantilesValue = r.ValueAtQuantilesValue[:0]
	r.Flags = r.Flags[:0]
}

// Columns returns the columns in SummaryColumns order.
func (r *SummaryRows) Columns() []any {
	return joinColumns(r.pointColumns.columns(),
		[]any{r.Count, r.Sum, r.ValueAtQuantilesQuantile, r.ValueAtQuantilesValue, r.Flags})
}

// AppendTo appends the buffered rows to a batch prepared with InsertSummarySQL.
func (r *SummaryRows) AppendTo(b driver.Batch) error {
	return appendColumns(b, "otel_metrics_summary", SummaryColumns, r.Columns())
}
