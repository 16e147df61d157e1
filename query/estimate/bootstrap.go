package estimate

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MinSamples is the smallest sample a figure is reported without a warning
// for; below it no interval is drawn.
const MinSamples = 5

// Interval is a two-sided confidence interval.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Bootstrap draws percentile bootstrap intervals reproducibly: the same
// seed, label and sample always give the same interval, so an answer does
// not change between two requests over the same data.
type Bootstrap struct {
	// Resamples per interval (default 2000).
	Resamples int
	// Level of the interval (default 0.95).
	Level float64
	// Seed of the generator; each label draws from its own stream.
	Seed uint64
}

// DefaultBootstrap is what the API uses.
var DefaultBootstrap = Bootstrap{Resamples: 2000, Level: 0.95, Seed: 20231005}

func (b Bootstrap) resamples() int {
	if b.Resamples > 0 {
		return b.Resamples
	}
	return 2000
}

func (b Bootstrap) level() float64 {
	if b.Level > 0 && b.Level < 1 {
		return b.Level
	}
	return 0.95
}

// source returns the generator of one label's stream.
func (b Bootstrap) source(label string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(label))
	return rand.NewPCG(b.Seed, h.Sum64())
}

// percentile turns the resampled statistics into the interval.
func (b Bootstrap) percentile(stats []float64) Interval {
	slices.Sort(stats)
	a := (1 - b.level()) / 2
	return Interval{Low: Quantile(stats, a), High: Quantile(stats, 1-a)}
}

// QuantileInterval is the percentile bootstrap interval of the type-7
// p-quantile of an ascending sample.
//
// A resample of n draws with replacement, mapped through the sorted sample,
// has as its k-th smallest value sorted[⌊n·U(k)⌋], where U(k) is the k-th
// order statistic of n uniforms: Beta(k, n-k+1) distributed, with the next
// one U(k) + (1-U(k))·Beta(1, n-k). Drawing those two order statistics
// directly gives each resample's quantile in constant time, from exactly the
// distribution that resampling and sorting would, so large samples cost no
// more than small ones.
func (b Bootstrap) QuantileInterval(sorted []float64, p float64, label string) (Interval, bool) {
	n := len(sorted)
	if n < MinSamples || !(p >= 0 && p <= 1) {
		return Interval{}, false
	}
	src := b.source(label)
	rng := rand.New(src)
	h := float64(n-1) * p
	j := int(math.Floor(h)) // 0-based index of the lower order statistic
	g := h - float64(j)
	k := float64(j + 1) // its 1-based rank
	first := distuv.Beta{Alpha: k, Beta: float64(n) - k + 1, Src: src}
	pick := func(u float64) float64 {
		return sorted[min(int(u*float64(n)), n-1)]
	}
	stats := make([]float64, b.resamples())
	for i := range stats {
		u := first.Rand()
		lo := pick(u)
		if g == 0 || j >= n-1 {
			stats[i] = lo
			continue
		}
		// The minimum of the n-k uniforms above u: Beta(1, n-k) by inversion.
		next := u + (1-u)*(1-math.Pow(rng.Float64(), 1/(float64(n)-k)))
		stats[i] = interpolate(lo, pick(next), g)
	}
	return b.percentile(stats), true
}

// ProportionInterval is the bootstrap interval of the rate k/n: a resample
// of n Bernoulli outcomes has Binomial(n, k/n) successes.
func (b Bootstrap) ProportionInterval(k, n int, label string) (Interval, bool) {
	if n < MinSamples || k < 0 || k > n {
		return Interval{}, false
	}
	p := float64(k) / float64(n)
	if p == 0 || p == 1 {
		return Interval{Low: p, High: p}, true
	}
	draw := distuv.Binomial{N: float64(n), P: p, Src: b.source(label)}
	stats := make([]float64, b.resamples())
	for i := range stats {
		stats[i] = draw.Rand() / float64(n)
	}
	return b.percentile(stats), true
}

// MeanInterval is the bootstrap interval of the mean of values (for
// example deployments per day, one value per day), resampling the values.
func (b Bootstrap) MeanInterval(values []float64, label string) (Interval, bool) {
	n := len(values)
	if n < MinSamples {
		return Interval{}, false
	}
	rng := rand.New(b.source(label))
	stats := make([]float64, b.resamples())
	for i := range stats {
		var sum float64
		for range n {
			sum += values[rng.IntN(n)]
		}
		stats[i] = sum / float64(n)
	}
	return b.percentile(stats), true
}
