package stats

import (
	"fmt"
	"math"
	"sync"
)

// Boundary is the critical value of one look of a group-sequential plan:
// the judgment at that look fails a metric only if its statistic crosses Z
// (equivalently, if its p-value is below NominalAlpha).
type Boundary struct {
	Look, TotalLooks int
	// InformationFraction is Look / TotalLooks: looks are equally spaced.
	InformationFraction float64
	// CumulativeAlpha is the false-failure probability spent by the end of
	// this look; IncrementalAlpha is the part spent at this look.
	CumulativeAlpha  float64
	IncrementalAlpha float64
	// Z is the two-sided critical value: reject when |Z_look| ≥ Z.
	Z float64
	// NominalAlpha = 2·(1 − Φ(Z)) is the significance level to run this
	// look's test at.
	NominalAlpha float64
}

// MaxLooks bounds the number of planned looks SpendingBoundary accepts.
const MaxLooks = 50

// OBrienFlemingSpent is the alpha a two-sided test of overall size alpha has
// spent by information fraction t under the Lan–DeMets O'Brien–Fleming-type
// spending function, α/2 per direction:
//
//	α(t) = 2 · 2(1 − Φ(z₁₋α/₄ / √t)),
//
// which is gsDesign's sfLDOF and rpact's typeOfDesign = "asOF" with
// sided = 2. It spends almost nothing early (1e-6 of 0.05 at the first of
// five looks) and nearly all of alpha at the end, so the last look runs at
// close to the fixed-sample level.
func OBrienFlemingSpent(t, alpha float64) float64 {
	switch {
	case t <= 0:
		return 0
	case t >= 1:
		return alpha
	}
	return 4 * normalSurvival(normalQuantile(alpha/4, true)/math.Sqrt(t))
}

// SpendingBoundary returns the boundary for one look of totalLooks equally
// spaced looks at the accumulating data, such that the probability of a
// false failure at any look, when canary and baseline do not differ, is
// alpha.
//
// Testing each look at its increment of alpha would be conservative: the
// looks share data, so their statistics are correlated. Each boundary is
// solved against the joint law of the sequence — Brownian motion observed
// at t = k/K — by numerical integration of the continuation density
// (Armitage, McPherson & Rowe's recursion; Jennison & Turnbull, ch. 19;
// composite Simpson, 16 points per increment's standard deviation). The
// boundaries agree with rpact to about 1e-8, except at looks that spend
// almost nothing, where rpact's own integration is the less accurate one
// (see testdata/reference.R). The rank-sum statistics of cumulative samples
// have this joint law asymptotically. A plan of 20 looks takes a few
// milliseconds to solve and is then memoised.
func SpendingBoundary(look, totalLooks int, alpha float64) (Boundary, error) {
	switch {
	case totalLooks < 1 || totalLooks > MaxLooks:
		return Boundary{}, fmt.Errorf("total looks %d must be between 1 and %d", totalLooks, MaxLooks)
	case look < 1 || look > totalLooks:
		return Boundary{}, fmt.Errorf("look %d must be between 1 and the total of %d looks", look, totalLooks)
	case !(alpha > 0 && alpha < 1):
		return Boundary{}, fmt.Errorf("alpha %v must be in (0, 1)", alpha)
	}
	return boundaries(totalLooks, alpha)[look-1], nil
}

type planKey struct {
	looks int
	alpha float64
}

// plans memoises solved plans: a plan costs milliseconds and a pipeline
// asks for the same one at every look. Alpha comes from requests, so the
// memo is bounded.
var plans struct {
	sync.Mutex
	m map[planKey][]Boundary
}

const maxCachedPlans = 64

func boundaries(looks int, alpha float64) []Boundary {
	key := planKey{looks, alpha}
	plans.Lock()
	b, ok := plans.m[key]
	plans.Unlock()
	if ok {
		return b
	}
	b = solveBoundaries(looks, alpha)
	plans.Lock()
	if plans.m == nil || len(plans.m) >= maxCachedPlans {
		plans.m = make(map[planKey][]Boundary)
	}
	plans.m[key] = b
	plans.Unlock()
	return b
}

// kernelReach is how far, in standard deviations of one increment, the
// Gaussian kernel is followed: beyond it, it is below 1e-22 of its peak.
const kernelReach = 10.0

// gridDensity is the number of grid intervals per standard deviation of
// one increment.
const gridDensity = 16

