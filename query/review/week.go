package review

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Week is an ISO 8601 week: Monday 00:00 UTC to the next Monday.
type Week struct {
	Year, Number int
}

var weekPattern = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseWeek reads a week written as ISO 8601 does: 2026-W10.
func ParseWeek(s string) (Week, error) {
	m := weekPattern.FindStringSubmatch(s)
	if m == nil {
		return Week{}, fmt.Errorf("%q is not an ISO week such as 2026-W10", s)
	}
	year, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	if max := weeksIn(year); n < 1 || n > max {
		return Week{}, fmt.Errorf("%q: %d has weeks 01 to %d", s, year, max)
	}
	return Week{Year: year, Number: n}, nil
}

// WeekOf returns the week holding t.
func WeekOf(t time.Time) Week {
	y, n := t.UTC().ISOWeek()
	return Week{Year: y, Number: n}
}

// LastCompleteWeek is the week before the one holding now.
func LastCompleteWeek(now time.Time) Week { return WeekOf(now).Add(-1) }

// weeksIn counts a year's ISO weeks: 28 December is always in its last.
func weeksIn(year int) int {
	_, n := time.Date(year, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return n
}

// Start is the week's Monday, 00:00 UTC.
func (w Week) Start() time.Time {
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w.Number-1))
}

// End is the next week's Monday, 00:00 UTC.
func (w Week) End() time.Time { return w.Start().AddDate(0, 0, 7) }

// Add returns the week n weeks later (earlier when n < 0).
func (w Week) Add(n int) Week { return WeekOf(w.Start().AddDate(0, 0, 7*n)) }

func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Number) }

// MarshalText writes the week as 2026-W10.
func (w Week) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads a week written as 2026-W10.
func (w *Week) UnmarshalText(b []byte) error {
	v, err := ParseWeek(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}
