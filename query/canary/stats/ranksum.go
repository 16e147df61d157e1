package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Alternative is the alternative hypothesis of a one- or two-sided test.
type Alternative int

const (
	// TwoSided: the canary's location differs from the null value.
	TwoSided Alternative = iota
	// Greater: the canary's location is above the null value.
	Greater
	// Less: the canary's location is below the null value.
	Less
)

// ErrEmptySample is returned when a sample has no observations.
var ErrEmptySample = errors.New("sample has no observations")

// RankSumResult is the outcome of a Wilcoxon rank-sum (Mann–Whitney) test of
// canary against baseline, in the terms R's wilcox.test reports.
type RankSumResult struct {
	NCanary   int
	NBaseline int
	// W is R's statistic: the canary's rank sum minus n(n+1)/2, which is the
	// Mann–Whitney U of the canary (pairs with canary > baseline, ties half).
	W float64
	// Z is the tie- and continuity-corrected normal deviate of W.
	Z float64
	// PValue is the two-sided p-value of "no shift", from Z.
	PValue float64
	// Estimate is the shift canary − baseline. From TwoSample.Test it is the
	// Hodges–Lehmann estimate; from WilcoxonR it is R's root-finder estimate.
	Estimate float64
	// Lower and Upper bound the shift at ConfLevel.
	Lower, Upper float64
	ConfLevel    float64
}

// TwoSample holds a canary and a baseline sample, sorted once, and answers the
// rank-sum questions the judge asks of them. It is not safe for concurrent use.
type TwoSample struct {
	x, y         []float64 // canary, baseline; ascending
	tiesX, tiesY float64   // Σ(t³ − t) over groups of equal values within x, within y
	diffs        pairwiseDiffs
	hl           float64 // Hodges–Lehmann estimate, once computed
	hlDone       bool
}

// NewTwoSample copies and sorts the samples. Both must be non-empty and hold
// only finite values; NaN handling is the caller's decision (see CleanNaN).
func NewTwoSample(canary, baseline []float64) (*TwoSample, error) {
	if err := checkSample("canary", canary); err != nil {
		return nil, err
	}
	if err := checkSample("baseline", baseline); err != nil {
		return nil, err
	}
	x := slices.Clone(canary)
	y := slices.Clone(baseline)
	slices.Sort(x)
	slices.Sort(y)
	return newTwoSampleSorted(x, y), nil
}

// NewTwoSampleOwned is NewTwoSample for callers that hand the slices over:
// it sorts them in place and keeps them, saving the copies.
func NewTwoSampleOwned(canary, baseline []float64) (*TwoSample, error) {
	if err := checkSample("canary", canary); err != nil {
		return nil, err
	}
	if err := checkSample("baseline", baseline); err != nil {
		return nil, err
	}
	slices.Sort(canary)
	slices.Sort(baseline)
	return newTwoSampleSorted(canary, baseline), nil
}

// newTwoSampleSorted takes ownership of two ascending, checked samples.
func newTwoSampleSorted(x, y []float64) *TwoSample {
	s := &TwoSample{x: x, y: y, tiesX: tieSum(x), tiesY: tieSum(y)}
	s.diffs.init(x, y)
	return s
}

func checkSample(name string, v []float64) error {
	if len(v) == 0 {
		return fmt.Errorf("%s: %w", name, ErrEmptySample)
	}
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s[%d] is %v: samples must be finite", name, i, f)
		}
	}
	return nil
}

// tieSum returns Σ(t³ − t) over runs of equal values in an ascending slice.
func tieSum(v []float64) float64 {
	var s float64
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j] == v[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			s += t*t*t - t
		}
		i = j
	}
	return s
}

// BaselineQuantile is the type-7 p-quantile of the baseline.
func (s *TwoSample) BaselineQuantile(p float64) float64 { return Quantile(s.y, p) }

