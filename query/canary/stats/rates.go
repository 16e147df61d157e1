package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// ErrNoEvents is returned by CompareRates when neither side saw an event:
// the conditional test has nothing to condition on.
var ErrNoEvents = errors.New("no events in either sample")

// RateComparison compares the event rate of the canary with the baseline's:
// events per unit of exposure (per interval for counts, per request for
// error ratios).
type RateComparison struct {
	CanaryEvents, CanaryExposure     float64
	BaselineEvents, BaselineExposure float64
	// RateRatio is (canary events / canary exposure) / (baseline events /
	// baseline exposure): +Inf when only the canary saw events.
	RateRatio float64
	// Lower and Upper bound the rate ratio at ConfLevel; Upper is +Inf when
	// the baseline saw no events.
	Lower, Upper float64
	// PValue is the two-sided p-value of "equal rates".
	PValue    float64
	ConfLevel float64
}

// CompareRates is the exact conditional test for two Poisson rates, R's
// poisson.test(c(canaryEvents, baselineEvents), c(canaryExposure,
// baselineExposure), conf.level = confLevel): given the total of events, the
// canary's share is binomial with probability r·tc / (r·tc + tb) under rate
// ratio r, so the p-value is binom.test's and the interval is the
// Clopper–Pearson interval for that share mapped back to a ratio. Unlike a
// normal approximation it stays valid with zero or a handful of events —
// which is exactly where a canary's new errors first show up.
//
// For error ratios (errors out of requests) the binomial counts are treated
// as Poisson, which is close for rare errors and conservative otherwise: the
// exact conditional law is hypergeometric, whose variance is smaller.
func CompareRates(canaryEvents, canaryExposure, baselineEvents, baselineExposure, confLevel float64) (RateComparison, error) {
	if !(confLevel > 0 && confLevel < 1) {
		return RateComparison{}, fmt.Errorf("confidence level %v must be in (0, 1)", confLevel)
	}
	if err := checkRates(canaryEvents, canaryExposure, baselineEvents, baselineExposure); err != nil {
		return RateComparison{}, err
	}
	x, n := canaryEvents, canaryEvents+baselineEvents
	if n == 0 {
		return RateComparison{}, ErrNoEvents
	}
	rc := RateComparison{
		CanaryEvents: canaryEvents, CanaryExposure: canaryExposure,
		BaselineEvents: baselineEvents, BaselineExposure: baselineExposure,
		RateRatio: (canaryEvents / canaryExposure) / (baselineEvents / baselineExposure),
		ConfLevel: confLevel,
	}
	rc.PValue = binomTwoSided(x, n, shareUnderRatio(1, canaryExposure, baselineExposure))
	alpha := (1 - confLevel) / 2
	pl, pu := 0.0, 1.0
	if x > 0 {
		pl = mathext.InvRegIncBeta(x, n-x+1, alpha)
	}
	if x < n {
		pu = mathext.InvRegIncBeta(x+1, n-x, 1-alpha)
	}
	toRatio := func(pp float64) float64 { return pp / (1 - pp) * baselineExposure / canaryExposure }
	rc.Lower, rc.Upper = toRatio(pl), toRatio(pu)
	return rc, nil
}

// RateRatioPValue is the exact one- or two-sided p-value for "the canary's
// rate is ratio × the baseline's", R's poisson.test(c(ce, be), c(ct, bt),
// r = ratio, alternative = alt)$p.value. It is 1 when neither side saw an
// event.
func RateRatioPValue(canaryEvents, canaryExposure, baselineEvents, baselineExposure, ratio float64, alt Alternative) float64 {
	if checkRates(canaryEvents, canaryExposure, baselineEvents, baselineExposure) != nil || !(ratio >= 0) {
		return math.NaN()
	}
	x, n := canaryEvents, canaryEvents+baselineEvents
	if n == 0 {
		return 1
	}
	p := shareUnderRatio(ratio, canaryExposure, baselineExposure)
	switch alt {
	case Greater:
		return binomUpper(x, n, p)
	case Less:
		return binomLower(x, n, p)
	}
	return binomTwoSided(x, n, p)
}

func checkRates(ce, ct, be, bt float64) error {
	for _, v := range [...]struct {
		name   string
		events float64
	}{{"canary events", ce}, {"baseline events", be}} {
		if !(v.events >= 0) || math.IsInf(v.events, 0) || v.events != math.Round(v.events) {
			return fmt.Errorf("%s = %v: must be a non-negative whole number", v.name, v.events)
		}
	}
	if !(ct > 0) || !(bt > 0) || math.IsInf(ct, 0) || math.IsInf(bt, 0) {
		return fmt.Errorf("exposures (%v, %v) must be positive and finite", ct, bt)
	}
	return nil
}

