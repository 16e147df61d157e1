package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSingleLookSpendsEverythingAtOnce(t *testing.T) {
	b, err := SpendingBoundary(1, 1, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(b.Z-1.959963984540054) > 1e-12 || math.Abs(b.NominalAlpha-0.05) > 1e-12 {
		t.Errorf("one look: z %v nominal %v, want 1.96 and 0.05", b.Z, b.NominalAlpha)
	}
}

func TestBoundariesFallTowardsTheFixedSampleValue(t *testing.T) {
	prev := math.Inf(1)
	for k := 1; k <= 8; k++ {
		b, err := SpendingBoundary(k, 8, 0.02)
		if err != nil {
			t.Fatal(err)
		}
		if !(b.Z < prev) {
			t.Errorf("look %d: z %v did not fall below %v", k, b.Z, prev)
		}
		prev = b.Z
	}
	last, _ := SpendingBoundary(8, 8, 0.02)
	fixed := normalQuantile(0.01, true)
	if !(last.Z > fixed && last.Z < fixed+0.3) {
		t.Errorf("last look z %v, want a little above the fixed-sample %v", last.Z, fixed)
	}
	if math.Abs(last.CumulativeAlpha-0.02) > 1e-15 {
		t.Errorf("cumulative alpha at the end %v, want 0.02", last.CumulativeAlpha)
	}
}

func TestSpendingBoundaryRejectsBadPlans(t *testing.T) {
	for _, c := range []struct {
		look, total int
		alpha       float64
	}{{0, 5, 0.05}, {6, 5, 0.05}, {1, 0, 0.05}, {1, MaxLooks + 1, 0.05}, {1, 5, 0}, {1, 5, 1}} {
		if _, err := SpendingBoundary(c.look, c.total, c.alpha); err == nil {
			t.Errorf("SpendingBoundary(%d, %d, %v): want an error", c.look, c.total, c.alpha)
		}
	}
}

// Five looks at a growing canary that is no different from its baseline:
// judging every look at the fixed level fails far more often than alpha; the
// spending boundaries hold the overall false-failure rate at alpha.
func TestRepeatedLooksKeepFalseFailuresAtAlpha(t *testing.T) {
	const looks, perLook, alpha, trials = 5, 30, 0.05, 2000
	r := rand.New(rand.NewPCG(7, 8))
	var naive, spent int
	for range trials {
		canary := make([]float64, 0, looks*perLook)
		baseline := make([]float64, 0, looks*perLook)
		failedNaive, failedSpent := false, false
		for k := 1; k <= looks; k++ {
			for range perLook {
				canary = append(canary, r.ExpFloat64())
				baseline = append(baseline, r.ExpFloat64())
			}
			s, _ := NewTwoSample(canary, baseline)
			p := s.test0().PValue
			b, _ := SpendingBoundary(k, looks, alpha)
			failedNaive = failedNaive || p <= alpha
			failedSpent = failedSpent || p <= b.NominalAlpha
		}
		if failedNaive {
			naive++
		}
		if failedSpent {
			spent++
		}
	}
	naiveRate, spentRate := float64(naive)/trials, float64(spent)/trials
	// Binomial noise at 2000 trials is about ±0.005 around 0.05.
	if spentRate > alpha+0.018 || spentRate < alpha-0.025 {
		t.Errorf("with spending, %.3f of null canaries failed at some look; want about %.2f", spentRate, alpha)
	}
	if naiveRate < 0.1 {
		t.Errorf("without spending only %.3f failed; the test no longer shows the problem it guards", naiveRate)
	}
	t.Logf("false-failure rate over %d looks: %.3f unadjusted, %.3f with O'Brien–Fleming spending", looks, naiveRate, spentRate)
}
