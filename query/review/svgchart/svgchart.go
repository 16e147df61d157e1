// Package svgchart draws the few chart kinds the weekly review needs — a
// line chart with a confidence band, a stacked horizontal bar and a
// sparkline — as self-contained SVG: no scripts, no external fonts or
// styles, colours as attributes so that a printed page keeps them. Every
// chart of the review is one of these, so they all read alike.
package svgchart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Series colours, chosen to stay apart in print and for common colour
// vision deficiencies (Okabe–Ito).
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const (
	axisColour = "#6b6b6b"
	gridColour = "#e3e3e3"
	textColour = "#222222"
	fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
)

// Format renders a value for an axis or a label.
type Format func(float64) string

// Plain formats with up to two significant decimals.
func Plain(v float64) string { return strconv.FormatFloat(round(v), 'f', -1, 64) }

func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	digits := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits < 0 {
		digits = 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// svg is an SVG document under construction.
type svg struct {
	b             strings.Builder
	width, height int
}

func newSVG(width, height int, title, class string) *svg {
	s := &svg{width: width, height: height}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="%s" viewBox="0 0 %d %d" width="100%%" role="img" font-family="%s" font-size="11">`,
		esc(class), width, height, esc(fontFamily))
	if title != "" {
		fmt.Fprintf(&s.b, "<title>%s</title>", esc(title))
	}
	return s
}

func (s *svg) add(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svg) text(x, y float64, anchor, colour, content string) {
	s.add(`<text x="%s" y="%s" text-anchor="%s" fill="%s">%s</text>`, num(x), num(y), anchor, colour, esc(content))
}

func (s *svg) String() string { return s.b.String() + "</svg>" }

// esc escapes text for SVG inside HTML or on its own.
func esc(s string) string { return html.EscapeString(s) }

// num writes a coordinate with at most two decimals.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

// niceCeiling is the smallest 1, 2, 2.5 or 5 × 10ⁿ at or above v, so that
// axes end on a readable number.
func niceCeiling(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= v*(1-1e-12) {
			return m * exp
		}
	}
	return 10 * exp
}
