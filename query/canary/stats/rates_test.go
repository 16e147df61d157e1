package stats

import (
	"math"
	"testing"
)

func TestRateIntervalIsDualToOneSidedTests(t *testing.T) {
	// Clopper–Pearson: at the lower limit the one-sided p-value of "ratio ≤
	// limit" is exactly α/2, and likewise at the upper limit.
	for _, c := range []struct{ ce, ct, be, bt float64 }{
		{12, 60, 3, 60}, {5, 100, 3, 100}, {130, 1e5, 95, 9.8e4}, {40, 20, 90, 60},
	} {
		const level = 0.98
		rc, err := CompareRates(c.ce, c.ct, c.be, c.bt, level)
		if err != nil {
			t.Fatal(err)
		}
		if p := RateRatioPValue(c.ce, c.ct, c.be, c.bt, rc.Lower, Greater); math.Abs(p-0.01) > 1e-9 {
			t.Errorf("%v: p-value at the lower limit %v is %v, want 0.01", c, rc.Lower, p)
		}
		if p := RateRatioPValue(c.ce, c.ct, c.be, c.bt, rc.Upper, Less); math.Abs(p-0.01) > 1e-9 {
			t.Errorf("%v: p-value at the upper limit %v is %v, want 0.01", c, rc.Upper, p)
		}
	}
}

func TestCanaryErrorsAgainstCleanBaseline(t *testing.T) {
	rc, err := CompareRates(12, 60, 0, 60, 0.98)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(rc.RateRatio, 1) || !math.IsInf(rc.Upper, 1) {
		t.Errorf("ratio %v, upper %v: want +Inf for both", rc.RateRatio, rc.Upper)
	}
	if !(rc.Lower > 1.25) {
		t.Errorf("12 errors against none: lower limit %v should clear a 25%% tolerance", rc.Lower)
	}
	one, _ := CompareRates(1, 60, 0, 60, 0.98)
	if one.Lower > 1 {
		t.Errorf("a single error is not evidence of a higher rate, yet lower limit is %v", one.Lower)
	}
	if p := RatePower(1, 60, 60, 1.25, 0.02); p > 0.1 {
		t.Errorf("power with one event is %v; it must be low", p)
	}
}

func TestCompareRatesRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name           string
		ce, ct, be, bt float64
	}{
		{"negative events", -1, 10, 2, 10},
		{"fractional events", 1.5, 10, 2, 10},
		{"zero exposure", 1, 0, 2, 10},
		{"no events", 0, 10, 0, 10},
	} {
		if _, err := CompareRates(c.ce, c.ct, c.be, c.bt, 0.95); err == nil {
			t.Errorf("%s: want an error", c.name)
		}
	}
}

func TestDbinomIsANormalisedPMF(t *testing.T) {
	for _, c := range []struct{ n, p float64 }{{10, 0.3}, {1000, 0.01}, {5e5, 0.5}} {
		var s float64
		for x := 0.0; x <= c.n; x++ {
			s += dbinom(x, c.n, c.p)
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("Σ dbinom(·, %v, %v) = %v", c.n, c.p, s)
		}
	}
}
