package judge

import "math"

// Verdict is the outcome of a judgment.
type Verdict string

const (
	VerdictPass         Verdict = "pass"
	VerdictMarginal     Verdict = "marginal"
	VerdictFail         Verdict = "fail"
	VerdictInconclusive Verdict = "inconclusive"
)

// Classification is the outcome for one metric.
type Classification string

const (
	ClassPass   Classification = "pass"
	ClassHigh   Classification = "high"
	ClassLow    Classification = "low"
	ClassNoData Classification = "nodata"
)

// Rules name what decided a metric's classification or the verdict; doc.go
// defines each.
const (
	RuleNoData             = "no_data"
	RuleNoEvents           = "no_events"
	RuleWithinTolerance    = "within_tolerance"
	RuleAllowedByDirection = "allowed_by_direction"
	RuleEffectWithinBounds = "effect_size_within_allowed"
	RuleAboveTolerance     = "above_tolerance"
	RuleBelowTolerance     = "below_tolerance"

	RuleCriticalMetricFailed = "critical_metric_failed"
	RuleRequiredDataMissing  = "required_data_missing"
	RuleScore                = "score"
	RuleUnderpowered         = "underpowered"
)

// Result is a judgment.
type Result struct {
	Verdict Verdict `json:"verdict"`
	// Score is the weighted share of passing metrics, 0–100; 0 when a
	// critical or required metric failed the judgment outright.
	Score float64 `json:"score"`
	// Rule names the rule that decided the verdict, Reason says it in a
	// sentence.
	Rule    string          `json:"rule"`
	Reason  string          `json:"reason"`
	Groups  []GroupResult   `json:"groups"`
	Metrics []MetricResult  `json:"metrics"`
	Config  EffectiveConfig `json:"config"`
	Look    *LookResult     `json:"look,omitempty"`
}

// GroupResult is one group's part of the score.
type GroupResult struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// Score is 100 × the weight of passing metrics over the weight of
	// scored ones; null when the group has no scored metric.
	Score  *float64 `json:"score"`
	Passed int      `json:"passed"`
	Scored int      `json:"scored"`
	NoData int      `json:"nodata"`
	Muted  int      `json:"muted"`
}

// MetricResult is one metric's classification and why.
type MetricResult struct {
	Name           string         `json:"name"`
	Group          string         `json:"group"`
	Kind           Kind           `json:"kind"`
	Direction      Direction      `json:"direction"`
	Classification Classification `json:"classification"`
	Rule           string         `json:"rule"`
	Reason         string         `json:"reason"`
	// CriticalFailure: this metric failed the whole judgment.
	CriticalFailure bool        `json:"critical_failure"`
	Muted           bool        `json:"muted"`
	Explanation     Explanation `json:"explanation"`
}

// Explanation holds the numbers behind a classification. Values that do not
// exist for the metric (or are infinite, as a rate ratio over a baseline
// without events) are null.
type Explanation struct {
	NBaseline int `json:"n_baseline"`
	NCanary   int `json:"n_canary"`
	// Points dropped as missing (NaN strategy remove) or as outliers.
	DroppedBaseline int `json:"dropped_baseline"`
	DroppedCanary   int `json:"dropped_canary"`
	// Estimate of the change: the Hodges–Lehmann shift canary − baseline
	// (continuous) or the rate ratio canary / baseline (count, ratio).
	Estimate *float64 `json:"estimate"`
	// Interval for the change at the judgment's confidence level.
	Interval Interval `json:"interval"`
	// ToleranceBand is the change allowed, in the estimate's units.
	ToleranceBand Interval `json:"tolerance_band"`
	// BaselineLocation is what the band is a fraction of: the baseline
	// median (continuous) or the baseline rate (count, ratio).
	BaselineLocation *float64 `json:"baseline_location"`
	// PValue is the p-value of the tolerance test that decides the metric
	// (doc.go), AdjustedPValue the same after the multiple-comparison
	// adjustment across metrics.
	PValue         *float64 `json:"p_value"`
	AdjustedPValue *float64 `json:"adjusted_p_value"`
	MeanRatio      *float64 `json:"mean_ratio"`
	CLES           *float64 `json:"cles"`
	// Power to detect a change of the tolerance, and whether it fell short
	// of config.min_power; null when not assessed.
	Power        *float64 `json:"power"`
	Underpowered bool     `json:"underpowered"`
	// Counts, for kinds count and ratio.
	CanaryEvents     *float64 `json:"canary_events,omitempty"`
	BaselineEvents   *float64 `json:"baseline_events,omitempty"`
	CanaryExposure   *float64 `json:"canary_exposure,omitempty"`
	BaselineExposure *float64 `json:"baseline_exposure,omitempty"`
}

// Interval is a closed interval; a null bound is unbounded.
type Interval struct {
	Lower *float64 `json:"lower"`
	Upper *float64 `json:"upper"`
	// Level is the confidence level, for confidence intervals.
	Level float64 `json:"level,omitempty"`
}

// EffectiveConfig is the configuration a judgment ran with, defaults
// applied.
type EffectiveConfig struct {
	ConfidenceLevel     float64            `json:"confidence_level"`
	Tolerance           float64            `json:"tolerance"`
	PassThreshold       float64            `json:"pass_threshold"`
	MarginalThreshold   float64            `json:"marginal_threshold"`
	MinPower            float64            `json:"min_power"`
	MultipleComparisons Adjustment         `json:"multiple_comparisons"`
	GroupWeights        map[string]float64 `json:"group_weights,omitempty"`
	// Alpha is the false-failure rate the tests ran at: 1 −
	// confidence_level, or the look's nominal level in a sequential plan.
	Alpha float64 `json:"alpha"`
}

// LookResult is the sequential plan's boundary at this look.
type LookResult struct {
	Look            int     `json:"look"`
	TotalLooks      int     `json:"total_looks"`
	NominalAlpha    float64 `json:"nominal_alpha"`
	CumulativeAlpha float64 `json:"cumulative_alpha"`
	Z               float64 `json:"z"`
}

// num makes a JSON-safe pointer: nil for NaN and infinities.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
