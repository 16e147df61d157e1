package estimate

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploylens/deploylens/query/canary/stats"
)

// relErr is the slack R's tests allow when comparing probabilities of
// outcomes (1 + 1e-7), so that outcomes as likely as the observed one count
// as as extreme.
const relErr = 1 + 1e-7

// RankSumPValue is the two-sided p-value of the Wilcoxon rank-sum
// (Mann-Whitney) test that x and y come from the same distribution, as R's
// wilcox.test(x, y) computes it: the exact distribution of W when both
// samples have fewer than 50 values and there are no ties, else the normal
// approximation with tie correction and continuity correction. It is NaN when
// either sample is empty.
func RankSumPValue(x, y []float64) float64 {
	nx, ny := len(x), len(y)
	if nx == 0 || ny == 0 {
		return math.NaN()
	}
	ranks, ties := rank(x, y)
	var rx float64
	for _, r := range ranks[:nx] {
		rx += r
	}
	w := rx - float64(nx*(nx+1))/2
	if nx < 50 && ny < 50 && len(ties) == 0 {
		return exactRankSum(w, nx, ny)
	}
	// The normal approximation is the canary analysis's, which is R's.
	two, err := stats.NewTwoSample(x, y)
	if err != nil {
		return math.NaN()
	}
	return two.ShiftPValue(0, stats.TwoSided)
}

// rank returns the mid-ranks of x followed by y and the sizes of the tied
// groups.
func rank(x, y []float64) ([]float64, []float64) {
	all := make([]float64, 0, len(x)+len(y))
	all = append(append(all, x...), y...)
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case all[a] < all[b]:
			return -1
		case all[a] > all[b]:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(all))
	var ties []float64
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && all[idx[j+1]] == all[idx[i]] {
			j++
		}
		mid := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[idx[k]] = mid
		}
		if j > i {
			ties = append(ties, float64(j-i+1))
		}
		i = j + 1
	}
	return ranks, ties
}

// exactRankSum is R's exact two-sided p-value for the statistic w:
// min(1, 2·P(W ≤ w)) below the centre, min(1, 2·P(W ≥ w)) above it.
func exactRankSum(w float64, m, n int) float64 {
	counts := rankSumCounts(m, n)
	var total float64
	for _, c := range counts {
		total += c
	}
	cdf := func(q int) float64 { // P(W ≤ q)
		if q < 0 {
			return 0
		}
		var s float64
		for i := 0; i <= q && i < len(counts); i++ {
			s += counts[i]
		}
		return s / total
	}
	var p float64
	if w > float64(m*n)/2 {
		p = 1 - cdf(int(math.Ceil(w))-1)
	} else {
		p = cdf(int(math.Floor(w)))
	}
	return math.Min(1, 2*p)
}

// rankSumCounts returns, for u = 0..m·n, the number of ways the Mann-Whitney
// statistic of samples of sizes m and n takes the value u.
func rankSumCounts(m, n int) []float64 {
	// f[j][u]: arrangements of j x-values among the values seen so far with
	// statistic u; add the values one at a time (the classic recursion).
	f := make([][]float64, m+1)
	for j := range f {
		f[j] = make([]float64, m*n+1)
	}
	f[0][0] = 1
	for y := 0; y <= n; y++ {
		// Adding an x after y y-values raises u by y.
		for j := 1; j <= m; j++ {
			for u := m * n; u >= y; u-- {
				f[j][u] += f[j-1][u-y]
			}
		}
	}
	return f[m]
}

// BinomialPValue is the two-sided p-value of the exact test that x
// successes in n trials have probability p, as R's binom.test(x, n, p)
// computes it: the probability of every outcome no more likely than x.
func BinomialPValue(x, n int, p float64) float64 {
	if n <= 0 || x < 0 || x > n || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	if p == 0 {
		return b2f(x == 0)
	}
	if p == 1 {
		return b2f(x == n)
	}
	d := distuv.Binomial{N: float64(n), P: p}
	observed := d.Prob(float64(x))
	var total float64
	for i := 0; i <= n; i++ {
		if q := d.Prob(float64(i)); q <= observed*relErr {
			total += q
		}
	}
	return math.Min(1, total)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// FisherPValue is the two-sided p-value of Fisher's exact test on the 2×2
// table [[a, b], [c, d]], as R's fisher.test computes it: the probability,
// with the margins fixed, of every table no more likely than the observed
// one.
func FisherPValue(a, b, c, d int) float64 {
	if a < 0 || b < 0 || c < 0 || d < 0 {
		return math.NaN()
	}
	row1, col1, n := a+b, a+c, a+b+c+d
	if n == 0 {
		return 1
	}
	lo, hi := max(0, col1-(n-row1)), min(row1, col1)
	logProb := func(k int) float64 {
		return lchoose(col1, k) + lchoose(n-col1, row1-k) - lchoose(n, row1)
	}
	observed := logProb(a)
	var total float64
	for k := lo; k <= hi; k++ {
		if lp := logProb(k); lp <= observed+math.Log(relErr) {
			total += math.Exp(lp)
		}
	}
	return math.Min(1, total)
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
