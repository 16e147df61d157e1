package plugin

import (
	"testing"
	"time"
)

func TestSeriesStepFollowsThePanelIntervalWithinThePointLimit(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name     string
		step     string
		interval time.Duration
		span     time.Duration
		want     string
	}{
		{"a month at an hourly interval is daily", "auto", time.Hour, 30 * day, "day"},
		{"a panel min interval of a week is weekly", "auto", 7 * day, 90 * day, "week"},
		{"two years at an hourly interval is weekly: 730 days exceed 400 points", "auto", time.Hour, 730 * day, "week"},
		{"ten years is monthly", "auto", time.Hour, 3650 * day, "month"},
		{"an interval past a week is monthly", "", 8 * day, 90 * day, "month"},
		{"an explicit step wins", "month", time.Minute, 7 * day, "month"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := seriesStep(tc.step, tc.interval, tc.span)
			if err != nil || got != tc.want {
				t.Fatalf("seriesStep(%q, %v, %v) = %q, %v; want %q", tc.step, tc.interval, tc.span, got, err, tc.want)
			}
		})
	}
	if _, err := seriesStep("fortnight", time.Hour, day); err == nil {
		t.Fatal("an unknown step was accepted")
	}
}

func TestAllIsNoFilter(t *testing.T) {
	for in, want := range map[string]string{"": "", "*": "", "$__all": "", "All": "", " payments ": "payments", "all-stars": "all-stars"} {
		if got := unfiltered(in); got != want {
			t.Errorf("unfiltered(%q) = %q, want %q", in, got, want)
		}
	}
}
