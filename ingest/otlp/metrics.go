package otlp

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// MetricRows buffers the rows of the five metric tables, one data point
// each, sharing one arena: resource and scope attributes are flattened once
// for all of them.
type MetricRows struct {
	Gauge                GaugeRows                // otel_metrics_gauge
	Sum                  SumRows                  // otel_metrics_sum
	Histogram            HistogramRows            // otel_metrics_histogram
	ExponentialHistogram ExponentialHistogramRows // otel_metrics_exponential_histogram
	Summary              SummaryRows              // otel_metrics_summary

	arena arena
}

// Len returns the number of buffered data points over all five tables.
func (r *MetricRows) Len() int {
	return r.Gauge.Len() + r.Sum.Len() + r.Histogram.Len() + r.ExponentialHistogram.Len() + r.Summary.Len()
}

// Reset empties all five tables and keeps their capacity. Call it only once
// the batches their columns went to have been sent or aborted.
func (r *MetricRows) Reset() {
	r.Gauge.reset()
	r.Sum.reset()
	r.Histogram.reset()
	r.ExponentialHistogram.reset()
	r.Summary.reset()
	r.arena.reset()
}

// AppendMetrics appends one row per data point of md to the table of its
// metric's type. A metric whose type is unset has no data points and adds
// nothing (the exporter fails the whole request on one).
func (r *MetricRows) AppendMetrics(md pmetric.Metrics) {
	a := &r.arena
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		res := rm.Resource().Attributes()
		var m metricMeta
		m.service = a.serviceName(res)
		m.resAttrs = a.attrs(res, roleResource)
		m.resURL = rm.SchemaUrl()
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			scope := sm.Scope()
			m.scopeName, m.scopeVersion = scope.Name(), scope.Version()
			m.scopeAttrs = a.attrs(scope.Attributes(), roleScope)
			m.scopeDropped = scope.DroppedAttributesCount()
			m.scopeURL = sm.SchemaUrl()
			metrics := sm.Metrics()
			for k := range metrics.Len() {
				metric := metrics.At(k)
				m.name, m.description, m.unit = metric.Name(), metric.Description(), metric.Unit()
				switch metric.Type() {
				case pmetric.MetricTypeGauge:
					r.Gauge.append(a, &m, metric.Gauge())
				case pmetric.MetricTypeSum:
					r.Sum.append(a, &m, metric.Sum())
				case pmetric.MetricTypeHistogram:
					r.Histogram.append(a, &m, metric.Histogram())
				case pmetric.MetricTypeExponentialHistogram:
					r.ExponentialHistogram.append(a, &m, metric.ExponentialHistogram())
				case pmetric.MetricTypeSummary:
					r.Summary.append(a, &m, metric.Summary())
				}
			}
		}
	}
}

// metricMeta is what every data point of one metric shares.
type metricMeta struct {
	resAttrs     AttrMap
	resURL       string
	scopeName    string
	scopeVersion string
	scopeAttrs   AttrMap
	scopeDropped uint32
	scopeURL     string
	service      string
	name         string
	description  string
	unit         string
}

// pointColumns are the columns every metric table starts with.
type pointColumns struct {
	ResourceAttributes    []AttrMap
	ResourceSchemaUrl     []string
	ScopeName             []string
	ScopeVersion          []string
	ScopeAttributes       []AttrMap
	ScopeDroppedAttrCount []uint32
	ScopeSchemaUrl        []string
	ServiceName           []string // resource attribute service.name
	MetricName            []string
	MetricDescription     []string
	MetricUnit            []string
	Attributes            []AttrMap   // the data point's attributes
	StartTimeUnix         []time.Time // stored to the second (DateTime)
	TimeUnix              []time.Time
}

// Len returns the number of buffered data points.
func (c *pointColumns) Len() int { return len(c.TimeUnix) }

func (c *pointColumns) appendPoint(a *arena, m *metricMeta, attrs pcommon.Map, start, ts pcommon.Timestamp) {
	c.ResourceAttributes = append(c.ResourceAttributes, m.resAttrs)
	c.ResourceSchemaUrl = append(c.ResourceSchemaUrl, m.resURL)
	c.ScopeName = append(c.ScopeName, m.scopeName)
	c.ScopeVersion = append(c.ScopeVersion, m.scopeVersion)
	c.ScopeAttributes = append(c.ScopeAttributes, m.scopeAttrs)
	c.ScopeDroppedAttrCount = append(c.ScopeDroppedAttrCount, m.scopeDropped)
	c.ScopeSchemaUrl = append(c.ScopeSchemaUrl, m.scopeURL)
	c.ServiceName = append(c.ServiceName, m.service)
	c.MetricName = append(c.MetricName, m.name)
	c.MetricDescription = append(c.MetricDescription, m.description)
	c.MetricUnit = append(c.MetricUnit, m.unit)
	c.Attributes = append(c.Attributes, a.attrs(attrs, roleRecord))
	c.StartTimeUnix = append(c.StartTimeUnix, start.AsTime())
	c.TimeUnix = append(c.TimeUnix, ts.AsTime())
}

