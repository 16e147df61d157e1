package stats

import (
	"errors"
	"fmt"
)

// ErrConstantSamples is returned by WilcoxonR when both samples are
// constant, where R's interval search fails ("lower < upper is not
// fulfilled", or "cannot compute confidence interval when all observations
// are tied"). TwoSample.Test handles the case: every difference is the same.
var ErrConstantSamples = errors.New("both samples are constant: R's root finder has no interval to search")

// rTolRoot is wilcox.test's default tol.root.
const rTolRoot = 1e-4

// WilcoxonR reproduces R's
//
//	wilcox.test(canary, baseline, conf.int = TRUE, exact = FALSE,
//	            correct = TRUE, conf.level = confLevel)
//
// number for number (R ≥ 4.0, stats:::wilcox.test.default, two-sample,
// two-sided): the tie-corrected normal approximation with continuity
// correction for the p-value; the interval by inverting that statistic with
// uniroot (Brent, tol 1e-4), recomputing ranks, the tie correction and the
// sign of the continuity correction at every trial shift; and the estimate as
// uniroot's zero of the uncorrected statistic.
//
// It exists so that deploylens can show it agrees with R. The judge uses
// TwoSample.Test, which returns the same p-value and the exact limits that
// R's root finder approaches only to within 1e-4.
func WilcoxonR(canary, baseline []float64, confLevel float64) (RankSumResult, error) {
	if !(confLevel > 0 && confLevel < 1) {
		return RankSumResult{}, fmt.Errorf("confidence level %v must be in (0, 1)", confLevel)
	}
	s, err := NewTwoSample(canary, baseline)
	if err != nil {
		return RankSumResult{}, err
	}
	r := s.test0()
	r.ConfLevel = confLevel
	x, y := s.x, s.y
	mumin := x[0] - y[len(y)-1]
	mumax := x[len(x)-1] - y[0]
	if mumin == mumax {
		return RankSumResult{}, ErrConstantSamples
	}
	// W is R's W(d) inside wilcox.test.default; correct selects the
	// continuity correction, which R switches off for the estimate.
	w := func(d float64, correct bool) float64 {
		z, _ := s.zAt(d, TwoSided, correct)
		return z
	}
	wMin, wMax := w(mumin, true), w(mumax, true)
	root := func(zq float64) float64 {
		fLower := wMin - zq
		if fLower <= 0 {
			return mumin
		}
		fUpper := wMax - zq
		if fUpper >= 0 {
			return mumax
		}
		v, _ := zeroin(mumin, mumax, fLower, fUpper, func(d float64) float64 { return w(d, true) - zq }, rTolRoot, 1000)
		return v
	}
	alpha := 1 - confLevel
	r.Lower = root(normalQuantile(alpha/2, true))
	r.Upper = root(normalQuantile(alpha/2, false))

	fLower, fUpper := w(mumin, false), w(mumax, false)
	if sign(fLower)*sign(fUpper) > 0 {
		return RankSumResult{}, fmt.Errorf("uniroot: f() values at end points not of opposite sign (%v, %v)", fLower, fUpper)
	}
	r.Estimate, _ = zeroin(mumin, mumax, fLower, fUpper, func(d float64) float64 { return w(d, false) }, rTolRoot, 1000)
	return r, nil
}
