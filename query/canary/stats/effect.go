package stats

import "math"

// Mean is the arithmetic mean of v (NaN for an empty v).
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, f := range v {
		s += f
	}
	return s / float64(len(v))
}

// MeanRatio is Kayenta's effect size mean(canary) / mean(baseline). Where
// the baseline mean is 0 it is 1 if the canary mean is 0 too, and ±Inf
// otherwise — not Kayenta's 1.0, which let a canary that went from nothing to
// something look like no change. It is NaN for an empty sample.
func MeanRatio(canary, baseline []float64) float64 {
	mc, mb := Mean(canary), Mean(baseline)
	switch {
	case math.IsNaN(mc) || math.IsNaN(mb):
		return math.NaN()
	case mb == 0 && mc == 0:
		return 1
	case mb == 0:
		return math.Inf(int(sign(mc)))
	}
	return mc / mb
}

// CLES is the common-language effect size of canary over baseline:
// P(canary > baseline) + ½·P(canary = baseline) for a random pair, 0.5 when
// neither tends to be larger. O((n + m) log(n + m)).
func CLES(canary, baseline []float64) float64 {
	if len(canary) == 0 || len(baseline) == 0 {
		return math.NaN()
	}
	return newTwoSampleSorted(SortedCopy(canary), SortedCopy(baseline)).CLES()
}
