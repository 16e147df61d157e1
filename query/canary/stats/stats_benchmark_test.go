package stats

import (
	"math/rand/v2"
	"testing"
)

func benchSamples(n int) (canary, baseline []float64) {
	r := rand.New(rand.NewPCG(11, 12))
	canary, baseline = make([]float64, n), make([]float64, n)
	for i := range n {
		canary[i] = 200 + 30*r.NormFloat64() + 5
		baseline[i] = 200 + 30*r.NormFloat64()
	}
	return canary, baseline
}

// BenchmarkRankSumTest1000 is one metric's rank-sum work in the judge:
// sort both samples, test, Hodges–Lehmann estimate and interval, the two
// tolerance p-values and the power.
func BenchmarkRankSumTest1000(b *testing.B) {
	canary, baseline := benchSamples(1000)
	b.ReportAllocs()
	for b.Loop() {
		s, _ := NewTwoSample(canary, baseline)
		if _, err := s.Test(0.98); err != nil {
			b.Fatal(err)
		}
		s.ShiftPValue(50, Greater)
		s.ShiftPValue(-50, Less)
		s.Power(50, 0.02)
	}
}

// BenchmarkTwentyMetrics is the statistics of one judgment at DESIGN §9's
// size, 20 metrics × 2 × 1000 points, without the judge around it; the
// whole judgment is BenchmarkJudge20Metrics in query/canary/judge.
func BenchmarkTwentyMetrics(b *testing.B) {
	type pair struct{ canary, baseline []float64 }
	pairs := make([]pair, 20)
	for i := range pairs {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		pairs[i] = pair{make([]float64, 1000), make([]float64, 1000)}
		for j := range 1000 {
			pairs[i].canary[j] = 200 + 30*r.NormFloat64()
			pairs[i].baseline[j] = 200 + 30*r.NormFloat64()
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pairs {
			s, _ := NewTwoSample(p.canary, p.baseline)
			if _, err := s.Test(0.98); err != nil {
				b.Fatal(err)
			}
			s.ShiftPValue(50, Greater)
			s.ShiftPValue(-50, Less)
			s.Power(50, 0.001)
		}
	}
}

// BenchmarkWilcoxonR1000 is the R-compatible path: uniroot over rank sums.
func BenchmarkWilcoxonR1000(b *testing.B) {
	canary, baseline := benchSamples(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WilcoxonR(canary, baseline, 0.98); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHodgesLehmann1000 selects the median of 10⁶ pairwise differences.
func BenchmarkHodgesLehmann1000(b *testing.B) {
	canary, baseline := benchSamples(1000)
	s, _ := NewTwoSample(canary, baseline)
	b.ReportAllocs()
	for b.Loop() {
		s.hlDone = false
		s.HodgesLehmann()
	}
}

// BenchmarkSpendingBoundary solves a 10-look plan from scratch.
func BenchmarkSpendingBoundary(b *testing.B) {
	for b.Loop() {
		plans.Lock()
		plans.m = nil
		plans.Unlock()
		if _, err := SpendingBoundary(5, 10, 0.02); err != nil {
			b.Fatal(err)
		}
	}
}
