package judge

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

// noisy draws n points around mu with standard deviation sd; seeds keep the
// samples (and so the tests) fixed.
func noisy(seed uint64, n int, mu, sd float64) Series {
	r := rand.New(rand.NewPCG(seed, 99))
	s := make(Series, n)
	for i := range s {
		s[i] = mu + sd*r.NormFloat64()
	}
	return s
}

// grid is n evenly spaced normal quantiles: a sample with no noise at all,
// for tests that need a p-value at a known place.
func grid(n int, mu, sd float64) Series {
	s := make(Series, n)
	for i := range s {
		s[i] = mu + sd*math.Sqrt2*math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
	}
	return s
}

func zeros(n int) Series { return make(Series, n) }

func nulls(n int) Series {
	s := make(Series, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// healthy is a continuous metric whose canary behaves like its baseline.
func healthy(name string, seed uint64) Metric {
	return Metric{Name: name, Baseline: noisy(seed, 300, 100, 10), Canary: noisy(seed+1000, 300, 100, 10)}
}

// slower is a continuous metric whose canary is 40% higher.
func slower(name string, seed uint64) Metric {
	return Metric{Name: name, Direction: DirectionIncrease, Baseline: noisy(seed, 300, 100, 10), Canary: noisy(seed+1000, 300, 140, 10)}
}

func healthyMetrics(n int) []Metric {
	ms := make([]Metric, n)
	for i := range ms {
		ms[i] = healthy("metric_"+string(rune('a'+i)), uint64(10+i))
	}
	return ms
}

func with(ms []Metric, extra ...Metric) []Metric { return append(slices.Clone(ms), extra...) }

func TestJudgeBehaviour(t *testing.T) {
	borderline := Metric{Name: "borderline", Baseline: grid(50, 100, 10), Canary: grid(50, 106, 10)} // two-sided p ≈ 0.005
	cases := []struct {
		name    string
		req     Request
		verdict Verdict
		rule    string
		classes map[string]Classification
		check   func(t *testing.T, r Result)
	}{
		{
			name:    "canary like its baseline passes",
			req:     Request{Metrics: healthyMetrics(3)},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantScore(t, r, 100) },
		},
		{
			name:    "latency 40% higher fails",
			req:     Request{Metrics: []Metric{slower("latency", 1)}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"latency": ClassHigh},
			check: func(t *testing.T, r Result) {
				wantScore(t, r, 0)
				wantRule(t, r, "latency", RuleAboveTolerance)
			},
		},
		{
			name: "latency 40% lower passes when only an increase fails",
			req: Request{Metrics: []Metric{{Name: "latency", Direction: DirectionIncrease,
				Baseline: noisy(1, 300, 100, 10), Canary: noisy(2, 300, 60, 10)}}},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"latency": ClassPass},
			check:   func(t *testing.T, r Result) { wantRule(t, r, "latency", RuleAllowedByDirection) },
		},
		{
			name: "throughput 40% lower fails when a decrease fails",
			req: Request{Metrics: []Metric{{Name: "throughput", Direction: DirectionDecrease,
				Baseline: noisy(1, 300, 100, 10), Canary: noisy(2, 300, 60, 10)}}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"throughput": ClassLow},
		},
		{
			name: "either direction fails on the side the canary moved",
			req: Request{Metrics: []Metric{{Name: "queue_depth",
				Baseline: noisy(1, 300, 100, 10), Canary: noisy(2, 300, 60, 10)}}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"queue_depth": ClassLow},
			check:   func(t *testing.T, r Result) { wantRule(t, r, "queue_depth", RuleBelowTolerance) },
		},
		{
			// Kayenta's band is 25% of the shift estimate itself, so any
			// significant shift fails there; here the band is 25% of the
			// baseline median.
			name: "a significant shift within the tolerance passes",
			req: Request{Metrics: []Metric{{Name: "latency", Direction: DirectionIncrease,
				Baseline: noisy(1, 1000, 100, 10), Canary: noisy(2, 1000, 105, 10)}}},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"latency": ClassPass},
			check: func(t *testing.T, r Result) {
				e := metric(t, r, "latency").Explanation
				if !(*e.Interval.Lower > 0) {
					t.Errorf("interval %v..%v should exclude 0 for this test to mean anything", *e.Interval.Lower, *e.Interval.Upper)
				}
				wantRule(t, r, "latency", RuleWithinTolerance)
			},
		},
		{
			name: "canary with errors against baseline with none fails",
			req: Request{Metrics: []Metric{{Name: "errors", Kind: KindCount, Direction: DirectionIncrease,
				Baseline: zeros(60), Canary: append(zeros(50), 2, 1, 3, 0, 1, 2, 1, 0, 2, 1)}}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"errors": ClassHigh},
			check: func(t *testing.T, r Result) {
				e := metric(t, r, "errors").Explanation
				if e.Estimate != nil || e.Interval.Upper != nil {
					t.Errorf("rate ratio over no baseline errors is unbounded; got estimate %v, upper %v", e.Estimate, e.Interval.Upper)
				}
				if *e.CanaryEvents != 13 || *e.BaselineEvents != 0 {
					t.Errorf("events %v vs %v, want 13 vs 0", *e.CanaryEvents, *e.BaselineEvents)
				}
			},
		},
		{
			name: "a single canary error against a clean baseline is inconclusive, not a pass",
			req: Request{Metrics: []Metric{{Name: "errors", Kind: KindCount, Direction: DirectionIncrease,
				Baseline: zeros(60), Canary: append(zeros(59), 1)}}},
			verdict: VerdictInconclusive, rule: RuleUnderpowered,
			classes: map[string]Classification{"errors": ClassPass},
		},
		{
			name: "no errors on either side passes",
			req: Request{Metrics: []Metric{{Name: "errors", Kind: KindCount, Direction: DirectionIncrease,
				Baseline: zeros(60), Canary: zeros(60)}}},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantRule(t, r, "errors", RuleNoEvents) },
		},
		{
			name: "error ratio that triples fails",
			req: Request{Metrics: []Metric{{Name: "5xx", Kind: KindRatio, Direction: DirectionIncrease,
				Baseline: repeat(60, 2), BaselineExposure: repeat(60, 1000),
				Canary: repeat(60, 6), CanaryExposure: repeat(60, 1000)}}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"5xx": ClassHigh},
			check: func(t *testing.T, r Result) {
				if got := *metric(t, r, "5xx").Explanation.Estimate; math.Abs(got-3) > 1e-12 {
					t.Errorf("rate ratio %v, want 3", got)
				}
			},
		},
		{
			name: "critical metric failing fails the whole judgment",
			req: Request{Metrics: with(healthyMetrics(9), func() Metric {
				m := slower("p99_latency", 1)
				m.Critical = true
				return m
			}())},
			verdict: VerdictFail, rule: RuleCriticalMetricFailed,
			classes: map[string]Classification{"p99_latency": ClassHigh},
			check: func(t *testing.T, r Result) {
				wantScore(t, r, 0)
				if !metric(t, r, "p99_latency").CriticalFailure {
					t.Error("p99_latency is not marked as the critical failure")
				}
			},
		},
		{
			name: "a critical metric failing below its critical effect size is an ordinary failure",
			req: Request{Metrics: with(healthyMetrics(9), func() Metric {
				m := slower("p99_latency", 1)
				m.Critical = true
				m.EffectSize = &EffectSize{CriticalIncrease: ptr(2)} // fails the judgment only at double
				return m
			}())},
			verdict: VerdictMarginal, rule: RuleScore,
			classes: map[string]Classification{"p99_latency": ClassHigh},
			check:   func(t *testing.T, r Result) { wantScore(t, r, 90) },
		},
		{
			name:    "one failure among twenty metrics still passes",
			req:     Request{Metrics: with(healthyMetrics(19), slower("latency", 1))},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantScore(t, r, 95) },
		},
		{
			name:    "two failures among twenty metrics are marginal",
			req:     Request{Metrics: with(healthyMetrics(18), slower("latency", 1), slower("cpu", 2))},
			verdict: VerdictMarginal, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantScore(t, r, 90) },
		},
		{
			name: "muted metric does not affect score",
			req: Request{Metrics: with(healthyMetrics(2), func() Metric {
				m := slower("experimental", 1)
				m.Muted = true
				m.Critical = true
				return m
			}())},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"experimental": ClassHigh},
			check: func(t *testing.T, r Result) {
				wantScore(t, r, 100)
				if m := metric(t, r, "experimental"); !m.Muted || m.CriticalFailure {
					t.Errorf("muted critical metric: muted=%v critical_failure=%v", m.Muted, m.CriticalFailure)
				}
			},
		},
		{
			name: "metric that must have data fails the judgment without it",
			req: Request{Metrics: with(healthyMetrics(3),
				Metric{Name: "requests", MustHaveData: true, Baseline: noisy(1, 60, 500, 20), Canary: nulls(60)})},
			verdict: VerdictFail, rule: RuleRequiredDataMissing,
			classes: map[string]Classification{"requests": ClassNoData},
			check:   func(t *testing.T, r Result) { wantScore(t, r, 0) },
		},
		{
			name: "critical metric without data fails the judgment",
			req: Request{Metrics: with(healthyMetrics(3),
				Metric{Name: "errors", Critical: true, Baseline: noisy(1, 60, 5, 1), Canary: Series{}})},
			verdict: VerdictFail, rule: RuleRequiredDataMissing,
		},
		{
			name: "metric without data is left out of the score",
			req: Request{Metrics: with(healthyMetrics(3),
				Metric{Name: "optional", Baseline: noisy(1, 60, 500, 20), Canary: Series{}})},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"optional": ClassNoData},
			check:   func(t *testing.T, r Result) { wantScore(t, r, 100) },
		},
		{
			name: "no data at all is inconclusive",
			req: Request{Metrics: []Metric{
				{Name: "a", Baseline: nulls(10), Canary: nulls(10)},
				{Name: "b", Baseline: Series{}, Canary: Series{}},
			}},
			verdict: VerdictInconclusive, rule: RuleNoData,
		},
		{
			name: "too few points is inconclusive not pass",
			req: Request{Metrics: []Metric{{Name: "latency",
				Baseline: Series{101, 97, 104, 99}, Canary: Series{98, 103, 100, 102}}}},
			verdict: VerdictInconclusive, rule: RuleUnderpowered,
			classes: map[string]Classification{"latency": ClassPass},
			check: func(t *testing.T, r Result) {
				if e := metric(t, r, "latency").Explanation; !e.Underpowered || e.Power == nil || *e.Power >= 0.8 {
					t.Errorf("4 points a side: underpowered=%v power=%v", e.Underpowered, e.Power)
				}
			},
		},
		{
			name: "min_power 0 accepts a pass on few points",
			req: Request{Config: Config{MinPower: ptr(0)}, Metrics: []Metric{{Name: "latency",
				Baseline: Series{101, 97, 104, 99}, Canary: Series{98, 103, 100, 102}}}},
			verdict: VerdictPass, rule: RuleScore,
		},
		{
			name: "missing points replaced by zero count as data",
			req: Request{Metrics: []Metric{{Name: "throughput", NaNStrategy: NaNReplace,
				Baseline: noisy(1, 60, 500, 20), Canary: nulls(60)}}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"throughput": ClassLow},
		},
		{
			name: "an effect size below the allowed bound passes",
			req: Request{Metrics: []Metric{func() Metric {
				m := slower("latency", 1)
				m.EffectSize = &EffectSize{AllowedIncrease: ptr(1.5)} // only a 50% increase fails
				return m
			}()}},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantRule(t, r, "latency", RuleEffectWithinBounds) },
		},
		{
			name: "a CLES bound is applied as CLES",
			req: Request{Metrics: []Metric{func() Metric {
				m := slower("latency", 1)
				m.EffectSize = &EffectSize{Measure: MeasureCLES, AllowedIncrease: ptr(0.9)}
				return m
			}()}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"latency": ClassHigh},
			check: func(t *testing.T, r Result) {
				if c := *metric(t, r, "latency").Explanation.CLES; !(c > 0.9) {
					t.Errorf("CLES %v; a 40%% shift at this spread should put it above 0.9", c)
				}
			},
		},
		{
			name: "Holm keeps a lone borderline metric among twenty from failing",
			req: Request{Config: Config{Tolerance: ptr(0)}, Metrics: with(func() []Metric {
				ms := make([]Metric, 19)
				for i := range ms {
					ms[i] = Metric{Name: "steady_" + string(rune('a'+i)), Baseline: grid(50, 100, 10), Canary: grid(50, 100, 10)}
				}
				return ms
			}(), borderline)},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"borderline": ClassPass},
			check: func(t *testing.T, r Result) {
				e := metric(t, r, "borderline").Explanation
				if !(*e.PValue < 0.02 && *e.AdjustedPValue > 0.02) {
					t.Errorf("p %v adjusted %v: want p below α and adjusted above", *e.PValue, *e.AdjustedPValue)
				}
			},
		},
		{
			name:    "without adjustment the same borderline metric fails",
			req:     Request{Config: Config{Tolerance: ptr(0), MultipleComparisons: AdjustNone}, Metrics: []Metric{borderline}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"borderline": ClassHigh},
		},
		{
			name: "an early look of a sequential plan needs stronger evidence",
			req: Request{Config: Config{Tolerance: ptr(0)}, Metrics: []Metric{borderline},
				Sequential: &Sequential{Look: 1, TotalLooks: 5}},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"borderline": ClassPass},
			check: func(t *testing.T, r Result) {
				if r.Look == nil || !(r.Look.NominalAlpha < 1e-6) || r.Config.Alpha != r.Look.NominalAlpha {
					t.Errorf("look 1 of 5 should run at a tiny nominal level; look %+v, alpha %v", r.Look, r.Config.Alpha)
				}
			},
		},
		{
			// Look 1 of 50 runs at α ≈ 1e-73: even a 40% regression does
			// not clear it yet, but the metric is still measured.
			name: "the first look of a long plan asks for overwhelming evidence",
			req: Request{Metrics: []Metric{slower("latency", 1)},
				Sequential: &Sequential{Look: 1, TotalLooks: 50}},
			verdict: VerdictPass, rule: RuleScore,
			classes: map[string]Classification{"latency": ClassPass},
			check: func(t *testing.T, r Result) {
				m := metric(t, r, "latency")
				if iv := m.Explanation.Interval; iv.Lower == nil || !(iv.Level < 1) || !(*iv.Lower > 0) {
					t.Errorf("interval %+v: want one above 0, at a level below 1", iv)
				}
				if !strings.Contains(m.Reason, "(1 − ") {
					t.Errorf("reason %q should not round the level to 100%%", m.Reason)
				}
			},
		},
		{
			name: "the last look of a sequential plan runs near the fixed level",
			req: Request{Config: Config{Tolerance: ptr(0)}, Metrics: []Metric{borderline},
				Sequential: &Sequential{Look: 5, TotalLooks: 5}},
			verdict: VerdictFail, rule: RuleScore,
			classes: map[string]Classification{"borderline": ClassHigh},
		},
		{
			name: "group weights weigh the score",
			req: Request{Config: Config{GroupWeights: map[string]float64{"latency": 3, "errors": 1}}, Metrics: []Metric{
				withGroup(healthy("p50", 1), "latency"), withGroup(healthy("p99", 2), "latency"),
				withGroup(slower("5xx", 3), "errors"),
			}},
			verdict: VerdictMarginal, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantScore(t, r, 75) },
		},
		{
			name:    "thresholds are configurable",
			req:     Request{Config: Config{Thresholds: Thresholds{Pass: ptr(50), Marginal: ptr(25)}}, Metrics: with(healthyMetrics(1), slower("latency", 1))},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) { wantScore(t, r, 50) },
		},
		{
			name: "outlier removal drops points outside the fences",
			req: Request{Metrics: []Metric{{Name: "latency", Outliers: &Outliers{Strategy: OutliersRemove},
				Baseline: with1(noisy(1, 100, 100, 5), 10000), Canary: with1(noisy(2, 100, 100, 5), 9000, 12000)}}},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) {
				e := metric(t, r, "latency").Explanation
				if e.DroppedBaseline != 1 || e.DroppedCanary != 2 || e.NBaseline != 100 || e.NCanary != 100 {
					t.Errorf("dropped %d/%d, kept %d/%d; want 1/2 dropped, 100/100 kept", e.DroppedBaseline, e.DroppedCanary, e.NBaseline, e.NCanary)
				}
			},
		},
		{
			name:    "identical samples pass",
			req:     Request{Metrics: []Metric{{Name: "cpu", Baseline: noisy(5, 200, 2, 0.1), Canary: noisy(5, 200, 2, 0.1)}}},
			verdict: VerdictPass, rule: RuleScore,
			check: func(t *testing.T, r Result) {
				if e := metric(t, r, "cpu").Explanation; *e.Estimate != 0 || *e.PValue != 1 {
					t.Errorf("identical samples: estimate %v, p %v; want 0 and 1", *e.Estimate, *e.PValue)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Judge(c.req)
			if err != nil {
				t.Fatalf("Judge: %v", err)
			}
			if r.Verdict != c.verdict || r.Rule != c.rule {
				t.Errorf("verdict %s by rule %s (%s); want %s by rule %s", r.Verdict, r.Rule, r.Reason, c.verdict, c.rule)
			}
			for name, want := range c.classes {
				if got := metric(t, r, name); got.Classification != want {
					t.Errorf("%s classified %s by %s (%s); want %s", name, got.Classification, got.Rule, got.Reason, want)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
		})
	}
}

func repeat(n int, v float64) Series {
	s := make(Series, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func with1(s Series, extra ...float64) Series { return append(slices.Clone(s), extra...) }

func withGroup(m Metric, g string) Metric { m.Group = g; return m }

func metric(t *testing.T, r Result, name string) MetricResult {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no metric %q in the result", name)
	return MetricResult{}
}

func wantScore(t *testing.T, r Result, want float64) {
	t.Helper()
	if r.Score != want {
		t.Errorf("score %v, want %v (%s)", r.Score, want, r.Reason)
	}
}

func wantRule(t *testing.T, r Result, name, rule string) {
	t.Helper()
	if m := metric(t, r, name); m.Rule != rule {
		t.Errorf("%s decided by %s (%s); want %s", name, m.Rule, m.Reason, rule)
	}
}

// The payloads under testdata/judgments are requests as a pipeline would
// send them, each with the verdict it must get.
func TestJudgmentsFromTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "judgments", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var tc struct {
				Expect struct {
					Verdict Verdict  `json:"verdict"`
					Rule    string   `json:"rule"`
					Failing []string `json:"failing"`
				} `json:"expect"`
				Request Request `json:"request"`
			}
			if err := json.Unmarshal(b, &tc); err != nil {
				t.Fatal(err)
			}
			r, err := Judge(tc.Request)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.Expect.Verdict || r.Rule != tc.Expect.Rule {
				t.Errorf("verdict %s by %s (%s); want %s by %s", r.Verdict, r.Rule, r.Reason, tc.Expect.Verdict, tc.Expect.Rule)
			}
			var failing []string
			for _, m := range r.Metrics {
				if m.Classification == ClassHigh || m.Classification == ClassLow {
					failing = append(failing, m.Name)
				}
			}
			if tc.Expect.Failing != nil && !slices.Equal(failing, tc.Expect.Failing) {
				t.Errorf("failing metrics %v, want %v", failing, tc.Expect.Failing)
			}
			if tc.Expect.Verdict == VerdictPass && len(failing) > 0 {
				t.Errorf("a passing release with failing metrics %v", failing)
			}
		})
	}
}