func (c *pointColumns) reset() {
	c.ResourceAttributes = c.ResourceAttributes[:0]
	c.ResourceSchemaUrl = c.ResourceSchemaUrl[:0]
	c.ScopeName = c.ScopeName[:0]
	c.ScopeVersion = c.ScopeVersion[:0]
	c.ScopeAttributes = c.ScopeAttributes[:0]
	c.ScopeDroppedAttrCount = c.ScopeDroppedAttrCount[:0]
	c.ScopeSchemaUrl = c.ScopeSchemaUrl[:0]
	c.ServiceName = c.ServiceName[:0]
	c.MetricName = c.MetricName[:0]
	c.MetricDescription = c.MetricDescription[:0]
	c.MetricUnit = c.MetricUnit[:0]
	c.Attributes = c.Attributes[:0]
	c.StartTimeUnix = c.StartTimeUnix[:0]
	c.TimeUnix = c.TimeUnix[:0]
}

func (c *pointColumns) columns() []any {
	return []any{
		c.ResourceAttributes, c.ResourceSchemaUrl, c.ScopeName, c.ScopeVersion, c.ScopeAttributes,
		c.ScopeDroppedAttrCount, c.ScopeSchemaUrl, c.ServiceName, c.MetricName, c.MetricDescription,
		c.MetricUnit, c.Attributes, c.StartTimeUnix, c.TimeUnix,
	}
}

// exemplarColumns are the Exemplars nested columns, one array per data point.
type exemplarColumns struct {
	ExemplarsFilteredAttributes [][]AttrMap
	ExemplarsTimeUnix           [][]time.Time
	ExemplarsValue              [][]float64
	ExemplarsSpanId             [][]string // hex, all zeros for an empty id, as the exporter writes it
	ExemplarsTraceId            [][]string
}

func (c *exemplarColumns) appendExemplars(a *arena, ex pmetric.ExemplarSlice) {
	n := ex.Len()
	m0, t0, f0 := len(a.maps), len(a.times), len(a.f64s)
	for i := range n {
		e := ex.At(i)
		attrs := a.attrs(e.FilteredAttributes(), roleExemplar)
		a.maps = append(a.maps, attrs)
		a.times = append(a.times, e.Timestamp().AsTime())
		a.f64s = append(a.f64s, exemplarValue(e))
	}
	s0 := len(a.strs)
	for i := range n {
		id := ex.At(i).SpanID()
		a.strs = append(a.strs, a.hex(id[:]))
	}
	for i := range n {
		id := ex.At(i).TraceID()
		a.strs = append(a.strs, a.hex(id[:]))
	}
	c.ExemplarsFilteredAttributes = append(c.ExemplarsFilteredAttributes, tail(a.maps, m0))
	c.ExemplarsTimeUnix = append(c.ExemplarsTimeUnix, tail(a.times, t0))
	c.ExemplarsValue = append(c.ExemplarsValue, tail(a.f64s, f0))
	if n == 0 {
		c.ExemplarsSpanId = append(c.ExemplarsSpanId, nil)
		c.ExemplarsTraceId = append(c.ExemplarsTraceId, nil)
		return
	}
	ids := a.strs[s0 : s0+2*n : s0+2*n]
	c.ExemplarsSpanId = append(c.ExemplarsSpanId, ids[:n:n])
	c.ExemplarsTraceId = append(c.ExemplarsTraceId, ids[n:])
}

func (c *exemplarColumns) reset() {
	c.ExemplarsFilteredAttributes = c.ExemplarsFilteredAttributes[:0]
	c.ExemplarsTimeUnix = c.ExemplarsTimeUnix[:0]
	c.ExemplarsValue = c.ExemplarsValue[:0]
	c.ExemplarsSpanId = c.ExemplarsSpanId[:0]
	c.ExemplarsTraceId = c.ExemplarsTraceId[:0]
}

func (c *exemplarColumns) columns() []any {
	return []any{c.ExemplarsFilteredAttributes, c.ExemplarsTimeUnix, c.ExemplarsValue, c.ExemplarsSpanId, c.ExemplarsTraceId}
}

// exemplarValue stores either kind of exemplar value as a Float64.
func exemplarValue(e pmetric.Exemplar) float64 {
	switch e.ValueType() {
	case pmetric.ExemplarValueTypeDouble:
		return e.DoubleValue()
	case pmetric.ExemplarValueTypeInt:
		return float64(e.IntValue())
	}
	return 0
}

// numberValue stores either kind of number data point value as a Float64.
func numberValue(dp pmetric.NumberDataPoint) float64 {
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		return dp.DoubleValue()
	case pmetric.NumberDataPointValueTypeInt:
		return float64(dp.IntValue())
	}
	return 0
}

func (a *arena) uint64s(s pcommon.UInt64Slice) []uint64 {
	start := len(a.u64s)
	for i := range s.Len() {
		a.u64s = append(a.u64s, s.At(i))
	}
	return tail(a.u64s, start)
}

func (a *arena) float64s(s pcommon.Float64Slice) []float64 {
	start := len(a.f64s)
	for i := range s.Len() {
		a.f64s = append(a.f64s, s.At(i))
	}
	return tail(a.f64s, start)
}

// joinColumns concatenates a table's column groups.
func joinColumns(groups ...[]any) []any {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	out := make([]any, 0, n)
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
