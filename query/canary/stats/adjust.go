package stats

import (
	"math"
	"slices"
)

// AdjustHolm returns Holm's step-down adjusted p-values, as R's
// p.adjust(p, "holm"): it controls the family-wise error rate (the chance of
// any false failure among the metrics) under any dependence between them.
// NaN entries are passed through and do not count towards the family size.
func AdjustHolm(p []float64) []float64 {
	return adjust(p, func(q []float64, order []int) {
		n := float64(len(order))
		running := 0.0
		for i, idx := range order { // ascending p
			v := math.Min(1, (n-float64(i))*p[idx])
			running = math.Max(running, v)
			q[idx] = running
		}
	})
}

// AdjustBH returns Benjamini–Hochberg adjusted p-values, as R's
// p.adjust(p, "BH"): it controls the false discovery rate (the expected share
// of false failures among the metrics flagged) for independent or positively
// dependent tests. NaN entries are passed through.
func AdjustBH(p []float64) []float64 {
	return adjust(p, func(q []float64, order []int) {
		n := float64(len(order))
		running := math.Inf(1)
		for i := len(order) - 1; i >= 0; i-- { // descending p
			idx := order[i]
			running = math.Min(running, n/float64(i+1)*p[idx])
			q[idx] = math.Min(1, running)
		}
	})
}

// adjust orders the non-NaN p-values ascending (stably, as R's order) and
// lets fill write the adjusted values.
func adjust(p []float64, fill func(q []float64, order []int)) []float64 {
	q := make([]float64, len(p))
	order := make([]int, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			q[i] = v
			continue
		}
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	fill(q, order)
	return q
}
