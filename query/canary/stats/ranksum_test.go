package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sampleCase is a pair of samples with a shape the judge meets in practice.
type sampleCase struct {
	name             string
	canary, baseline []float64
}

func sampleCases() []sampleCase {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, f func() float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	normal := func(mu, sd float64) func() float64 { return func() float64 { return mu + sd*r.NormFloat64() } }
	integers := func(k int) func() float64 { return func() float64 { return float64(r.IntN(k)) } }
	lognormal := func(mu, sd float64) func() float64 {
		return func() float64 { return math.Exp(mu + sd*r.NormFloat64()) }
	}
	return []sampleCase{
		{"tiny, 1 vs 1", []float64{2}, []float64{1}},
		{"tiny, 2 vs 3", []float64{1, 4}, []float64{2, 2, 3}},
		{"continuous 40 vs 50", gen(40, normal(1, 1)), gen(50, normal(0, 1))},
		{"integers with heavy ties 80 vs 70", gen(80, integers(4)), gen(70, integers(4))},
		{"all equal", []float64{3, 3, 3}, []float64{3, 3}},
		{"constant samples, different values", []float64{5, 5, 5, 5}, []float64{2, 2, 2}},
		{"lognormal 300 vs 400 (selection narrows)", gen(300, lognormal(5, 1)), gen(400, lognormal(5.1, 1))},
		{"integers 500 vs 500 (selection meets repeated values)", gen(500, integers(7)), gen(500, integers(6))},
		{"unequal 7 vs 900", gen(7, normal(10, 2)), gen(900, normal(10, 2))},
	}
}

// allDiffs materialises the sorted differences canary[i] − baseline[j].
func allDiffs(canary, baseline []float64) []float64 {
	d := make([]float64, 0, len(canary)*len(baseline))
	for _, x := range canary {
		for _, y := range baseline {
			d = append(d, x-y)
		}
	}
	slices.Sort(d)
	return d
}

func TestPairwiseDifferenceIsTheOrderStatistic(t *testing.T) {
	for _, c := range sampleCases() {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewTwoSample(c.canary, c.baseline)
			if err != nil {
				t.Fatal(err)
			}
			want := allDiffs(c.canary, c.baseline)
			ks := []int{1, len(want), (len(want) + 1) / 2, len(want)/2 + 1}
			for i := 0; i < 40; i++ {
				ks = append(ks, 1+(i*7919)%len(want))
			}
			for _, k := range ks {
				if got := s.PairwiseDifference(k); got != want[k-1] {
					t.Errorf("D(%d) = %v, want %v", k, got, want[k-1])
				}
			}
			n := len(want)
			median := want[n/2]
			if n%2 == 0 {
				median = (want[n/2-1] + want[n/2]) / 2
			}
			if got := s.HodgesLehmann(); got != median {
				t.Errorf("Hodges–Lehmann = %v, median of differences is %v", got, median)
			}
		})
	}
}

func TestRankSumMatchesNaiveRanks(t *testing.T) {
	for _, c := range sampleCases() {
		t.Run(c.name, func(t *testing.T) {
			s, _ := NewTwoSample(c.canary, c.baseline)
			for _, d := range []float64{0, 0.5, -1, 1} {
				gotSum, gotTies := s.rankSum(d)
				// Naive: rank of each point = 1 + #smaller + (#equal − 1)/2.
				all := make([]float64, 0, len(c.canary)+len(c.baseline))
				for _, x := range c.canary {
					all = append(all, x-d)
				}
				all = append(all, c.baseline...)
				var wantSum, wantTies float64
				for i, v := range all {
					var less, equal float64
					for _, u := range all {
						if u < v {
							less++
						} else if u == v {
							equal++
						}
					}
					if i < len(c.canary) {
						wantSum += 1 + less + (equal-1)/2
					}
					wantTies += (equal*equal*equal - equal) / equal // each tie group counted once overall
				}
				if gotSum != wantSum || math.Abs(gotTies-wantTies) > 1e-9*math.Max(1, wantTies) {
					t.Errorf("shift %v: rank sum %v ties %v, naive %v %v", d, gotSum, gotTies, wantSum, wantTies)
				}
			}
		})
	}
}

