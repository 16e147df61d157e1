package review

import (
	"strings"
	"testing"
	"time"
)

func TestParseWeek(t *testing.T) {
	for _, tc := range []struct {
		in         string
		start, end string
		err        string
	}{
		{"2026-W10", "2026-03-02", "2026-03-09", ""},
		{"2026-W01", "2025-12-29", "2026-01-05", ""}, // week 1 holds 4 January, so it may start in December
		{"2020-W53", "2020-12-28", "2021-01-04", ""}, // a 53-week year
		{"2027-W53", "", "", "2027 has weeks 01 to 52"},
		{"2026-W00", "", "", "2026 has weeks 01 to 53"},
		{"2026-10", "", "", "not an ISO week"},
		{"2026-w10", "", "", "not an ISO week"},
		{"2026-W1", "", "", "not an ISO week"},
		{"", "", "", "not an ISO week"},
	} {
		w, err := ParseWeek(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseWeek(%q) = %v, %v; want an error saying %q", tc.in, w, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseWeek(%q): %v", tc.in, err)
			continue
		}
		if got := w.Start().Format(time.DateOnly); got != tc.start {
			t.Errorf("%s starts %s, want %s", tc.in, got, tc.start)
		}
		if got := w.End().Format(time.DateOnly); got != tc.end {
			t.Errorf("%s ends %s, want %s", tc.in, got, tc.end)
		}
		if w.String() != tc.in || WeekOf(w.Start()) != w || WeekOf(w.End().Add(-time.Nanosecond)) != w {
			t.Errorf("%s does not round-trip: %s", tc.in, w)
		}
	}
}

func TestWeekArithmetic(t *testing.T) {
	w := Week{2026, 1}
	if got := w.Add(-1).String(); got != "2025-W52" {
		t.Errorf("the week before 2026-W01 is %s, want 2025-W52", got)
	}
	if got := (Week{2020, 53}).Add(1).String(); got != "2021-W01" {
		t.Errorf("the week after 2020-W53 is %s", got)
	}
	// Sunday night still belongs to the week; Monday 00:00 starts the next.
	now := time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC)
	if got := LastCompleteWeek(now).String(); got != "2026-W09" {
		t.Errorf("on Sunday of 2026-W10 the last complete week is %s, want 2026-W09", got)
	}
	if got := LastCompleteWeek(now.Add(time.Minute)).String(); got != "2026-W10" {
		t.Errorf("on Monday of 2026-W11 the last complete week is %s, want 2026-W10", got)
	}
	// Another time zone's Monday is still the UTC week.
	if got := WeekOf(time.Date(2026, 3, 9, 0, 30, 0, 0, time.FixedZone("CET", 3600))).String(); got != "2026-W10" {
		t.Errorf("Monday 00:30 CET (Sunday 23:30 UTC) is in %s, want 2026-W10", got)
	}
}
