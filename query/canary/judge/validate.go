package judge

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deploylens/deploylens/query/canary/stats"
)

// Limits on a request, so that one request cannot take the judge hostage.
const (
	MaxMetrics         = 1000
	MaxPointsPerSeries = 200_000
	// MaxCount bounds one point's count or exposure, keeping sums exact
	// (below 2^53) and the binomial arithmetic in range.
	MaxCount = 1e12
)

// FieldError is one problem with a request, naming the field in the JSON
// path notation of the request body ("metrics[2].baseline").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every problem found in a request.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	msgs := make([]string, len(v))
	for i, e := range v {
		msgs[i] = e.Error()
	}
	return "invalid canary judgment request: " + strings.Join(msgs, "; ")
}

type validator struct{ errs ValidationError }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Validate checks a request before any work is done and returns a
// ValidationError naming every offending field, or nil.
//
// Missing data is not a validation error: a metric with no points is judged
// "nodata", which fails the judgment if the metric must have data.
func (r *Request) Validate() error {
	var v validator
	r.Config.validate(&v)
	switch n := len(r.Metrics); {
	case n == 0:
		v.add("metrics", "must list at least one metric")
	case n > MaxMetrics:
		v.add("metrics", "has %d metrics; at most %d are judged at once", n, MaxMetrics)
	}
	if s := r.Sequential; s != nil {
		if s.TotalLooks < 1 || s.TotalLooks > stats.MaxLooks {
			v.add("sequential.total_looks", "must be between 1 and %d, got %d", stats.MaxLooks, s.TotalLooks)
		}
		if s.Look < 1 || s.Look > s.TotalLooks {
			v.add("sequential.look", "must be between 1 and total_looks (%d), got %d", s.TotalLooks, s.Look)
		}
	}
	seen := make(map[string]int, len(r.Metrics))
	for i := range r.Metrics {
		m := &r.Metrics[i]
		at := fmt.Sprintf("metrics[%d]", i)
		if first, dup := seen[m.Name]; dup && m.Name != "" {
			v.add(at+".name", "%q is already the name of metrics[%d]; names must be unique", m.Name, first)
		} else {
			seen[m.Name] = i
		}
		m.validate(&v, at)
		if len(r.Config.GroupWeights) > 0 {
			if _, ok := r.Config.GroupWeights[m.group()]; !ok {
				v.add(at+".group", "group %q has no weight in config.group_weights; give every group in use a weight, or none", m.group())
			}
		}
	}
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}

