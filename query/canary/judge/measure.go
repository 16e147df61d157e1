package judge

import (
	"fmt"
	"math"

	"github.com/deploylens/deploylens/query/canary/stats"
)

// measurement is what the statistics say about one metric, before the
// multiple-comparison adjustment turns it into a classification.
type measurement struct {
	metric *Metric
	expl   Explanation

	noData       string // why there is nothing to judge, if so
	noEvents     bool   // count/ratio with no events on either side
	pHigh, pLow  float64
	effect       float64 // the effect-size measure's value
	meanRatio    float64
	intervalLow  float64 // interval for the change, for the reason text
	intervalHigh float64
	bandLow      float64
	bandHigh     float64

	// power computes the power at a given alpha once the family size is
	// known; nil when power is not assessed.
	power func(alpha float64) float64
}

// measure applies a metric's preprocessing and runs its tests at
// confidence level 1 − alpha.
func measure(m *Metric, cfg *Config, alpha float64) measurement {
	me := measurement{metric: m, pHigh: 1, pLow: 1, effect: math.NaN(), meanRatio: math.NaN()}
	switch m.kind() {
	case KindCount, KindRatio:
		me.measureCounts(m, cfg, alpha)
	default:
		me.measureContinuous(m, cfg, alpha)
	}
	return me
}

func (me *measurement) measureContinuous(m *Metric, cfg *Config, alpha float64) {
	baseline, nanB := stats.CleanNaN(m.Baseline, m.nanStrategy())
	canary, nanC := stats.CleanNaN(m.Canary, m.nanStrategy())
	dropB, dropC := nanB, nanC
	if m.nanStrategy() == stats.NaNReplaceZero {
		dropB, dropC = 0, 0
	}
	if k, ok := m.removeOutliers(); ok {
		nb, nc := len(baseline), len(canary)
		baseline, canary = stats.RemoveOutliers(baseline, k), stats.RemoveOutliers(canary, k)
		dropB += nb - len(baseline)
		dropC += nc - len(canary)
	}
	me.expl.NBaseline, me.expl.NCanary = len(baseline), len(canary)
	me.expl.DroppedBaseline, me.expl.DroppedCanary = dropB, dropC
	if me.noData = missing(len(baseline), len(canary), dropB, dropC); me.noData != "" {
		return
	}
	// canary and baseline are this function's own copies; the test sorts
	// them in place, which the means below do not mind.
	ts, err := stats.NewTwoSampleOwned(canary, baseline)
	if err != nil { // validation admits only finite points
		me.noData = err.Error()
		return
	}
	level := confidence(alpha)
	res, err := ts.Test(level)
	if err != nil {
		me.noData = err.Error()
		return
	}
	tol := m.tolerance(cfg)
	loc := ts.BaselineQuantile(0.5)
	band := tol * math.Abs(loc)
	me.pHigh = ts.ShiftPValue(band, stats.Greater)
	me.pLow = ts.ShiftPValue(-band, stats.Less)
	me.intervalLow, me.intervalHigh = res.Lower, res.Upper
	me.bandLow, me.bandHigh = -band, band

	me.meanRatio = stats.MeanRatio(canary, baseline)
	if stats.Mean(baseline) < 0 {
		me.meanRatio = math.NaN() // a ratio of negative means says nothing about direction
	}
	cles := res.W / float64(res.NCanary*res.NBaseline)
	me.effect = me.meanRatio
	if m.effectBounds().measure == MeasureCLES {
		me.effect = cles
	}

	me.expl.Estimate = num(res.Estimate)
	me.expl.Interval = Interval{Lower: num(res.Lower), Upper: num(res.Upper), Level: level}
	me.expl.ToleranceBand = Interval{Lower: num(-band), Upper: num(band)}
	me.expl.BaselineLocation = num(loc)
	me.expl.MeanRatio = num(me.meanRatio)
	me.expl.CLES = num(cles)

	// The change to detect: the band, or where the baseline median is 0 a
	// tolerance of the baseline's mean magnitude, so that a metric sitting
	// at zero still gets a scale.
	shift := band
	if shift == 0 {
		shift = tol * meanAbs(baseline)
	}
	if shift > 0 {
		me.power = func(a float64) float64 { return ts.Power(shift, a) }
	}
}

