package review

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Duration writes seconds as a person reads them: 45 s, 12 min, 3.2 h, 2.1 d.
func Duration(seconds float64) string {
	switch a := math.Abs(seconds); {
	case a < 90:
		return fmt.Sprintf("%.0f s", seconds)
	case a < 90*60:
		return fmt.Sprintf("%.0f min", seconds/60)
	case a < 48*3600:
		return fmt.Sprintf("%.1f h", seconds/3600)
	}
	return fmt.Sprintf("%.1f d", seconds/86400)
}

// Percent writes a ratio as a percentage: 0.1234 → 12.3%, 0.61 → 61%.
func Percent(ratio float64) string {
	p := ratio * 100
	if p != math.Trunc(p) && math.Abs(p) < 10 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// PerDay writes a daily rate: 2.43 → 2.4/day.
func PerDay(v float64) string {
	if v != 0 && math.Abs(v) < 0.1 {
		return fmt.Sprintf("%.2f/day", v)
	}
	return fmt.Sprintf("%.1f/day", v)
}

// PValue writes a test's p-value.
func PValue(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// Format writes one of the metric's values in its unit.
func (m *Metric) Format(v float64) string {
	switch m.Unit {
	case UnitPerDay:
		return PerDay(v)
	case UnitSeconds:
		return Duration(v)
	case UnitRatio:
		return Percent(v)
	}
	return fmt.Sprint(v)
}

// FormatChange writes a change of the metric's value, signed.
func (m *Metric) FormatChange(v float64) string {
	sign := "+"
	if v < 0 {
		sign, v = "−", -v
	}
	if m.Unit == UnitRatio {
		return sign + strings.TrimSuffix(Percent(v), "%") + " pts"
	}
	return sign + m.Format(v)
}

// SegmentName writes a wait segment's name to start a sentence.
func SegmentName(name string) string {
	if rest, ok := strings.CutPrefix(name, "ci "); ok {
		return "CI " + rest
	}
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// Day writes a time as a short UTC date and time.
func Day(t time.Time) string { return t.UTC().Format("Mon 2 Jan 15:04") }

// Dates writes the week's span: Mon 2 Mar – Sun 8 Mar 2026.
func (w Week) Dates() string {
	return w.Start().Format("Mon 2 Jan") + " – " + w.End().AddDate(0, 0, -1).Format("Mon 2 Jan 2006")
}

var pluralForms = regexp.MustCompile(`\{(n|s|!s|[^{}|]*\|[^{}]*)\}`)

// plural fills a sentence about n things: {n} is n, {s} an "s" when n is
// not 1, {!s} one when it is (a verb's), and {one|many} picks a form.
func plural(n int, text string) string {
	return pluralForms.ReplaceAllStringFunc(text, func(m string) string {
		m = m[1 : len(m)-1]
		switch m {
		case "n":
			return fmt.Sprint(n)
		case "s":
			if n == 1 {
				return ""
			}
			return "s"
		case "!s":
			if n == 1 {
				return "s"
			}
			return ""
		}
		one, many, _ := strings.Cut(m, "|")
		if n == 1 {
			return one
		}
		return many
	})
}
