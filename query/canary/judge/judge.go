package judge

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/deploylens/deploylens/query/canary/stats"
)

// Judge validates a request and judges it. The error is a ValidationError
// for a bad request and nil otherwise; Judge does no I/O.
func Judge(req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	cfg := &req.Config
	alpha := 1 - cfg.confidenceLevel()
	res := Result{Config: EffectiveConfig{
		ConfidenceLevel:     cfg.confidenceLevel(),
		Tolerance:           cfg.tolerance(),
		PassThreshold:       cfg.passThreshold(),
		MarginalThreshold:   cfg.marginalThreshold(),
		MinPower:            cfg.minPower(),
		MultipleComparisons: cfg.adjustment(),
		GroupWeights:        cfg.GroupWeights,
	}}
	if s := req.Sequential; s != nil {
		b, err := stats.SpendingBoundary(s.Look, s.TotalLooks, alpha)
		if err != nil {
			return Result{}, fmt.Errorf("sequential plan: %w", err)
		}
		alpha = b.NominalAlpha
		res.Look = &LookResult{Look: b.Look, TotalLooks: b.TotalLooks, NominalAlpha: b.NominalAlpha,
			CumulativeAlpha: b.CumulativeAlpha, Z: b.Z}
	}
	res.Config.Alpha = alpha

	ms := measureAll(req.Metrics, cfg, alpha)
	adjusted, familySize := adjustAcrossMetrics(ms, cfg.adjustment())
	// A metric in a family of k is flagged, at best, at level alpha/k under
	// Holm or BH (the smallest p-value's threshold); power is assessed at
	// the level that actually applies.
	familyAlpha := alpha
	if cfg.adjustment() != AdjustNone && familySize > 1 {
		familyAlpha = alpha / float64(familySize)
	}
	res.Metrics = make([]MetricResult, len(ms))
	for i := range ms {
		a := familyAlpha
		if ms[i].metric.Muted {
			a = alpha
		}
		res.Metrics[i] = classify(&ms[i], adjusted[i], alpha, a, cfg)
	}
	res.Groups, res.Score = score(req.Metrics, res.Metrics, cfg)
	res.Verdict, res.Rule, res.Reason = verdict(req.Metrics, res.Metrics, res.Score, cfg)
	if res.Rule == RuleCriticalMetricFailed || res.Rule == RuleRequiredDataMissing || res.Rule == RuleNoData {
		res.Score = 0
	}
	return res, nil
}

// measureAll measures every metric. Metrics are independent and a
// judgment is CPU-bound, so with enough points they are measured on all
// processors at once; a judgment's latency, not its CPU time, is what a
// pipeline waits for.
func measureAll(metrics []Metric, cfg *Config, alpha float64) []measurement {
	ms := make([]measurement, len(metrics))
	points := 0
	for i := range metrics {
		points += len(metrics[i].Baseline) + len(metrics[i].Canary)
	}
	workers := min(runtime.GOMAXPROCS(0), len(metrics))
	if workers < 2 || points < parallelPoints {
		for i := range metrics {
			ms[i] = measure(&metrics[i], cfg, alpha)
		}
		return ms
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(metrics); i = int(next.Add(1) - 1) {
				ms[i] = measure(&metrics[i], cfg, alpha)
			}
		})
	}
	wg.Wait()
	return ms
}

// parallelPoints is the number of points below which a judgment is measured
// on one goroutine: a few hundred microseconds of work do not repay it.
const parallelPoints = 4000

// decisionP is the p-value of the tolerance test in the metric's failing
// direction(s), scaled to match a two-sided interval: NaN when nothing was
// tested.
func (me *measurement) decisionP() float64 {
	if me.noData != "" || me.noEvents {
		return math.NaN()
	}
	switch me.metric.direction() {
	case DirectionIncrease:
		return math.Min(1, 2*me.pHigh)
	case DirectionDecrease:
		return math.Min(1, 2*me.pLow)
	}
	return math.Min(1, 2*math.Min(me.pHigh, me.pLow))
}

// adjustAcrossMetrics adjusts the decision p-values of the unmuted, tested
// metrics as one family; a muted metric keeps its own p-value.
func adjustAcrossMetrics(ms []measurement, how Adjustment) (adjusted []float64, familySize int) {
	adjusted = make([]float64, len(ms))
	var family []int
	var ps []float64
	for i := range ms {
		adjusted[i] = ms[i].decisionP()
		if !math.IsNaN(adjusted[i]) && !ms[i].metric.Muted {
			family = append(family, i)
			ps = append(ps, adjusted[i])
		}
	}
	switch how {
	case AdjustHolm:
		ps = stats.AdjustHolm(ps)
	case AdjustBH:
		ps = stats.AdjustBH(ps)
	}
	for k, i := range family {
		adjusted[i] = ps[k]
	}
	return adjusted, len(family)
}
