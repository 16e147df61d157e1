package judge

import (
	"fmt"
	"math"
)

// classify turns a measurement and its adjusted p-value into the metric's
// classification; doc.go states the rules.
func classify(me *measurement, adjP, alpha, powerAlpha float64, cfg *Config) MetricResult {
	m := me.metric
	r := MetricResult{
		Name: m.Name, Group: m.group(), Kind: m.kind(), Direction: m.direction(),
		Muted: m.Muted, Explanation: me.expl,
	}
	switch {
	case me.noData != "":
		r.Classification, r.Rule, r.Reason = ClassNoData, RuleNoData, me.noData
		return r
	case me.noEvents:
		r.Classification, r.Rule = ClassPass, RuleNoEvents
		r.Reason = "neither canary nor baseline saw an event"
		return r
	}
	r.Explanation.PValue = num(me.decisionP())
	r.Explanation.AdjustedPValue = num(adjP)

	high := me.pHigh <= me.pLow
	switch m.direction() {
	case DirectionIncrease:
		high = true
	case DirectionDecrease:
		high = false
	}
	b := m.effectBounds()
	switch {
	case adjP <= alpha:
		e := me.effect
		// An undefined effect (a ratio of negative means) does not veto a
		// significant change, and counts as critical for a critical metric.
		allowed := math.IsNaN(e) || (high && e >= b.allowedIncrease) || (!high && e <= b.allowedDecrease)
		if !allowed {
			r.Classification, r.Rule = ClassPass, RuleEffectWithinBounds
			r.Reason = fmt.Sprintf("%s, but the %s of %s is within the allowed %s", me.changeText(high), b.measure,
				fmtNum(e), fmtNum(pick(high, b.allowedIncrease, b.allowedDecrease)))
			break
		}
		r.Classification, r.Rule = ClassLow, RuleBelowTolerance
		if high {
			r.Classification, r.Rule = ClassHigh, RuleAboveTolerance
		}
		r.Reason = fmt.Sprintf("%s, beyond the tolerance %s (adjusted p = %s ≤ α = %s)", me.changeText(high), me.bandText(),
			fmtNum(adjP), fmtNum(alpha))
		if m.Critical && !m.Muted && (math.IsNaN(e) || (high && e >= b.criticalIncrease) || (!high && e <= b.criticalDecrease)) {
			r.CriticalFailure = true
			r.Reason += fmt.Sprintf("; critical: the %s of %s reaches the critical %s", b.measure, fmtNum(e),
				fmtNum(pick(high, b.criticalIncrease, b.criticalDecrease)))
		}
	default:
		r.Classification, r.Rule = ClassPass, RuleWithinTolerance
		r.Reason = fmt.Sprintf("the change is within the tolerance %s: %s (adjusted p = %s > α = %s)", me.bandText(),
			me.intervalText(), fmtNum(adjP), fmtNum(alpha))
		if other := me.otherSideP(); !math.IsNaN(other) && other <= alpha {
			r.Rule = RuleAllowedByDirection
			r.Reason = fmt.Sprintf("%s, which direction %q allows", me.changeText(!high), m.direction())
		}
	}
	if me.power != nil {
		p := me.power(powerAlpha)
		r.Explanation.Power = num(p)
		if minPower := m.minPower(cfg); r.Rule == RuleWithinTolerance && minPower > 0 && p < minPower {
			r.Explanation.Underpowered = true
			r.Reason += fmt.Sprintf("; but with %d baseline and %d canary points the test had only %s power to detect a change of the tolerance (min_power %s)",
				me.expl.NBaseline, me.expl.NCanary, fmtNum(p), fmtNum(minPower))
		}
	}
	return r
}

// otherSideP is the unadjusted decision p-value of the direction the
// metric is allowed to move in, or NaN for direction either.
func (me *measurement) otherSideP() float64 {
	switch me.metric.direction() {
	case DirectionIncrease:
		return math.Min(1, 2*me.pLow)
	case DirectionDecrease:
		return math.Min(1, 2*me.pHigh)
	}
	return math.NaN()
}

func (me *measurement) isRate() bool { return me.metric.kind() != KindContinuous }

func (me *measurement) changeText(high bool) string {
	word := "lower"
	if high {
		word = "higher"
	}
	if me.isRate() {
		return fmt.Sprintf("the canary's event rate is %s: %s× the baseline's (%s)", word, fmtNum(me.meanRatio), me.intervalText())
	}
	return fmt.Sprintf("the canary is %s than the baseline by %s (%s)", word, fmtNum(math.Abs(value(me.expl.Estimate))), me.intervalText())
}

func (me *measurement) intervalText() string {
	level := fmtNum(100*me.expl.Interval.Level) + "%"
	if a := 1 - me.expl.Interval.Level; a < 1e-4 { // "100%" would be wrong
		level = "(1 − " + fmtNum(a) + ")"
	}
	if me.isRate() {
		return fmt.Sprintf("%s interval for the rate ratio %s to %s", level, fmtNum(me.intervalLow), fmtNum(me.intervalHigh))
	}
	return fmt.Sprintf("%s interval for the shift %s to %s", level, fmtNum(me.intervalLow), fmtNum(me.intervalHigh))
}

func (me *measurement) bandText() string {
	if me.isRate() {
		return fmt.Sprintf("of a rate ratio between %s and %s", fmtNum(me.bandLow), fmtNum(me.bandHigh))
	}
	return fmt.Sprintf("of ±%s around the baseline median", fmtNum(me.bandHigh))
}

// value is *p, or NaN for nil.
func value(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func pick(high bool, a, b float64) float64 {
	if high {
		return a
	}
	return b
}

func fmtNum(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	return fmt.Sprintf("%.4g", v)
}