// The interval is the inversion of R's statistic: just above the lower
// limit the corrected statistic has fallen to the critical value, just below
// it has not; mirrored at the upper limit.
func TestIntervalInvertsTheCorrectedStatistic(t *testing.T) {
	for _, c := range sampleCases() {
		for _, level := range []float64{0.95, 0.98} {
			s, _ := NewTwoSample(c.canary, c.baseline)
			res, err := s.Test(level)
			if err != nil {
				t.Fatal(err)
			}
			diffs := slices.Compact(allDiffs(c.canary, c.baseline))
			zq := normalQuantile((1-level)/2, true)
			// Between jump points, ties across the samples do not occur, so
			// evaluate at midpoints between distinct differences.
			around := func(v float64) (below, above float64, okBelow, okAbove bool) {
				i, _ := slices.BinarySearch(diffs, v)
				if i > 0 {
					below, okBelow = (diffs[i-1]+v)/2, true
				}
				if i+1 < len(diffs) {
					above, okAbove = (v+diffs[i+1])/2, true
				}
				return
			}
			z := func(d float64) float64 { v, _ := s.zAt(d, TwoSided, true); return v }
			if b, a, okB, okA := around(res.Lower); true {
				if okA && !(z(a) <= zq) {
					t.Errorf("%s %.2f: just above lower limit %v, Z = %v > %v", c.name, level, res.Lower, z(a), zq)
				}
				if okB && !(z(b) > zq) {
					t.Errorf("%s %.2f: just below lower limit %v, Z = %v ≤ %v", c.name, level, res.Lower, z(b), zq)
				}
			}
			if b, a, okB, okA := around(res.Upper); true {
				if okB && !(z(b) >= -zq) {
					t.Errorf("%s %.2f: just below upper limit %v, Z = %v < %v", c.name, level, res.Upper, z(b), -zq)
				}
				if okA && !(z(a) < -zq) {
					t.Errorf("%s %.2f: just above upper limit %v, Z = %v ≥ %v", c.name, level, res.Upper, z(a), -zq)
				}
			}
			if !(res.Lower <= res.Estimate && res.Estimate <= res.Upper) {
				t.Errorf("%s: estimate %v outside its interval [%v, %v]", c.name, res.Estimate, res.Lower, res.Upper)
			}
		}
	}
}

// R's interval and estimate move with its root finder's absolute tolerance;
// the exact ones scale with the data, which matters for metrics measured in
// small units (error ratios, seconds of a fast call).
func TestEstimateAndIntervalScaleWithTheData(t *testing.T) {
	c := sampleCases()[2]
	base, _ := NewTwoSample(c.canary, c.baseline)
	want, _ := base.Test(0.98)
	const scale = 0x1p-20 // a power of two, so scaling is exact
	x, y := slices.Clone(c.canary), slices.Clone(c.baseline)
	for i := range x {
		x[i] *= scale
	}
	for i := range y {
		y[i] *= scale
	}
	small, _ := NewTwoSample(x, y)
	got, _ := small.Test(0.98)
	for _, v := range []struct {
		name      string
		got, want float64
	}{{"estimate", got.Estimate, want.Estimate * scale}, {"lower", got.Lower, want.Lower * scale}, {"upper", got.Upper, want.Upper * scale}} {
		if v.got != v.want {
			t.Errorf("%s of scaled data = %v, want %v", v.name, v.got, v.want)
		}
	}
	if got.PValue != want.PValue {
		t.Errorf("p-value changed with scale: %v vs %v", got.PValue, want.PValue)
	}
	// The interval and the p-value come from one statistic, so they agree on
	// whether "no shift" is plausible, at any scale.
	if (got.PValue < 0.02) != (got.Lower > 0 || got.Upper < 0) {
		t.Errorf("p-value %v and 98%% interval [%v, %v] disagree about a zero shift", got.PValue, got.Lower, got.Upper)
	}
	if r, err := WilcoxonR(x, y, 0.98); err == nil {
		t.Logf("R's root finder (absolute tol 1e-4) on the same data: [%v, %v] around %v; exact: [%v, %v] around %v",
			r.Lower, r.Upper, r.Estimate, got.Lower, got.Upper, got.Estimate)
	}
}

