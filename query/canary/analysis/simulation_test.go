package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/deploylens/deploylens/query/canary/judge"
)

// simulate runs analyses of 3 looks × 10 steps, judging each step's p99-like
// latency (lognormal) as the runner does (cumulative samples, sequential
// plan, early stop by Decide), and returns the share that failed.
func simulate(t *testing.T, runs int, canaryFactor float64, cfg *Config, seed uint64) float64 {
	t.Helper()
	const looks, stepsPerLook = 3, 10
	rng := rand.New(rand.NewPCG(seed, 1))
	failed := 0
	for range runs {
		n := looks * stepsPerLook
		base, canary := make(judge.Series, n), make(judge.Series, n)
		for i := range n {
			base[i] = 120 * math.Exp(0.15*rng.NormFloat64())
			canary[i] = canaryFactor * 120 * math.Exp(0.15*rng.NormFloat64())
		}
		for k := 1; k <= looks; k++ {
			m := cfg.Metrics[0].judgeMetric(samples{baseline: base[:k*stepsPerLook], canary: canary[:k*stepsPerLook]})
			res, err := JudgeSamples(cfg, []judge.Metric{m}, k, looks)
			if err != nil {
				t.Fatal(err)
			}
			if final, _ := Decide(res, k, looks); final {
				if res.Verdict == judge.VerdictFail {
					failed++
				}
				break
			}
		}
	}
	return float64(failed) / float64(runs)
}

func latencyConfig(tolerance float64) *Config {
	return &Config{
		Judge:   judge.Config{Tolerance: &tolerance},
		Metrics: []Metric{{Name: "latency_p99", Source: SourceSpanLatency, JudgeOptions: JudgeOptions{Direction: judge.DirectionIncrease}}},
	}
}

// Over many A/A analyses (baseline and canary from one distribution), the
// share that fails at any of the looks stays at or below α = 1 −
// confidence_level, even at zero tolerance where every look can fail.
func TestAAAnalysesFailAtMostAlpha(t *testing.T) {
	const runs, alpha = 2000, 0.02
	for _, tol := range []float64{0, 0.25} {
		rate := simulate(t, runs, 1, latencyConfig(tol), 11)
		// α plus three binomial standard errors of the simulation.
		limit := alpha + 3*math.Sqrt(alpha*(1-alpha)/runs)
		t.Logf("A/A, tolerance %v: false-failure rate %.4f over %d analyses of 3 looks (α %.2f)", tol, rate, runs, alpha)
		if rate > limit {
			t.Errorf("tolerance %v: false-failure rate %.4f exceeds α %.2f (limit %.4f with simulation error)", tol, rate, alpha, limit)
		}
	}
}

// With a 10% latency regression injected, the failure rate is the power.
// At Kayenta's tolerance of 25% a 10% change is allowed by design, so it
// must rarely fail; the tighter the tolerance, the more often it is caught.
// (With a per-step spread of 15% and 30 points a side, a tolerance-0 test
// at α = 0.02 has power of about one half; more steps raise it.)
func TestTenPercentRegressionPower(t *testing.T) {
	const runs = 1000
	allowed := simulate(t, runs, 1.10, latencyConfig(0.25), 12)
	strict := simulate(t, runs, 1.10, latencyConfig(0.05), 13)
	zero := simulate(t, runs, 1.10, latencyConfig(0), 14)
	t.Logf("10%% regression, 3 looks × 10 points a side: failure rate %.3f at tolerance 0.25, %.3f at 0.05, %.3f at 0", allowed, strict, zero)
	if allowed > 0.05 {
		t.Errorf("tolerance 0.25 fails a 10%% change %.3f of the time; it is inside the tolerance", allowed)
	}
	if !(zero >= 0.4 && zero > strict && strict > allowed) {
		t.Errorf("power %.3f at tolerance 0, %.3f at 0.05, %.3f at 0.25: want ≥ 0.4 at 0 and falling with the tolerance", zero, strict, allowed)
	}
}