// shareUnderRatio is the canary's expected share of all events when its rate
// is ratio × the baseline's: r·tc / (r·tc + tb).
func shareUnderRatio(ratio, tc, tb float64) float64 {
	return 1 / (1 + tb/(ratio*tc)) // this form stays in [0, 1] when ratio·tc overflows or is 0
}

// binomUpper is P(X ≥ x) for X ~ Binomial(n, p).
func binomUpper(x, n, p float64) float64 {
	if x <= 0 {
		return 1
	}
	if x > n {
		return 0
	}
	return mathext.RegIncBeta(x, n-x+1, p)
}

// binomLower is P(X ≤ x) for X ~ Binomial(n, p).
func binomLower(x, n, p float64) float64 {
	if x >= n {
		return 1
	}
	if x < 0 {
		return 0
	}
	return mathext.RegIncBeta(n-x, x+1, 1-p)
}

// binomTwoSided is binom.test's two-sided p-value: the probability of every
// outcome no more likely than the one observed (with R's relative slack of
// 1e-7). The pmf is unimodal with its mode between floor(np) and ceil(np), so
// the outcomes on the far side are found by bisection rather than by R's
// loop over all of them.
func binomTwoSided(x, n, p float64) float64 {
	switch {
	case p == 0:
		return b2f(x == 0)
	case p == 1:
		return b2f(x == n)
	}
	const relErr = 1 + 1e-7
	d := dbinom(x, n, p) * relErr
	m := n * p
	var pv float64
	switch {
	case x == m:
		return 1
	case x < m:
		// Outcomes ceil(m)..n have a non-increasing pmf: count those ≤ d.
		lo := int(math.Ceil(m))
		first := lo + sort.Search(int(n)-lo+1, func(i int) bool { return dbinom(float64(lo+i), n, p) <= d })
		y := float64(int(n) - first + 1)
		pv = binomLower(x, n, p) + binomUpper(n-y+1, n, p)
	default:
		// Outcomes 0..floor(m) have a non-decreasing pmf.
		hi := int(math.Floor(m))
		y := float64(sort.Search(hi+1, func(i int) bool { return dbinom(float64(i), n, p) > d }))
		pv = binomLower(y-1, n, p) + binomUpper(x, n, p)
	}
	return math.Min(1, pv)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// dbinom is the binomial pmf by Loader's saddle-point method (R's
// dbinom_raw), accurate to a few ulps even for millions of trials, where
// differences of log-gamma values lose digits.
func dbinom(x, n, p float64) float64 {
	q := 1 - p
	switch {
	case x < 0 || x > n:
		return 0
	case x == 0:
		if n == 0 {
			return 1
		}
		if p < 0.1 {
			return math.Exp(-bd0(n, n*q) - n*p)
		}
		return math.Exp(n * math.Log(q))
	case x == n:
		if q < 0.1 {
			return math.Exp(-bd0(n, n*p) - n*q)
		}
		return math.Exp(n * math.Log(p))
	}
	lc := stirlerr(n) - stirlerr(x) - stirlerr(n-x) - bd0(x, n*p) - bd0(n-x, n*q)
	lf := math.Log(2*math.Pi) + math.Log(x) + math.Log1p(-x/n)
	return math.Exp(lc - 0.5*lf)
}

// stirlerr(n) = log(n!) − log(√(2πn)·(n/e)ⁿ).
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - 0.5*math.Log(2*math.Pi)
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	}
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0(x, np) = x·log(x/np) + np − x, computed without cancellation when x is
// close to np.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		if math.Abs(s) < math.SmallestNonzeroFloat64 {
			return s
		}
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
	}
	return x*math.Log(x/np) + np - x
}

// RatePower approximates the power of the level-alpha two-sided conditional
// test of equal rates to detect a canary rate ratio × the baseline's, given
// that totalEvents events were seen: the canary's share of them is
// binomial, and power is its normal approximation
//
//	Φ((|π₁ − π₀|·√K − z₁₋α/₂·√(π₀(1 − π₀))) / √(π₁(1 − π₁)))
//
// with π₀ the share under equal rates and π₁ under the ratio. With no events
// there is nothing to detect with, and the power is 0.
func RatePower(totalEvents, canaryExposure, baselineExposure, ratio, alpha float64) float64 {
	if !(totalEvents > 0) || !(canaryExposure > 0) || !(baselineExposure > 0) || !(ratio >= 0) {
		return 0
	}
	p0 := shareUnderRatio(1, canaryExposure, baselineExposure)
	p1 := shareUnderRatio(ratio, canaryExposure, baselineExposure)
	z := normalQuantile(alpha/2, true)
	num := math.Abs(p1-p0)*math.Sqrt(totalEvents) - z*math.Sqrt(p0*(1-p0))
	den := math.Sqrt(p1 * (1 - p1))
	if den == 0 {
		return b2f(num > 0)
	}
	return normalCDF(num / den)
}
