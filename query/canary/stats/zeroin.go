package stats

import "math"

// zeroin finds a root of f in [ax, bx] given fa = f(ax) and fb = f(bx) of
// opposite signs. It is a line-by-line port of R's R_zeroin2
// (src/library/stats/src/zeroin.c, Brent's method as used by uniroot), so
// that WilcoxonR steps through exactly the points R does. Products that C
// rounds separately are rounded explicitly here (float64(…)), which keeps
// Go from fusing them into multiply-adds on platforms that have them.
func zeroin(ax, bx, fa, fb float64, f func(float64) float64, tol float64, maxit int) (root float64, converged bool) {
	const eps = 0x1p-52 // DBL_EPSILON
	a, b := ax, bx
	c, fc := a, fa
	if fa == 0 {
		return a, true
	}
	if fb == 0 {
		return b, true
	}
	for it := maxit + 1; it > 0; it-- {
		prevStep := b - a
		if math.Abs(fc) < math.Abs(fb) { // make b the best approximation
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tolAct := float64(2*eps*math.Abs(b)) + tol/2
		newStep := (c - b) / 2
		if math.Abs(newStep) <= tolAct || fb == 0 {
			return b, true
		}
		// Try interpolation if the previous step was large enough and in
		// the right direction.
		if math.Abs(prevStep) >= tolAct && math.Abs(fa) > math.Abs(fb) {
			var p, q float64
			cb := c - b
			if a == c { // two distinct points: linear interpolation
				t1 := fb / fa
				p = cb * t1
				q = 1.0 - t1
			} else { // inverse quadratic interpolation
				q = fa / fc
				t1 := fb / fc
				t2 := fb / fa
				p = t2 * (float64(float64(cb*q)*(q-t1)) - float64((b-a)*(t1-1.0)))
				q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
			}
			if p > 0 {
				q = -q
			} else {
				p = -p
			}
			if p < float64(0.75*cb*q)-math.Abs(tolAct*q)/2 && p < math.Abs(prevStep*q/2) {
				newStep = p / q
			}
		}
		if math.Abs(newStep) < tolAct {
			if newStep > 0 {
				newStep = tolAct
			} else {
				newStep = -tolAct
			}
		}
		a, fa = b, fb
		b += newStep
		fb = f(b)
		if (fb > 0 && fc > 0) || (fb < 0 && fc < 0) {
			c, fc = a, fa
		}
	}
	return b, false
}