func (c *Config) validate(v *validator) {
	if cl := c.ConfidenceLevel; cl != 0 && !(cl >= 0.5 && cl < 1) {
		v.add("config.confidence_level", "must be at least 0.5 and below 1 (e.g. 0.98), got %v", cl)
	}
	if t := c.Tolerance; t != nil && !(finite(*t) && *t >= 0) {
		v.add("config.tolerance", "must be a fraction of the baseline ≥ 0 (e.g. 0.25 for ±25%%), got %v", *t)
	}
	pass, marginal := c.passThreshold(), c.marginalThreshold()
	if !(finite(pass) && pass >= 0 && pass <= 100) {
		v.add("config.thresholds.pass", "must be between 0 and 100, got %v", pass)
	}
	if !(finite(marginal) && marginal >= 0 && marginal <= 100) {
		v.add("config.thresholds.marginal", "must be between 0 and 100, got %v", marginal)
	} else if marginal > pass {
		v.add("config.thresholds.marginal", "%v is above the pass threshold %v", marginal, pass)
	}
	if p := c.MinPower; p != nil && !(*p >= 0 && *p < 1) {
		v.add("config.min_power", "must be at least 0 (off) and below 1, got %v", *p)
	}
	switch c.MultipleComparisons {
	case "", AdjustHolm, AdjustBH, AdjustNone:
	default:
		v.add("config.multiple_comparisons", "must be %q, %q or %q, got %q", AdjustHolm, AdjustBH, AdjustNone, c.MultipleComparisons)
	}
	for _, g := range sortedKeys(c.GroupWeights) {
		if w := c.GroupWeights[g]; !(finite(w) && w > 0) {
			v.add(fmt.Sprintf("config.group_weights[%q]", g), "must be a positive number, got %v", w)
		}
	}
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (m *Metric) validate(v *validator, at string) {
	if strings.TrimSpace(m.Name) == "" {
		v.add(at+".name", "must not be empty")
	}
	kind := m.kind()
	switch kind {
	case KindContinuous, KindCount, KindRatio:
	default:
		v.add(at+".kind", "must be %q, %q or %q, got %q", KindContinuous, KindCount, KindRatio, m.Kind)
	}
	switch m.Direction {
	case "", DirectionIncrease, DirectionDecrease, DirectionEither:
	default:
		v.add(at+".direction", "must be %q, %q or %q, got %q", DirectionIncrease, DirectionDecrease, DirectionEither, m.Direction)
	}
	switch m.NaNStrategy {
	case "", NaNRemove, NaNReplace:
	default:
		v.add(at+".nan_strategy", "must be %q or %q, got %q", NaNRemove, NaNReplace, m.NaNStrategy)
	}
	if t := m.Tolerance; t != nil && !(finite(*t) && *t >= 0) {
		v.add(at+".tolerance", "must be a fraction of the baseline ≥ 0, got %v", *t)
	}
	if p := m.MinPower; p != nil && !(*p >= 0 && *p < 1) {
		v.add(at+".min_power", "must be at least 0 (off) and below 1, got %v", *p)
	}
	if w := m.Weight; w != nil && !(finite(*w) && *w > 0) {
		v.add(at+".weight", "must be a positive number, got %v", *w)
	}
	validateSamples(v, at+".baseline", m.Baseline, kind)
	validateSamples(v, at+".canary", m.Canary, kind)
	switch kind {
	case KindContinuous:
		if m.BaselineExposure != nil {
			v.add(at+".baseline_exposure", "only metrics of kind count or ratio have exposures")
		}
		if m.CanaryExposure != nil {
			v.add(at+".canary_exposure", "only metrics of kind count or ratio have exposures")
		}
	case KindCount, KindRatio:
		validateExposure(v, at, "baseline", m.Baseline, m.BaselineExposure, kind)
		validateExposure(v, at, "canary", m.Canary, m.CanaryExposure, kind)
	}
	if o := m.Outliers; o != nil {
		switch o.Strategy {
		case "", OutliersKeep:
		case OutliersRemove:
			if kind != KindContinuous {
				v.add(at+".outliers.strategy", "outlier removal applies to continuous metrics only; for counts it would remove the bursts of errors the judgment is looking for")
			}
		default:
			v.add(at+".outliers.strategy", "must be %q or %q, got %q", OutliersKeep, OutliersRemove, o.Strategy)
		}
		if f := o.Factor; f != nil && !(finite(*f) && *f > 0) {
			v.add(at+".outliers.factor", "must be a positive number (e.g. 3), got %v", *f)
		}
	}
	if e := m.EffectSize; e != nil {
		e.validate(v, at+".effect_size", kind)
	}
}

func validateSamples(v *validator, at string, s Series, kind Kind) {
	if len(s) > MaxPointsPerSeries {
		v.add(at, "has %d points; at most %d are judged", len(s), MaxPointsPerSeries)
		return
	}
	for i, f := range s {
		switch {
		case math.IsNaN(f):
		case math.IsInf(f, 0):
			v.add(fmt.Sprintf("%s[%d]", at, i), "must be a finite number (null marks a missing point)")
			return
		case kind != KindContinuous && (f < 0 || f != math.Round(f) || f > MaxCount):
			v.add(fmt.Sprintf("%s[%d]", at, i), "must be a whole number of events ≥ 0 (at most %g) for kind %s, got %v", MaxCount, kind, f)
			return
		}
	}
}

func validateExposure(v *validator, at, side string, counts, exposure Series, kind Kind) {
	field := at + "." + side + "_exposure"
	if exposure == nil {
		if kind == KindRatio {
			v.add(field, "is required for kind ratio: the number each %s count is out of (e.g. requests)", side)
		}
		return
	}
	if len(exposure) != len(counts) {
		v.add(field, "must have one entry per %s point (%d), got %d", side, len(counts), len(exposure))
		return
	}
	for i, e := range exposure {
		switch {
		case math.IsNaN(e):
		case !finite(e) || e < 0 || e > MaxCount:
			v.add(fmt.Sprintf("%s[%d]", field, i), "must be a number ≥ 0 and at most %g, got %v", MaxCount, e)
			return
		case kind == KindRatio && counts[i] > e:
			v.add(fmt.Sprintf("%s[%d]", field, i), "%v is less than the %d events counted out of it (%s[%d])", e, int64(counts[i]), side, i)
			return
		}
	}
}

func (e *EffectSize) validate(v *validator, at string, kind Kind) {
	measure := e.measure()
	var neutral, lo, hi float64
	switch measure {
	case MeasureMeanRatio:
		neutral, lo, hi = 1, 0, math.Inf(1)
	case MeasureCLES:
		neutral, lo, hi = 0.5, 0, 1
		if kind != KindContinuous {
			v.add(at+".measure", "cles applies to continuous metrics only; counts compare rates (mean_ratio)")
		}
	default:
		v.add(at+".measure", "must be %q or %q, got %q", MeasureMeanRatio, MeasureCLES, e.Measure)
		return
	}
	check := func(name string, p *float64, increase bool) {
		if p == nil {
			return
		}
		switch f := *p; {
		case !finite(f) || f < lo || f > hi:
			v.add(at+"."+name, "must be a finite %s between %v and %v, got %v", measure, lo, hi, f)
		case increase && f < neutral:
			v.add(at+"."+name, "must be at least %v (no change) for %s, got %v", neutral, measure, f)
		case !increase && f > neutral:
			v.add(at+"."+name, "must be at most %v (no change) for %s, got %v", neutral, measure, f)
		}
	}
	check("allowed_increase", e.AllowedIncrease, true)
	check("critical_increase", e.CriticalIncrease, true)
	check("allowed_decrease", e.AllowedDecrease, false)
	check("critical_decrease", e.CriticalDecrease, false)
}
