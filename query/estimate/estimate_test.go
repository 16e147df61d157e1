package estimate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

type reference struct {
	Quantiles []struct {
		Name string    `json:"name"`
		X    []float64 `json:"x"`
		P    []float64 `json:"p"`
		Q    []float64 `json:"q"`
	} `json:"quantiles"`
	RankSum []struct {
		Name string    `json:"name"`
		X    []float64 `json:"x"`
		Y    []float64 `json:"y"`
		P    float64   `json:"p"`
	} `json:"ranksum"`
	Binomial []struct {
		X, N   int
		P      float64 `json:"p"`
		PValue float64 `json:"p_value"`
	} `json:"binomial"`
	Fisher []struct {
		Table  [4]int  `json:"table"`
		PValue float64 `json:"p_value"`
	} `json:"fisher"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// close reports whether got matches R's printed value (15 significant digits).
func close(got, want float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestQuantileMatchesRType7(t *testing.T) {
	for _, c := range loadReference(t).Quantiles {
		x := slices.Clone(c.X)
		slices.Sort(x)
		for i, p := range c.P {
			if got := Quantile(x, p); !close(got, c.Q[i]) {
				t.Errorf("%s: quantile(%v) = %.17g, R says %.17g", c.Name, p, got, c.Q[i])
			}
		}
	}
}

func TestQuantileOfNothingIsNaN(t *testing.T) {
	if !math.IsNaN(Quantile(nil, 0.5)) || !math.IsNaN(Quantile([]float64{1}, 1.5)) {
		t.Fatal("want NaN for an empty sample and for p outside [0, 1]")
	}
}

func TestRankSumMatchesR(t *testing.T) {
	for _, c := range loadReference(t).RankSum {
		if got := RankSumPValue(c.X, c.Y); !close(got, c.P) {
			t.Errorf("%s: p = %.17g, R's wilcox.test says %.17g", c.Name, got, c.P)
		}
	}
}

func TestBinomialMatchesR(t *testing.T) {
	for _, c := range loadReference(t).Binomial {
		if got := BinomialPValue(c.X, c.N, c.P); !close(got, c.PValue) {
			t.Errorf("binom.test(%d, %d, %v): p = %.17g, R says %.17g", c.X, c.N, c.P, got, c.PValue)
		}
	}
}

func TestFisherMatchesR(t *testing.T) {
	for _, c := range loadReference(t).Fisher {
		tb := c.Table
		if got := FisherPValue(tb[0], tb[1], tb[2], tb[3]); !close(got, c.PValue) {
			t.Errorf("fisher.test(%v): p = %.17g, R says %.17g", tb, got, c.PValue)
		}
	}
}

func TestRankSumCountsSumToBinomial(t *testing.T) {
	for _, mn := range [][2]int{{1, 1}, {3, 4}, {7, 5}, {12, 15}} {
		var total float64
		for _, c := range rankSumCounts(mn[0], mn[1]) {
			total += c
		}
		want := math.Round(math.Exp(lchoose(mn[0]+mn[1], mn[0])))
		if total != want {
			t.Errorf("m=%d n=%d: %v arrangements, want C(m+n, m) = %v", mn[0], mn[1], total, want)
		}
	}
}

// The order-statistic shortcut draws each resample's quantile from the
// same distribution as resampling and sorting: both intervals agree to
// within Monte Carlo error.
func TestQuantileIntervalAgreesWithNaiveResampling(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 301)
	for i := range x {
		x[i] = math.Round(rng.ExpFloat64() * 3600)
	}
	slices.Sort(x)
	b := Bootstrap{Resamples: 4000, Seed: 7}
	for _, p := range []float64{0.5, 0.9} {
		fast, ok := b.QuantileInterval(x, p, "lead")
		if !ok {
			t.Fatal("no interval")
		}
		naive := make([]float64, b.Resamples)
		re := make([]float64, len(x))
		for i := range naive {
			for j := range re {
				re[j] = x[rng.IntN(len(x))]
			}
			slices.Sort(re)
			naive[i] = Quantile(re, p)
		}
		slow := b.percentile(naive)
		spread := x[len(x)*3/4] - x[len(x)/4]
		if math.Abs(fast.Low-slow.Low) > 0.08*spread || math.Abs(fast.High-slow.High) > 0.08*spread {
			t.Errorf("p=%v: order-statistic interval %+v, naive resampling %+v", p, fast, slow)
		}
		if q := Quantile(x, p); !(fast.Low <= q && q <= fast.High) {
			t.Errorf("p=%v: interval %+v does not hold the estimate %v", p, fast, q)
		}
	}
}

func TestBootstrapIsReproducible(t *testing.T) {
	x := []float64{5, 1, 9, 3, 7, 2, 8, 6, 4, 10}
	slices.Sort(x)
	a, _ := DefaultBootstrap.QuantileInterval(x, 0.5, "lead_time.median")
	b, _ := DefaultBootstrap.QuantileInterval(x, 0.5, "lead_time.median")
	c, _ := DefaultBootstrap.QuantileInterval(x, 0.5, "other")
	if a != b {
		t.Fatalf("same seed and label gave %+v then %+v", a, b)
	}
	if a == c {
		t.Logf("different labels gave the same interval %+v (possible but unlikely)", a)
	}
}

func TestIntervalsNeedFiveSamples(t *testing.T) {
	if _, ok := DefaultBootstrap.QuantileInterval([]float64{1, 2, 3, 4}, 0.5, "x"); ok {
		t.Error("quantile interval from 4 samples")
	}
	if _, ok := DefaultBootstrap.ProportionInterval(1, 4, "x"); ok {
		t.Error("proportion interval from 4 samples")
	}
	if _, ok := DefaultBootstrap.MeanInterval([]float64{1, 2, 3, 4}, "x"); ok {
		t.Error("mean interval from 4 samples")
	}
}

func TestProportionIntervalCoversRate(t *testing.T) {
	iv, ok := DefaultBootstrap.ProportionInterval(30, 200, "cfr")
	if !ok || !(iv.Low < 0.15 && 0.15 < iv.High) || iv.Low < 0.08 || iv.High > 0.22 {
		t.Fatalf("interval %+v for 30/200", iv)
	}
	if iv, _ := DefaultBootstrap.ProportionInterval(0, 50, "cfr"); iv != (Interval{}) {
		t.Fatalf("0/50 gave %+v, want [0, 0]", iv)
	}
}

func TestMeanIntervalCoversMean(t *testing.T) {
	days := []float64{0, 3, 1, 4, 2, 0, 5, 2, 3, 1, 2, 4, 0, 3}
	iv, ok := DefaultBootstrap.MeanInterval(days, "per_day")
	if !ok || !(iv.Low < 2.142857 && 2.142857 < iv.High) {
		t.Fatalf("interval %+v", iv)
	}
}
