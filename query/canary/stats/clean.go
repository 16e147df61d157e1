package stats

import (
	"math"
	"slices"
)

// NaNStrategy says what to do with missing (NaN) points.
type NaNStrategy int

const (
	// NaNRemove drops missing points (Kayenta's "remove").
	NaNRemove NaNStrategy = iota
	// NaNReplaceZero counts a missing point as 0 (Kayenta's "replace"),
	// right for counters where "no sample" means "nothing happened".
	NaNReplaceZero
)

// CleanNaN returns a copy of v with its NaN points removed or replaced by 0,
// and how many points were NaN.
func CleanNaN(v []float64, strategy NaNStrategy) (clean []float64, nans int) {
	clean = make([]float64, 0, len(v))
	for _, f := range v {
		if math.IsNaN(f) {
			nans++
			if strategy == NaNReplaceZero {
				clean = append(clean, 0)
			}
			continue
		}
		clean = append(clean, f)
	}
	return clean, nans
}

// SortedCopy returns an ascending copy of v.
func SortedCopy(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

// Quantile returns the p-quantile of an ascending, non-empty sample by R's
// default definition (type 7): linear interpolation between the order
// statistics at 1 + (n − 1)p, written as R's quantile.default computes it.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	p = math.Max(0, math.Min(1, p))
	index := 1 + float64(n-1)*p
	lo := math.Floor(index)
	hi := math.Ceil(index)
	qs := sorted[int(lo)-1]
	if xh := sorted[int(hi)-1]; index > lo && xh != qs {
		h := index - lo
		qs = float64((1-h)*qs) + float64(h*xh)
	}
	return qs
}

// Median is Quantile(sorted, 0.5).
func Median(sorted []float64) float64 { return Quantile(sorted, 0.5) }

// IQRFences returns Kayenta's outlier fences for an ascending sample:
// [Q1 − k·IQR, Q3 + k·IQR] with type-7 quartiles.
func IQRFences(sorted []float64, k float64) (lower, upper float64) {
	q1, q3 := Quantile(sorted, 0.25), Quantile(sorted, 0.75)
	iqr := q3 - q1
	return q1 - float64(k*iqr), q3 + float64(k*iqr)
}

// DefaultOutlierFactor is the k of IQRFences that Kayenta's judge uses.
const DefaultOutlierFactor = 3.0

// RemoveOutliers returns the points of v inside IQRFences(v, k), in their
// original order. Points on a fence are kept.
func RemoveOutliers(v []float64, k float64) []float64 {
	if len(v) == 0 {
		return nil
	}
	lo, hi := IQRFences(SortedCopy(v), k)
	kept := make([]float64, 0, len(v))
	for _, f := range v {
		if f >= lo && f <= hi {
			kept = append(kept, f)
		}
	}
	return kept
}
