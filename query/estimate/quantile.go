package estimate

import "math"

// Quantile returns the p-quantile of an ascending sample as R's
// quantile(x, p, type = 7) computes it: with h = (n-1)p, the order statistics
// x[⌊h⌋] and x[⌊h⌋+1] (0-based) weighted (1-g) and g, g = h - ⌊h⌋. It is NaN
// for an empty sample or p outside [0, 1].
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	h := float64(n-1) * p
	j := int(math.Floor(h))
	if j >= n-1 {
		return sorted[n-1]
	}
	return interpolate(sorted[j], sorted[j+1], h-float64(j))
}

// interpolate is R's (1-g)*lo + g*hi, which it applies only when the two
// order statistics differ.
func interpolate(lo, hi, g float64) float64 {
	if g == 0 || lo == hi {
		return lo
	}
	return (1-g)*lo + g*hi
}