// NCanary and NBaseline are the sample sizes.
func (s *TwoSample) NCanary() int   { return len(s.x) }
func (s *TwoSample) NBaseline() int { return len(s.y) }

// rankSum ranks c(x − d, y) as R does (average ranks for exact ties) and
// returns the rank sum of the x − d part and Σ(t³ − t) over all tie groups.
// x and y are ascending, so this is a merge, O(n + m).
func (s *TwoSample) rankSum(d float64) (sumX, ties float64) {
	x, y := s.x, s.y
	i, j, pos := 0, 0, 0
	for i < len(x) || j < len(y) {
		var v float64
		if j >= len(y) || (i < len(x) && x[i]-d <= y[j]) {
			v = x[i] - d
		} else {
			v = y[j]
		}
		ci := 0
		for i < len(x) && x[i]-d == v {
			ci++
			i++
		}
		cj := 0
		for j < len(y) && y[j] == v {
			cj++
			j++
		}
		t := ci + cj
		avg := float64(pos) + float64(t+1)/2
		sumX += float64(ci) * avg
		if t > 1 {
			ft := float64(t)
			ties += ft*ft*ft - ft
		}
		pos += t
	}
	return sumX, ties
}

// rankSumSigma is the standard deviation of W under the null hypothesis,
// corrected for ties, written in the order of operations R uses.
func rankSumSigma(nx, ny, ties float64) float64 {
	return math.Sqrt((nx * ny / 12) * ((nx + ny + 1) - ties/((nx+ny)*(nx+ny-1))))
}

