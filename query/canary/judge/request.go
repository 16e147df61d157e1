package judge

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Request asks for one judgment of a canary against its baseline. The HTTP
// layer decodes a request body straight into it; Judge validates it first.
type Request struct {
	Config  Config   `json:"config"`
	Metrics []Metric `json:"metrics"`
	// Sequential, if set, says this judgment is one look of a plan of
	// repeated judgments of the same canary on accumulating data.
	Sequential *Sequential `json:"sequential,omitempty"`
}

// Config holds the judgment-wide settings. Zero or absent fields take the
// defaults noted, which Result.Config reports back as applied.
type Config struct {
	// ConfidenceLevel of the intervals; 1 − ConfidenceLevel is the
	// false-failure rate the judgment allows. Default 0.98 (Kayenta's).
	ConfidenceLevel float64 `json:"confidence_level,omitempty"`
	// Tolerance is the change a metric may show before it fails, as a
	// fraction of the baseline: ±Tolerance × |baseline median| for
	// continuous metrics, a rate ratio within 1 ± Tolerance for counts and
	// ratios. Default 0.25 (Kayenta's).
	Tolerance *float64 `json:"tolerance,omitempty"`
	// Thresholds on the score, 0–100. Default pass 95, marginal 75.
	Thresholds Thresholds `json:"thresholds"`
	// MinPower is the power a passing metric's test must have had to detect
	// a change of the tolerance; below it the judgment is inconclusive, not
	// a pass. Default 0.8; 0 turns the check off.
	MinPower *float64 `json:"min_power,omitempty"`
	// MultipleComparisons is how the metrics' p-values are adjusted for
	// being tested together: "holm" (default; family-wise error rate),
	// "bh" (Benjamini–Hochberg; false discovery rate) or "none" (Kayenta).
	MultipleComparisons Adjustment `json:"multiple_comparisons,omitempty"`
	// GroupWeights weighs each group's score in the total. Empty: all
	// groups weigh the same. Otherwise every group in use needs a weight.
	GroupWeights map[string]float64 `json:"group_weights,omitempty"`
}

// Thresholds are the score thresholds of Kayenta's classifier.
type Thresholds struct {
	Pass     *float64 `json:"pass,omitempty"`
	Marginal *float64 `json:"marginal,omitempty"`
}

// Sequential places a judgment in a plan of TotalLooks equally spaced
// looks, each over all the data collected so far.
type Sequential struct {
	Look       int `json:"look"`
	TotalLooks int `json:"total_looks"`
}

// Metric is one metric's samples and how to judge them.
type Metric struct {
	Name string `json:"name"`
	// Kind: "continuous" (default; latencies, CPU — the rank-sum test),
	// "count" (events per interval, e.g. errors per minute) or "ratio"
	// (events out of an exposure per interval, e.g. errors out of requests).
	Kind Kind `json:"kind,omitempty"`
	// Baseline and Canary are the samples, one per interval; null marks a
	// missing point. For kinds count and ratio they are event counts.
	Baseline Series `json:"baseline"`
	Canary   Series `json:"canary"`
	// BaselineExposure and CanaryExposure give, per interval, the exposure
	// the counts are out of: required for kind ratio (e.g. requests),
	// optional for kind count (default: one per interval).
	BaselineExposure Series `json:"baseline_exposure,omitempty"`
	CanaryExposure   Series `json:"canary_exposure,omitempty"`
	// Direction is the change that counts as a failure: "increase",
	// "decrease" or "either" (default).
	Direction Direction `json:"direction,omitempty"`
	// NaNStrategy for missing points: "remove" (default) or "replace" with 0.
	NaNStrategy NaNStrategy `json:"nan_strategy,omitempty"`
	// Outliers: IQR outlier removal, continuous metrics only.
	Outliers *Outliers `json:"outliers,omitempty"`
	// EffectSize: how large a change must be, besides significant, to fail.
	EffectSize *EffectSize `json:"effect_size,omitempty"`
	// Tolerance overrides Config.Tolerance for this metric.
	Tolerance *float64 `json:"tolerance,omitempty"`
	// MinPower overrides Config.MinPower for this metric; 0 accepts a pass
	// the test could not have told from a tolerance-sized change (for
	// rare errors, a 25% change in rate needs hundreds of events).
	MinPower *float64 `json:"min_power,omitempty"`
	// Critical: a failure of this metric beyond the critical effect size
	// fails the whole judgment, and so does no data for it.
	Critical bool `json:"critical,omitempty"`
	// MustHaveData: no data for this metric fails the whole judgment.
	MustHaveData bool `json:"must_have_data,omitempty"`
	// Muted metrics are judged and reported but affect nothing.
	Muted bool `json:"muted,omitempty"`
	// Group for scoring; default "default".
	Group string `json:"group,omitempty"`
	// Weight within the group; default 1.
	Weight *float64 `json:"weight,omitempty"`
}

// Outliers configures Kayenta's IQR outlier removal.
type Outliers struct {
	// Strategy: "keep" (default) or "remove".
	Strategy OutlierStrategy `json:"strategy,omitempty"`
	// Factor k of the fences [Q1 − k·IQR, Q3 + k·IQR]; default 3.
	Factor *float64 `json:"factor,omitempty"`
}

