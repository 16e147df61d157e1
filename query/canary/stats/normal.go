package stats

import "math"

// normalCDF returns P(Z <= z) for a standard normal Z.
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normalSurvival returns P(Z > z); computed directly so that upper tails keep
// their relative precision instead of cancelling against 1.
func normalSurvival(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// normalQuantile returns the p-quantile of the standard normal distribution,
// or, with upper set, the value exceeded with probability p.
//
// It is Wichura's algorithm AS 241 evaluated in the same order as R's qnorm,
// so that critical values are bit-identical to R's: the R-compatible
// Wilcoxon interval steps a root finder on them, and a one-ulp difference in
// zq can move where that root finder stops.
func normalQuantile(p float64, upper bool) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		if upper {
			return math.Inf(1)
		}
		return math.Inf(-1)
	case p == 1:
		if upper {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	lowerP := p // the lower-tail probability, as R's R_DT_qIv
	if upper {
		lowerP = 0.5 - p + 0.5
	}
	q := lowerP - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - float64(q*q)
		return float64(q*horner(r, as241A[:])) / horner(r, as241B[:])
	}
	// r is the smaller tail probability, taken from p itself where possible
	// (R's R_DT_CIv) so that it does not lose digits to 1 - p.
	var r float64
	switch {
	case q <= 0:
		r = lowerP
	case upper:
		r = p
	default:
		r = 0.5 - p + 0.5
	}
	r = math.Sqrt(-math.Log(r))
	var val float64
	if r <= 5 {
		r += -1.6
		val = horner(r, as241C[:]) / horner(r, as241D[:])
	} else {
		r += -5
		val = horner(r, as241E[:]) / horner(r, as241F[:])
	}
	if q < 0 {
		val = -val
	}
	return val
}

// horner evaluates c[0]*r^(n-1) + ... + c[n-1], highest power first. The
// explicit conversion rounds every product, so no platform fuses it into a
// multiply-add and the result is the same bits R computes.
func horner(r float64, c []float64) float64 {
	v := c[0]
	for _, k := range c[1:] {
		v = float64(v*r) + k
	}
	return v
}

// Coefficients of AS 241 (PPND16), highest power first.
var (
	as241A = [...]float64{2509.0809287301226727, 33430.575583588128105, 67265.770927008700853,
		45921.953931549871457, 13731.693765509461125, 1971.5909503065514427, 133.14166789178437745,
		3.387132872796366608}
	as241B = [...]float64{5226.495278852854561, 28729.085735721942674, 39307.89580009271061,
		21213.794301586595867, 5394.1960214247511077, 687.1870074920579083, 42.313330701600911252, 1.0}
	as241C = [...]float64{7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177,
		1.27045825245236838258, 3.64784832476320460504, 5.7694972214606914055, 4.6303378461565452959,
		1.42343711074968357734}
	as241D = [...]float64{1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966,
		0.14810397642748007459, 0.68976733498510000455, 1.6763848301838038494, 2.05319162663775882187, 1.0}
	as241E = [...]float64{2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386,
		0.026532189526576123093, 0.29656057182850489123, 1.7848265399172913358, 5.4637849111641143699,
		6.6579046435011037772}
	as241F = [...]float64{2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5,
		7.868691311456132591e-4, 0.0148753612908506148525, 0.13692988092273580531, 0.59983220655588793769, 1.0}
)
