package promrw

import (
	"fmt"
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// ScopeName is the instrumentation scope of metrics received by remote_write.
const ScopeName = "github.com/deploylens/deploylens/ingest/promrw"

// staleNaN is Prometheus' staleness marker: the series ended.
const staleNaN uint64 = 0x7ff0000000000002

// ToMetrics turns a write request into pdata as the Collector's Prometheus
// receivers do: one resource per (job, instance) with service.name (and
// service.namespace for "namespace/job") and service.instance.id, the other
// labels as data point attributes, __name__ as the metric name. Counters
// (by metadata, or by a "_total" suffix when the request has none) become
// cumulative monotonic sums, everything else gauges, one data point per
// sample; staleness markers are kept with the no-recorded-value flag.
// Native histograms are refused rather than dropped.
func ToMetrics(req *Request) (pmetric.Metrics, int, error) {
	md := pmetric.NewMetrics()
	scopes := map[[2]string]pmetric.MetricSlice{}
	points := 0
	for i := range req.Series {
		s := &req.Series[i]
		if s.Histograms > 0 {
			return md, 0, fmt.Errorf("timeseries[%d] carries native histograms, which deploylens does not store yet: send classic histograms (native histograms off in remote_write)", i)
		}
		var name, job, instance string
		for _, l := range s.Labels {
			switch l.Name {
			case "__name__":
				name = l.Value
			case "job":
				job = l.Value
			case "instance":
				instance = l.Value
			}
		}
		if name == "" {
			return md, 0, fmt.Errorf("timeseries[%d] has no __name__ label", i)
		}
		key := [2]string{job, instance}
		ms, ok := scopes[key]
		if !ok {
			rm := md.ResourceMetrics().AppendEmpty()
			setResource(rm.Resource().Attributes(), job, instance)
			sm := rm.ScopeMetrics().AppendEmpty()
			sm.Scope().SetName(ScopeName)
			ms = sm.Metrics()
			scopes[key] = ms
		}
		m := ms.AppendEmpty()
		m.SetName(name)
		m.SetDescription(s.Help)
		m.SetUnit(s.Unit)
		var dps pmetric.NumberDataPointSlice
		if s.Type == TypeCounter || (s.Type == TypeUnknown && strings.HasSuffix(name, "_total")) {
			sum := m.SetEmptySum()
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			sum.SetIsMonotonic(true)
			dps = sum.DataPoints()
		} else {
			dps = m.SetEmptyGauge().DataPoints()
		}
		dps.EnsureCapacity(len(s.Samples))
		for _, smp := range s.Samples {
			dp := dps.AppendEmpty()
			setAttributes(dp.Attributes(), s.Labels)
			dp.SetTimestamp(millis(smp.Timestamp))
			if s.CreatedMs > 0 {
				dp.SetStartTimestamp(millis(s.CreatedMs))
			}
			dp.SetDoubleValue(smp.Value)
			if math.Float64bits(smp.Value) == staleNaN {
				dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
			}
		}
		points += len(s.Samples)
	}
	return md, points, nil
}

func millis(ms int64) pcommon.Timestamp { return pcommon.Timestamp(ms * 1e6) }

func setResource(attrs pcommon.Map, job, instance string) {
	if job != "" {
		if ns, svc, ok := strings.Cut(job, "/"); ok {
			attrs.PutStr("service.namespace", ns)
			attrs.PutStr("service.name", svc)
		} else {
			attrs.PutStr("service.name", job)
		}
	}
	if instance != "" {
		attrs.PutStr("service.instance.id", instance)
	}
}

func setAttributes(attrs pcommon.Map, labels []Label) {
	attrs.EnsureCapacity(len(labels))
	for _, l := range labels {
		switch l.Name {
		case "__name__", "job", "instance":
		default:
			attrs.PutStr(l.Name, l.Value)
		}
	}
}