func TestResultReportsEffectiveConfig(t *testing.T) {
	r, err := Judge(Request{Metrics: healthyMetrics(1)})
	if err != nil {
		t.Fatal(err)
	}
	level := 0.98
	want := EffectiveConfig{ConfidenceLevel: level, Tolerance: 0.25, PassThreshold: 95, MarginalThreshold: 75,
		MinPower: 0.8, MultipleComparisons: AdjustHolm, Alpha: 1 - level}
	if r.Config.ConfidenceLevel != want.ConfidenceLevel || r.Config.Tolerance != want.Tolerance ||
		r.Config.PassThreshold != want.PassThreshold || r.Config.MarginalThreshold != want.MarginalThreshold ||
		r.Config.MinPower != want.MinPower || r.Config.MultipleComparisons != want.MultipleComparisons || r.Config.Alpha != want.Alpha {
		t.Errorf("effective config %+v, want %+v", r.Config, want)
	}
}

func TestJudgeDoesNotModifyTheRequest(t *testing.T) {
	m := Metric{Name: "latency", Baseline: Series{3, 1, math.NaN(), 2}, Canary: Series{9, 7, 8}}
	before := slices.Clone(m.Baseline)
	if _, err := Judge(Request{Metrics: []Metric{m}}); err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if before[i] != m.Baseline[i] && !(math.IsNaN(before[i]) && math.IsNaN(m.Baseline[i])) {
			t.Fatalf("baseline changed: %v → %v", before, m.Baseline)
		}
	}
}

// The HTTP layer judges requests concurrently; the only shared state is
// the memo of sequential plans (run with -race).
func TestJudgeIsSafeForConcurrentUse(t *testing.T) {
	done := make(chan Verdict)
	for i := range 4 {
		go func() {
			r, err := Judge(Request{Metrics: healthyMetrics(2), Sequential: &Sequential{Look: 1 + i%3, TotalLooks: 3 + i%2}})
			if err != nil {
				t.Error(err)
			}
			done <- r.Verdict
		}()
	}
	for range 4 {
		if v := <-done; v != VerdictPass {
			t.Errorf("verdict %s", v)
		}
	}
}