func solveBoundaries(looks int, alpha float64) []Boundary {
	out := make([]Boundary, looks)
	k := float64(looks)
	step := math.Sqrt(1 / k) // standard deviation of one increment of S
	var (
		u, w  []float64 // grid on the score scale S = Z·√t, Simpson weights
		g     []float64 // density of S on the continuation region, on u
		spent float64
	)
	for i := range looks {
		t := float64(i+1) / k
		cum := OBrienFlemingSpent(t, alpha)
		inc := cum - spent
		var c float64
		if i == 0 {
			c = normalQuantile(inc/2, true)
		} else {
			rt := math.Sqrt(t)
			exit := func(c float64) float64 {
				// P(still running, then |S_t| ≥ c√t). Grid and density are
				// symmetric, so that is twice the upper exit, to which only
				// grid points within reach of the boundary contribute.
				b := c * rt
				var p float64
				for j := len(u) - 1; j >= 0 && u[j] >= b-kernelReach*step; j-- {
					p += w[j] * g[j] * normalSurvival((b-u[j])/step)
				}
				return 2*p - inc
			}
			// exit falls as c grows: at 0 everything still running exits,
			// at 40 nothing does.
			c, _ = zeroin(0, 40, exit(0), exit(40), exit, 1e-12, 1000)
		}
		out[i] = Boundary{
			Look: i + 1, TotalLooks: looks, InformationFraction: t,
			CumulativeAlpha: cum, IncrementalAlpha: inc,
			Z: c, NominalAlpha: 2 * normalSurvival(c),
		}
		spent = cum
		if i == looks-1 {
			break
		}
		nu, nw := simpsonGrid(c*math.Sqrt(t), step)
		ng := make([]float64, len(nu))
		if i == 0 {
			for j, s := range nu {
				ng[j] = normalDensity(s/step) / step
			}
		} else {
			convolve(ng, nu, u, w, g, step)
		}
		u, w, g = nu, nw, ng
	}
	return out
}

// convolve sets dst[i] = Σ_j w[j]·g[j]·φ((s[i] − u[j])/sd)/sd, the density
// after one more independent increment, for a uniform grid u. Only the j
// within kernelReach·sd of s[i] are summed, and the kernel is stepped along
// j by the recurrence of consecutive Gaussian values — two multiplications
// a term instead of an exp:
//
//	e(d − h) = e(d)·r,  r(d − h) = r(d)·q,  r = exp((d·h − h²/2)/sd²),  q = exp(−h²/sd²)
//
// with d = s[i] − u[j] and h the spacing of u.
func convolve(dst, s, u, w, g []float64, sd float64) {
	h := u[1] - u[0]
	v := sd * sd
	q := math.Exp(-h * h / v)
	band := int(math.Ceil(kernelReach * sd / h))
	norm := 1 / (sd * math.Sqrt(2*math.Pi))
	for i, si := range s {
		j0 := int(math.Round((si - u[0]) / h))
		j0 = max(0, min(len(u)-1, j0))
		d := si - u[j0]
		e0 := math.Exp(-d * d / (2 * v))
		sum := w[j0] * g[j0] * e0
		// Upwards in j: d shrinks by h each step.
		e, r := e0, math.Exp((d*h-h*h/2)/v)
		for j := j0 + 1; j < len(u) && j <= j0+band; j++ {
			e *= r
			r *= q
			sum += w[j] * g[j] * e
		}
		// Downwards in j: d grows by h each step.
		e, r = e0, math.Exp((-d*h-h*h/2)/v)
		for j := j0 - 1; j >= 0 && j >= j0-band; j-- {
			e *= r
			r *= q
			sum += w[j] * g[j] * e
		}
		dst[i] = sum * norm
	}
}

// simpsonGrid returns an odd number of equally spaced points on [−b, b] and
// their composite-Simpson weights, gridDensity intervals per sd or finer.
func simpsonGrid(b, sd float64) (pts, wts []float64) {
	panels := int(math.Ceil(2 * b * gridDensity / sd))
	panels = max(panels+panels%2, 32)
	h := 2 * b / float64(panels)
	pts = make([]float64, panels+1)
	wts = make([]float64, panels+1)
	for i := range pts {
		pts[i] = -b + float64(i)*h
		switch {
		case i == 0 || i == panels:
			wts[i] = h / 3
		case i%2 == 1:
			wts[i] = 4 * h / 3
		default:
			wts[i] = 2 * h / 3
		}
	}
	return pts, wts
}

func normalDensity(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
