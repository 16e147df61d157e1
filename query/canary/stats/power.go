package stats

import "math"

// RankSumPower approximates the power of the two-sided level-alpha rank-sum
// test, with nCanary and nBaseline points, to detect a location shift of
// shift. It uses Noether's normal approximation,
//
//	power ≈ Φ(√(12·n·m / (n + m + 1)) · |θ − ½| − z₁₋α/₂),
//
// with θ = P(Z + |shift| > Z′) + ½·P(Z + |shift| = Z′) for two independent
// draws Z, Z′ from the shape the data have. θ is estimated without a
// parametric model from reference (ascending), over all ordered pairs of
// distinct points — a "pooled scale" that puts a shift in units of the
// metric's own spread and ties. No simulation is involved.
func RankSumPower(reference []float64, nCanary, nBaseline int, shift, alpha float64) float64 {
	if len(reference) < 2 || nCanary < 1 || nBaseline < 1 || math.IsNaN(shift) {
		return 0
	}
	theta := shiftedPairShare(reference, math.Abs(shift))
	n, m := float64(nCanary), float64(nBaseline)
	return normalCDF(math.Sqrt(12*n*m/(n+m+1))*math.Abs(theta-0.5) - normalQuantile(alpha/2, true))
}

// shiftedPairShare is θ above over the pairs (i, j), i ≠ j, of an ascending z.
// Z[i] + delta is non-decreasing in i, so two pointers count in O(N).
func shiftedPairShare(z []float64, delta float64) float64 {
	var count float64
	lt, le := 0, 0
	for _, zi := range z {
		t := zi + delta
		for lt < len(z) && z[lt] < t {
			lt++
		}
		for le < len(z) && z[le] <= t {
			le++
		}
		count += float64(lt) + 0.5*float64(le-lt)
		switch { // remove the pair (i, i)
		case zi < t:
			count--
		case zi == t:
			count -= 0.5
		}
	}
	nz := float64(len(z))
	return count / (nz * (nz - 1))
}

// Power is RankSumPower for this pair of samples, with the reference shape
// taken from both samples pooled after aligning the canary on the baseline
// (canary − Hodges–Lehmann shift), so that a real shift does not pass for
// spread.
func (s *TwoSample) Power(shift, alpha float64) float64 {
	est := s.HodgesLehmann()
	s.diffs.acquire()
	defer s.diffs.release()
	pooled := s.diffs.scratch(len(s.x) + len(s.y))
	i, j := 0, 0
	for i < len(s.x) || j < len(s.y) {
		if j >= len(s.y) || (i < len(s.x) && s.x[i]-est <= s.y[j]) {
			pooled = append(pooled, s.x[i]-est)
			i++
		} else {
			pooled = append(pooled, s.y[j])
			j++
		}
	}
	return RankSumPower(pooled, len(s.x), len(s.y), shift, alpha)
}
