package review

import "testing"

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Duration(30), "30 s"},
		{Duration(1809.4), "30 min"},
		{Duration(11506.6), "3.2 h"},
		{Duration(338183.6), "3.9 d"},
		{Percent(0.8887), "89%"},
		{Percent(0.045), "4.5%"},
		{Percent(0), "0%"},
		{Percent(0.25), "25%"},
		{PerDay(3.142857), "3.1/day"},
		{PerDay(0.05), "0.05/day"},
		{PValue(0.0004), "< 0.001"},
		{PValue(0.0213), "0.021"},
		{SegmentName("ci queue wait"), "CI queue wait"},
		{SegmentName("review pickup wait"), "Review pickup wait"},
		{(&Metric{Unit: UnitRatio}).FormatChange(-0.05), "−5 pts"},
		{(&Metric{Unit: UnitSeconds}).FormatChange(7200), "+2.0 h"},
		{plural(1, "{n} change{s} give{!s} {its|their} time"), "1 change gives its time"},
		{plural(3, "{n} change{s} give{!s} {its|their} time"), "3 changes give their time"},
		{plural(0, "{n} {entity has|entities have}"), "0 entities have"},
		{Week{2026, 10}.Dates(), "Mon 2 Mar – Sun 8 Mar 2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