func (me *measurement) measureCounts(m *Metric, cfg *Config, alpha float64) {
	ce, ct, nc, dropC := sumCounts(m.Canary, m.CanaryExposure, m.nanStrategy())
	be, bt, nb, dropB := sumCounts(m.Baseline, m.BaselineExposure, m.nanStrategy())
	me.expl.NBaseline, me.expl.NCanary = nb, nc
	me.expl.DroppedBaseline, me.expl.DroppedCanary = dropB, dropC
	if me.noData = missing(nb, nc, dropB, dropC); me.noData != "" {
		return
	}
	switch {
	case bt == 0:
		me.noData = "the baseline's exposure is 0"
		return
	case ct == 0:
		me.noData = "the canary's exposure is 0"
		return
	}
	me.expl.CanaryEvents, me.expl.BaselineEvents = num(ce), num(be)
	me.expl.CanaryExposure, me.expl.BaselineExposure = num(ct), num(bt)
	me.expl.BaselineLocation = num(be / bt)
	tol := m.tolerance(cfg)
	up, down := 1+tol, math.Max(0, 1-tol)
	me.expl.ToleranceBand = Interval{Lower: num(down), Upper: num(up)}
	me.bandLow, me.bandHigh = down, up
	if ce == 0 && be == 0 {
		me.noEvents = true
		return
	}
	level := confidence(alpha)
	rc, err := stats.CompareRates(ce, ct, be, bt, level)
	if err != nil {
		me.noData = err.Error()
		return
	}
	me.pHigh = stats.RateRatioPValue(ce, ct, be, bt, up, stats.Greater)
	if down > 0 {
		me.pLow = stats.RateRatioPValue(ce, ct, be, bt, down, stats.Less)
	}
	me.intervalLow, me.intervalHigh = rc.Lower, rc.Upper
	me.meanRatio, me.effect = rc.RateRatio, rc.RateRatio
	me.expl.Estimate = num(rc.RateRatio)
	me.expl.Interval = Interval{Lower: num(rc.Lower), Upper: num(rc.Upper), Level: level}
	me.expl.MeanRatio = num(rc.RateRatio)

	dir := m.direction()
	total := ce + be
	me.power = func(a float64) float64 {
		p := 1.0
		if dir != DirectionDecrease {
			p = stats.RatePower(total, ct, bt, up, a)
		}
		if dir != DirectionIncrease && down > 0 {
			p = math.Min(p, stats.RatePower(total, ct, bt, down, a))
		}
		return p
	}
}

// confidence is the interval level for a test at alpha. The first looks of
// a long sequential plan run at an alpha (1e-80) that 1 − alpha rounds
// away; their interval is then the widest one below level 1.
func confidence(alpha float64) float64 {
	return math.Min(1-alpha, math.Nextafter(1, 0))
}

// sumCounts totals a count series and its exposure (one per interval when
// absent), dropping intervals whose count (under NaN strategy remove) or
// exposure is missing. It returns events, exposure, intervals kept and
// intervals dropped.
func sumCounts(counts, exposure Series, strategy stats.NaNStrategy) (events, exp float64, kept, dropped int) {
	for i, c := range counts {
		e := 1.0
		if exposure != nil {
			e = exposure[i]
		}
		if math.IsNaN(e) || (math.IsNaN(c) && strategy == stats.NaNRemove) {
			dropped++
			continue
		}
		if math.IsNaN(c) {
			c = 0
		}
		events += c
		exp += e
		kept++
	}
	return events, exp, kept, dropped
}

// missing says why a metric has nothing to judge, or "".
func missing(nb, nc, dropB, dropC int) string {
	side := func(name string, dropped int) string {
		if dropped > 0 {
			return fmt.Sprintf("the %s has no points left after dropping %d missing or outlying ones", name, dropped)
		}
		return fmt.Sprintf("the %s has no points", name)
	}
	switch {
	case nb == 0 && nc == 0:
		return "neither baseline nor canary has points"
	case nb == 0:
		return side("baseline", dropB)
	case nc == 0:
		return side("canary", dropC)
	}
	return ""
}

func meanAbs(v []float64) float64 {
	var s float64
	for _, f := range v {
		s += math.Abs(f)
	}
	return s / float64(len(v))
}
