package judge

import (
	"fmt"
	"testing"
)

// BenchmarkJudge20Metrics is DESIGN §9's target: a judgment of 20 metrics,
// each with 1000 baseline and 1000 canary points, in under 20 ms. All 20 are
// continuous (rank-sum) metrics, the expensive kind; two of them regress.
//
//	go test -run '^$' -bench Judge20Metrics -benchtime 100x ./query/canary/judge/
func BenchmarkJudge20Metrics(b *testing.B) {
	req := Request{Metrics: make([]Metric, 20)}
	for i := range req.Metrics {
		mu := 200.0
		if i%10 == 9 {
			mu = 260
		}
		req.Metrics[i] = Metric{
			Name:      fmt.Sprintf("metric_%02d", i),
			Direction: DirectionIncrease,
			Baseline:  noisy(uint64(2*i), 1000, 200, 30),
			Canary:    noisy(uint64(2*i+1), 1000, mu, 30),
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Judge(req)
		if err != nil {
			b.Fatal(err)
		}
		if r.Verdict != VerdictMarginal {
			b.Fatalf("verdict %s (%s), want marginal: the benchmark should judge real work", r.Verdict, r.Reason)
		}
	}
}