// zAt is R's normal-approximation statistic for the data shifted by d
// (c(x − d, y)): (W − nm/2 − correction) / σ, with σ recomputed for the ties
// of the shifted data. It also returns W.
func (s *TwoSample) zAt(d float64, alt Alternative, correct bool) (z, w float64) {
	nx, ny := float64(len(s.x)), float64(len(s.y))
	sumX, ties := s.rankSum(d)
	w = sumX - nx*(nx+1)/2
	dz := w - nx*ny/2
	var corr float64
	if correct {
		switch alt {
		case TwoSided:
			corr = sign(dz) * 0.5
		case Greater:
			corr = 0.5
		case Less:
			corr = -0.5
		}
	}
	return (dz - corr) / rankSumSigma(nx, ny, ties), w
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// pFromZ turns a normal deviate into a p-value. A NaN deviate arises only
// when every observation is tied (σ = 0); such data carry no evidence of a
// shift, so the p-value is 1 rather than R's NaN.
func pFromZ(z float64, alt Alternative) float64 {
	if math.IsNaN(z) {
		return 1
	}
	switch alt {
	case Greater:
		return normalSurvival(z)
	case Less:
		return normalCDF(z)
	}
	return 2 * math.Min(normalCDF(z), normalSurvival(z))
}

// ShiftPValue is the p-value of R's
// wilcox.test(canary, baseline, mu = mu, alternative = alt, exact = FALSE,
// correct = TRUE): a test of "the shift canary − baseline equals mu".
func (s *TwoSample) ShiftPValue(mu float64, alt Alternative) float64 {
	z, _ := s.zAt(mu, alt, true)
	return pFromZ(z, alt)
}

// CLES is the common-language effect size P(canary > baseline) +
// ½·P(canary = baseline) over all pairs, which is W / (n·m).
func (s *TwoSample) CLES() float64 {
	nx := float64(len(s.x))
	sumX, _ := s.rankSum(0)
	return (sumX - nx*(nx+1)/2) / (nx * float64(len(s.y)))
}

// HodgesLehmann is the Hodges–Lehmann shift estimate: the median of the n·m
// differences canary[i] − baseline[j], found by selection without
// materialising them.
func (s *TwoSample) HodgesLehmann() float64 {
	if !s.hlDone {
		s.diffs.acquire()
		defer s.diffs.release()
		mid := (len(s.x)*len(s.y) + 1) / 2
		s.setHodgesLehmann(mid, s.diffs.kth(mid))
	}
	return s.hl
}

// setHodgesLehmann caches the estimate given D(mid), mid = ⌈nm/2⌉. It
// runs with the selection memory acquired.
func (s *TwoSample) setHodgesLehmann(mid int, dMid float64) {
	if total := len(s.x) * len(s.y); total%2 == 1 {
		s.hl = dMid
	} else {
		s.hl = (dMid + s.diffs.successor(dMid, mid)) / 2
	}
	s.hlDone = true
}

// PairwiseDifference returns the k-th smallest (1-based) of the n·m
// differences canary[i] − baseline[j].
func (s *TwoSample) PairwiseDifference(k int) float64 {
	total := len(s.x) * len(s.y)
	if k < 1 || k > total {
		panic(fmt.Sprintf("stats: pairwise difference rank %d outside [1, %d]", k, total))
	}
	s.diffs.acquire()
	defer s.diffs.release()
	return s.diffs.kth(k)
}

// Test runs the two-sided rank-sum test and estimates the shift with its
// confidence interval at confLevel.
//
// W, Z and PValue are exactly R's wilcox.test(canary, baseline, exact =
// FALSE, correct = TRUE). The estimate is the Hodges–Lehmann median of
// pairwise differences and the interval is where R's interval converges to:
// R inverts the same tie- and continuity-corrected statistic with uniroot at
// an absolute tolerance of 1e-4, whose answer is a step function's jump point
// known only to ±1e-4 — meaningless for metrics whose values are themselves
// around 1e-4. That jump point is an order statistic of the pairwise
// differences, so Test computes it exactly:
//
//	lower = D(kL), kL = ⌈nm/2 − ½ − z·σ⌉
//	upper = D(kU), kU = ⌊nm/2 + ½ + z·σ⌋ + 1
//
// where D(k) is the k-th smallest difference, z = Φ⁻¹(1 − α/2), and σ is the
// tie-corrected σ of W between jump points (ties within each sample only).
// k is clamped to [1, nm]. The result is equivariant: scaling both samples
// scales estimate and interval. WilcoxonR gives R's own numbers.
func (s *TwoSample) Test(confLevel float64) (RankSumResult, error) {
	if !(confLevel > 0 && confLevel < 1) {
		return RankSumResult{}, fmt.Errorf("confidence level %v must be in (0, 1)", confLevel)
	}
	r := s.test0()
	r.ConfLevel = confLevel
	nx, ny := float64(len(s.x)), float64(len(s.y))
	nm := nx * ny
	zq := normalQuantile((1-confLevel)/2, true)
	sigma := rankSumSigma(nx, ny, s.tiesX+s.tiesY)
	total := len(s.x) * len(s.y)
	reach := float64(zq * sigma) // rounded here so no platform fuses it into the sums below
	kL := clampRank(math.Ceil(nm/2-0.5-reach), total)
	kU := clampRank(math.Floor(nm/2+0.5+reach)+1, total)
	mid := (total + 1) / 2 // kL ≤ mid ≤ kU
	s.diffs.acquire()
	defer s.diffs.release()
	d := s.diffs.kths(kL, mid, kU)
	r.Lower, r.Upper = d[0], d[2]
	if !s.hlDone {
		s.setHodgesLehmann(mid, d[1])
	}
	r.Estimate = s.hl
	return r, nil
}

// test0 fills the sizes, W, Z and the two-sided p-value of "no shift".
func (s *TwoSample) test0() RankSumResult {
	z, w := s.zAt(0, TwoSided, true)
	return RankSumResult{
		NCanary:   len(s.x),
		NBaseline: len(s.y),
		W:         w,
		Z:         z,
		PValue:    pFromZ(z, TwoSided),
	}
}

func clampRank(k float64, total int) int {
	switch {
	case math.IsNaN(k) || k < 1:
		return 1
	case k > float64(total):
		return total
	}
	return int(k)
}
