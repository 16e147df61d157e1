package dora

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/estimate"
)

// Steps of a series.
const (
	StepDay   = "day"
	StepWeek  = "week"
	StepMonth = "month"
)

// BaselineSteps is how many steps before each step it is compared with.
const BaselineSteps = 8

// SignificanceLevel below which a step is flagged as a shift.
const SignificanceLevel = 0.05

// Series is the answer of GET /api/v1/dora/series.
type Series struct {
	Scope ScopeInfo `json:"scope"`
	Step  string    `json:"step"`
	// Points are whole calendar steps (UTC days, ISO weeks from Monday,
	// months), from the one holding scope.From to the one holding scope.To;
	// the last may be cut at To.
	Points      []Point     `json:"points"`
	Shifts      ShiftMethod `json:"shifts"`
	DataQuality DataQuality `json:"data_quality"`
	Method      Method      `json:"method"`
}

// Point is one step.
type Point struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Metrics
}

// ShiftMethod describes how a step is compared with the steps before it.
type ShiftMethod struct {
	BaselineSteps     int               `json:"baseline_steps"`
	SignificanceLevel float64           `json:"significance_level"`
	Tests             map[string]string `json:"tests"`
}

// Shift says whether one step differs from the pooled previous
// BaselineSteps steps.
type Shift struct {
	Test        string   `json:"test"`
	PValue      *float64 `json:"p_value"`
	Significant bool     `json:"significant"`
	// Direction of the step against the baseline: "up" or "down".
	Direction string `json:"direction,omitempty"`
	// Reason a step was not tested.
	Reason string `json:"reason,omitempty"`
}

var shiftTests = map[string]string{
	"deployment_frequency": "exact binomial test of the step's share of successful deployments against its share of the days (a comparison of two Poisson rates)",
	"lead_time":            "Wilcoxon rank-sum (Mann-Whitney) test of the step's lead times against the baseline's, as R's wilcox.test: exact below 50 per side without ties, else normal with tie and continuity corrections",
	"change_failure_rate":  "Fisher's exact test of failed/not failed deployments, step against baseline",
	"recovery_time":        "Wilcoxon rank-sum (Mann-Whitney) test of the step's recovery times against the baseline's",
	"rework_rate":          "Fisher's exact test of unplanned/planned deployments, step against baseline",
}

