package stats

import (
	"math"
	"slices"
	"testing"
)

func TestCleanNaN(t *testing.T) {
	nan := math.NaN()
	in := []float64{1, nan, 3, nan}
	removed, n := CleanNaN(in, NaNRemove)
	if !slices.Equal(removed, []float64{1, 3}) || n != 2 {
		t.Errorf("remove: %v, %d NaNs", removed, n)
	}
	replaced, n := CleanNaN(in, NaNReplaceZero)
	if !slices.Equal(replaced, []float64{1, 0, 3, 0}) || n != 2 {
		t.Errorf("replace: %v, %d NaNs", replaced, n)
	}
	if !math.IsNaN(in[1]) {
		t.Error("input modified")
	}
}

func TestMeanRatio(t *testing.T) {
	for _, c := range []struct {
		name             string
		canary, baseline []float64
		want             float64
	}{
		{"ratio of means", []float64{2, 4}, []float64{1, 2}, 2},
		{"both zero is no change", []float64{0, 0}, []float64{0}, 1},
		{"something from nothing is unbounded", []float64{0, 1}, []float64{0, 0}, math.Inf(1)},
	} {
		if got := MeanRatio(c.canary, c.baseline); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !math.IsNaN(MeanRatio(nil, []float64{1})) {
		t.Error("empty canary should give NaN")
	}
}

func TestRemoveOutliersKeepsOrderAndFences(t *testing.T) {
	got := RemoveOutliers([]float64{5, 100, 4, 6, 5, -90, 5}, DefaultOutlierFactor)
	if !slices.Equal(got, []float64{5, 4, 6, 5, 5}) {
		t.Errorf("kept %v", got)
	}
	if RemoveOutliers(nil, 3) != nil {
		t.Error("nil in, nil out")
	}
}
