package stats

import (
	"math"
	"testing"
)

// FuzzPairwiseSelection checks order-statistic selection on the implicit
// matrix of differences against sorting them all, on small samples with
// plenty of ties, and the interval's basic shape.
func FuzzPairwiseSelection(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3))
	f.Add([]byte{0, 0, 0, 0}, uint8(2))
	f.Add([]byte{9, 1, 9, 1, 200, 3, 3, 3, 7}, uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		if len(data) < 2 || len(data) > 400 {
			return
		}
		cut := 1 + int(split)%(len(data)-1)
		canary, baseline := make([]float64, cut), make([]float64, len(data)-cut)
		for i, b := range data {
			v := float64(b%16) * 0.25 // few distinct values: many ties
			if b >= 128 {
				v = -v
			}
			if i < cut {
				canary[i] = v
			} else {
				baseline[i-cut] = v
			}
		}
		s, err := NewTwoSample(canary, baseline)
		if err != nil {
			t.Fatal(err)
		}
		want := allDiffs(canary, baseline)
		for k := 1; k <= len(want); k += 1 + len(want)/50 {
			if got := s.PairwiseDifference(k); got != want[k-1] {
				t.Fatalf("D(%d) = %v, want %v", k, got, want[k-1])
			}
		}
		res, err := s.Test(0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !(res.Lower <= res.Estimate && res.Estimate <= res.Upper) || math.IsNaN(res.PValue) || res.PValue < 0 || res.PValue > 1 {
			t.Fatalf("estimate %v, interval [%v, %v], p %v", res.Estimate, res.Lower, res.Upper, res.PValue)
		}
	})
}