// BucketStart returns the start of the step holding t.
func BucketStart(step string, t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch step {
	case StepWeek:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case StepMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// NextStep returns the start of the step after the one starting at t.
func NextStep(step string, t time.Time) time.Time {
	switch step {
	case StepWeek:
		return t.AddDate(0, 0, 7)
	case StepMonth:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// StepsBetween counts the steps of a series over [from, to).
func StepsBetween(step string, from, to time.Time) int {
	n := 0
	for t := BucketStart(step, from); t.Before(to); t = NextStep(step, t) {
		n++
	}
	return n
}

// Series computes the metrics per step, each step tested against the
// BaselineSteps before it.
func (c *Calculator) Series(ctx context.Context, scope delivery.Scope, step string) (Series, error) {
	switch step {
	case StepDay, StepWeek, StepMonth:
	default:
		return Series{}, fmt.Errorf("step %q is not day, week or month", step)
	}
	first := BucketStart(step, scope.From)
	var starts []time.Time
	for t := first; t.Before(scope.To); t = NextStep(step, t) {
		starts = append(starts, t)
	}
	baseline := first
	for range BaselineSteps {
		baseline = previousStep(step, baseline)
	}
	all := append(stepRange(step, baseline, first), starts...)
	q := scope
	q.From = baseline
	buckets, err := c.buckets(ctx, q, step)
	if err != nil {
		return Series{}, err
	}
	s := Series{
		Scope:  scopeInfo(scope),
		Step:   step,
		Points: []Point{},
		Shifts: ShiftMethod{BaselineSteps: BaselineSteps, SignificanceLevel: SignificanceLevel, Tests: shiftTests},
		Method: c.method(),
	}
	bs := make([]*bucket, len(all))
	for i, t := range all {
		bs[i] = buckets[t.UnixNano()]
		if bs[i] == nil {
			bs[i] = &bucket{daily: map[int64]int{}}
		}
	}
	for i := BaselineSteps; i < len(all); i++ {
		start := all[i]
		end := NextStep(step, start)
		if end.After(scope.To) {
			end = scope.To
		}
		p := Point{Start: start, End: end, Metrics: c.metrics(bs[i], start, end, start.Format(time.RFC3339))}
		c.shifts(&p.Metrics, bs[i], bs[i-BaselineSteps:i], start, end, all[i-BaselineSteps:i], step)
		s.Points = append(s.Points, p)
		s.DataQuality.merge(bs[i].quality)
	}
	s.DataQuality.finish()
	return s, nil
}

func previousStep(step string, t time.Time) time.Time {
	switch step {
	case StepWeek:
		return t.AddDate(0, 0, -7)
	case StepMonth:
		return t.AddDate(0, -1, 0)
	}
	return t.AddDate(0, 0, -1)
}

func stepRange(step string, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); t = NextStep(step, t) {
		out = append(out, t)
	}
	return out
}

// shifts tests one step against its baseline steps.
func (c *Calculator) shifts(m *Metrics, cur *bucket, base []*bucket, start, end time.Time, baseStarts []time.Time, step string) {
	var (
		baseSuccessful, baseDeployments, baseFailures, baseUnplanned int
		baseDays                                                     float64
		baseLead, baseRecovery                                       []float64
	)
	for i, b := range base {
		baseSuccessful += b.successful
		baseDeployments += b.deployments
		baseFailures += b.failures
		baseUnplanned += b.unplanned
		baseDays += NextStep(step, baseStarts[i]).Sub(baseStarts[i]).Hours() / 24
		baseLead = append(baseLead, b.leadSeconds...)
		baseRecovery = append(baseRecovery, b.recoverySeconds...)
	}
	days := end.Sub(start).Hours() / 24
	m.DeploymentFrequency.Shift = rateShift(cur.successful, days, baseSuccessful, baseDays)
	m.LeadTime.Shift = rankShift(cur.leadSeconds, baseLead)
	m.RecoveryTime.Shift = rankShift(cur.recoverySeconds, baseRecovery)
	m.ChangeFailureRate.Shift = proportionShift(cur.failures, cur.deployments, baseFailures, baseDeployments)
	m.ReworkRate.Shift = proportionShift(cur.unplanned, cur.deployments, baseUnplanned, baseDeployments)
}

func decide(test string, p float64, up bool) *Shift {
	s := &Shift{Test: test, PValue: &p, Significant: p < SignificanceLevel}
	if s.Significant {
		s.Direction = "down"
		if up {
			s.Direction = "up"
		}
	}
	return s
}

func rateShift(k int, days float64, baseK int, baseDays float64) *Shift {
	const test = "exact_binomial_rate"
	if k+baseK == 0 {
		return &Shift{Test: test, Reason: "no successful deployments in the step or its baseline"}
	}
	p := estimate.BinomialPValue(k, k+baseK, days/(days+baseDays))
	return decide(test, p, float64(k)/days > float64(baseK)/baseDays)
}

func rankShift(cur, base []float64) *Shift {
	const test = "wilcoxon_rank_sum"
	if len(cur) < minSamples || len(base) < minSamples {
		return &Shift{Test: test, Reason: fmt.Sprintf("needs %d values in the step and in its baseline (has %d and %d)", minSamples, len(cur), len(base))}
	}
	p := estimate.RankSumPValue(cur, base)
	sorted := slices.Clone(base)
	slices.Sort(sorted)
	return decide(test, p, estimate.Quantile(cur, 0.5) > estimate.Quantile(sorted, 0.5))
}

func proportionShift(k, n, baseK, baseN int) *Shift {
	const test = "fisher_exact"
	if n < minSamples || baseN < minSamples {
		return &Shift{Test: test, Reason: fmt.Sprintf("needs %d deployments in the step and in its baseline (has %d and %d)", minSamples, n, baseN)}
	}
	p := estimate.FisherPValue(k, n-k, baseK, baseN-baseK)
	if math.IsNaN(p) {
		return &Shift{Test: test, Reason: "no deployments"}
	}
	return decide(test, p, float64(k)/float64(n) > float64(baseK)/float64(baseN))
}
