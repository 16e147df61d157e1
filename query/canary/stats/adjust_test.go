package stats

import (
	"math"
	"testing"
)

func TestAdjustmentsKeepOrderAndBounds(t *testing.T) {
	p := []float64{0.001, 0.2, 0.04, 0.03, 0.9, 0.011}
	holm, bh := AdjustHolm(p), AdjustBH(p)
	for i := range p {
		if holm[i] < p[i] || bh[i] < p[i] || holm[i] > 1 || bh[i] > 1 {
			t.Errorf("p[%d] = %v: holm %v, BH %v must lie in [p, 1]", i, p[i], holm[i], bh[i])
		}
		if bh[i] > holm[i] {
			t.Errorf("p[%d]: BH %v is stricter than Holm %v", i, bh[i], holm[i])
		}
		for j := range p {
			if p[i] < p[j] && (holm[i] > holm[j] || bh[i] > bh[j]) {
				t.Errorf("adjustment reordered p[%d] < p[%d]", i, j)
			}
		}
	}
}

func TestAdjustmentsPassNaNThrough(t *testing.T) {
	got := AdjustHolm([]float64{0.01, math.NaN(), 0.02})
	if !math.IsNaN(got[1]) || got[0] != 0.02 || got[2] != 0.02 {
		t.Errorf("holm with NaN = %v, want [0.02 NaN 0.02] (family of two)", got)
	}
}