// EffectSize bounds, in the units of Measure: a change is a failure only if
// the effect reaches the allowed bound, and a failure of a critical metric
// fails the judgment only if the effect reaches the critical bound.
// Defaults are the measure's "no change" value (1 for mean_ratio, 0.5 for
// cles), which leaves the decision to the test, as in Kayenta.
type EffectSize struct {
	// Measure: "mean_ratio" (default; mean canary / mean baseline, or the
	// rate ratio for counts) or "cles" (P(canary > baseline), continuous
	// metrics only).
	Measure          EffectMeasure `json:"measure,omitempty"`
	AllowedIncrease  *float64      `json:"allowed_increase,omitempty"`
	AllowedDecrease  *float64      `json:"allowed_decrease,omitempty"`
	CriticalIncrease *float64      `json:"critical_increase,omitempty"`
	CriticalDecrease *float64      `json:"critical_decrease,omitempty"`
}

// Kind is the kind of a metric's samples.
type Kind string

const (
	KindContinuous Kind = "continuous"
	KindCount      Kind = "count"
	KindRatio      Kind = "ratio"
)

// Direction is the direction of change that fails a metric.
type Direction string

const (
	DirectionIncrease Direction = "increase"
	DirectionDecrease Direction = "decrease"
	DirectionEither   Direction = "either"
)

// NaNStrategy says what happens to missing points.
type NaNStrategy string

const (
	NaNRemove  NaNStrategy = "remove"
	NaNReplace NaNStrategy = "replace"
)

// OutlierStrategy says whether outliers are removed.
type OutlierStrategy string

const (
	OutliersKeep   OutlierStrategy = "keep"
	OutliersRemove OutlierStrategy = "remove"
)

// EffectMeasure names an effect size.
type EffectMeasure string

const (
	MeasureMeanRatio EffectMeasure = "mean_ratio"
	MeasureCLES      EffectMeasure = "cles"
)

// Adjustment names a multiple-comparison adjustment.
type Adjustment string

const (
	AdjustHolm Adjustment = "holm"
	AdjustBH   Adjustment = "bh"
	AdjustNone Adjustment = "none"
)

// Defaults.
const (
	DefaultConfidenceLevel   = 0.98
	DefaultTolerance         = 0.25
	DefaultPassThreshold     = 95.0
	DefaultMarginalThreshold = 75.0
	DefaultMinPower          = 0.8
	DefaultGroup             = "default"
)

// Series is a metric's samples. In JSON it is an array of numbers in which
// null marks a missing point (NaN), the way Kayenta and Prometheus report
// gaps; a NaN is written back as null.
type Series []float64

// UnmarshalJSON decodes an array of numbers and nulls. Numbers beyond the
// float64 range decode to ±Inf, for validation to reject with the field's
// name; anything else that is not a number is an error here.
func (s *Series) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*s = nil
		return nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("samples must be an array of numbers (null for a missing point), got %s", clip(b))
	}
	body := b[1 : len(b)-1]
	out := make(Series, 0, bytes.Count(body, []byte{','})+1)
	for i := 0; ; {
		for i < len(body) && isSpace(body[i]) {
			i++
		}
		if i == len(body) {
			if len(out) > 0 {
				return fmt.Errorf("samples: trailing comma")
			}
			break
		}
		start := i
		for i < len(body) && body[i] != ',' && !isSpace(body[i]) {
			i++
		}
		tok := body[start:i]
		v, err := parseSample(tok)
		if err != nil {
			return fmt.Errorf("samples[%d]: %w", len(out), err)
		}
		out = append(out, v)
		for i < len(body) && isSpace(body[i]) {
			i++
		}
		if i == len(body) {
			break
		}
		if body[i] != ',' {
			return fmt.Errorf("samples[%d]: expected a comma, got %s", len(out), clip(body[i:]))
		}
		i++
	}
	*s = out
	return nil
}

func parseSample(tok []byte) (float64, error) {
	if string(tok) == "null" {
		return math.NaN(), nil
	}
	// Only JSON number characters: strconv alone would also take "Inf",
	// "NaN", hex floats and underscores.
	if len(tok) == 0 || !(tok[0] == '-' || (tok[0] >= '0' && tok[0] <= '9')) {
		return 0, fmt.Errorf("%s is not a number or null", clip(tok))
	}
	for _, c := range tok {
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("%s is not a number or null", clip(tok))
		}
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil && !math.IsInf(v, 0) { // out of range is reported by validation
		return 0, fmt.Errorf("%s is not a number or null", clip(tok))
	}
	return v, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func clip(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

// MarshalJSON writes NaN as null. Infinities cannot be written in JSON and
// make marshalling fail, as for any float64.
func (s Series) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 2+len(s)*8)
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case math.IsNaN(v):
			b = append(b, "null"...)
		case math.IsInf(v, 0):
			return nil, fmt.Errorf("samples[%d]: %v cannot be written as JSON", i, v)
		default:
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return append(b, ']'), nil
}