func TestCLESCountsPairs(t *testing.T) {
	for _, c := range sampleCases() {
		var gt, eq float64
		for _, x := range c.canary {
			for _, y := range c.baseline {
				if x > y {
					gt++
				} else if x == y {
					eq++
				}
			}
		}
		want := (gt + eq/2) / float64(len(c.canary)*len(c.baseline))
		if got := CLES(c.canary, c.baseline); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: CLES = %v, want %v", c.name, got, want)
		}
	}
}

func TestAllTiedDataHasNoEvidenceOfShift(t *testing.T) {
	s, _ := NewTwoSample([]float64{4, 4, 4}, []float64{4, 4})
	res, err := s.Test(0.95)
	if err != nil {
		t.Fatal(err)
	}
	if res.PValue != 1 || res.Estimate != 0 || res.Lower != 0 || res.Upper != 0 {
		t.Errorf("all tied: got p %v, estimate %v, interval [%v, %v]; want 1, 0, [0, 0]", res.PValue, res.Estimate, res.Lower, res.Upper)
	}
	for _, alt := range []Alternative{TwoSided, Greater, Less} {
		if p := s.ShiftPValue(0, alt); p != 1 {
			t.Errorf("all tied: p-value of no shift (alternative %d) is %v, want 1", alt, p)
		}
	}
	if _, err := WilcoxonR([]float64{4, 4, 4}, []float64{4, 4}, 0.95); err == nil {
		t.Error("WilcoxonR: want an error where R's interval is undefined")
	}
}

func TestNewTwoSampleRejectsBadSamples(t *testing.T) {
	for _, c := range []struct {
		name             string
		canary, baseline []float64
	}{
		{"empty canary", nil, []float64{1}},
		{"empty baseline", []float64{1}, []float64{}},
		{"NaN", []float64{1, math.NaN()}, []float64{1}},
		{"Inf", []float64{1}, []float64{math.Inf(1)}},
	} {
		if _, err := NewTwoSample(c.canary, c.baseline); err == nil {
			t.Errorf("%s: want an error", c.name)
		}
	}
}

func TestNewTwoSampleDoesNotModifyInputs(t *testing.T) {
	x, y := []float64{3, 1, 2}, []float64{9, 7, 8}
	if _, err := NewTwoSample(x, y); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x, []float64{3, 1, 2}) || !slices.Equal(y, []float64{9, 7, 8}) {
		t.Errorf("inputs were modified: %v %v", x, y)
	}
}

func TestQuickselect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(60)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(10))
		}
		sorted := SortedCopy(v)
		k := r.IntN(n)
		if got := quickselect(slices.Clone(v), k); got != sorted[k] {
			t.Fatalf("quickselect(%v, %d) = %v, want %v", v, k, got, sorted[k])
		}
	}
}

// Noether's approximation should track the rejection rate of the test it
// describes. Simulated here with the test itself.
func TestPowerTracksSimulatedRejectionRate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, m, shift, alpha, trials = 40, 40, 0.6, 0.05, 1500
	draw := func(k int, mu float64) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = mu + r.NormFloat64()
		}
		return v
	}
	rejected := 0
	for range trials {
		s, _ := NewTwoSample(draw(n, shift), draw(m, 0))
		if s.test0().PValue <= alpha {
			rejected++
		}
	}
	simulated := float64(rejected) / trials
	ref := SortedCopy(draw(4000, 0))
	predicted := RankSumPower(ref, n, m, shift, alpha)
	// Binomial noise of the simulation is about 0.012.
	if math.Abs(predicted-simulated) > 0.05 {
		t.Errorf("predicted power %.3f, simulated rejection rate %.3f", predicted, simulated)
	}
	if p := RankSumPower(ref, 4, 4, shift, alpha); p > 0.2 {
		t.Errorf("4 points a side: power %.3f, want it low", p)
	}
	if p := RankSumPower(ref, 1000, 1000, shift, alpha); p < 0.999 {
		t.Errorf("1000 points a side: power %.3f, want it near 1", p)
	}
}
