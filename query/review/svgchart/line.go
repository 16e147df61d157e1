package svgchart

import (
	"cmp"
	"math"
)

// Point is one step of a line: its label and value, and the value's
// confidence interval [Low, High]. A nil Value is a gap in the line; a nil
// Low or High draws no band there.
type Point struct {
	Label            string
	Value, Low, High *float64
}

// LineChart is one series over evenly spaced steps, drawn as a line over
// its confidence band, on an axis starting at zero.
type LineChart struct {
	Title  string
	Points []Point
	// Format renders the axis' values (Plain if nil).
	Format Format
	// EmphasizeLast marks the last step (the week under review).
	EmphasizeLast bool
	// Width and Height of the drawing (320 × 170 if zero); it scales to
	// its container.
	Width, Height int
	Colour        string
	// Empty is written across a chart without a single value.
	Empty string
}

const (
	lineLeft, lineRight, lineTop, lineBottom = 48.0, 12.0, 10.0, 24.0
	minLabelSpacing                          = 38.0
)

// SVG draws the chart.
func (c LineChart) SVG() string {
	w, h, colour := cmp.Or(c.Width, 320), cmp.Or(c.Height, 170), cmp.Or(c.Colour, Palette[0])
	format := c.Format
	if format == nil {
		format = Plain
	}
	s := newSVG(w, h, c.Title, "chart line-chart")
	plotW, plotH := float64(w)-lineLeft-lineRight, float64(h)-lineTop-lineBottom

	top, step := axisRange(c.Points)
	y := func(v float64) float64 { return lineTop + plotH*(1-v/top) }
	n := len(c.Points)
	x := func(i int) float64 {
		if n <= 1 {
			return lineLeft + plotW/2
		}
		return lineLeft + plotW*float64(i)/float64(n-1)
	}

	// Grid and the value axis.
	for v := 0.0; v <= top*(1+1e-9); v += step {
		s.add(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
			num(lineLeft), num(lineLeft+plotW), num(y(v)), num(y(v)), gridColour)
		s.text(lineLeft-5, y(v)+3.5, "end", axisColour, format(v))
	}
	s.add(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		num(lineLeft), num(lineLeft+plotW), num(y(0)), num(y(0)), axisColour)

	// Step labels, thinned to fit; the last always shows.
	every := 1
	if n > 1 {
		every = int(math.Ceil(minLabelSpacing / (plotW / float64(n-1))))
	}
	for i, p := range c.Points {
		if p.Label == "" || (i%every != 0 && i != n-1) || (i != n-1 && n-1-i < every && n-1-i > 0) {
			continue
		}
		s.text(x(i), float64(h)-8, "middle", axisColour, p.Label)
	}

	if !hasValue(c.Points) {
		if c.Empty != "" {
			s.text(lineLeft+plotW/2, lineTop+plotH/2, "middle", axisColour, c.Empty)
		}
		return s.String()
	}

	// The band, one polygon per run of steps with an interval.
	for _, run := range runs(c.Points, func(p Point) bool { return p.Low != nil && p.High != nil }) {
		if len(run) == 1 {
			i := run[0]
			s.add(`<line class="band" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-opacity="0.35" stroke-width="6"/>`,
				num(x(i)), num(x(i)), num(y(*c.Points[i].Low)), num(y(*c.Points[i].High)), colour)
			continue
		}
		var d []byte
		for k, i := range run {
			d = appendPoint(d, k == 0, x(i), y(*c.Points[i].High))
		}
		for k := len(run) - 1; k >= 0; k-- {
			d = appendPoint(d, false, x(run[k]), y(*c.Points[run[k]].Low))
		}
		s.add(`<path class="band" d="%sZ" fill="%s" fill-opacity="0.18" stroke="none"/>`, d, colour)
	}

	// The line, broken where a step has no value.
	for _, run := range runs(c.Points, func(p Point) bool { return p.Value != nil }) {
		if len(run) < 2 {
			continue
		}
		var d []byte
		for k, i := range run {
			d = appendPoint(d, k == 0, x(i), y(*c.Points[i].Value))
		}
		s.add(`<path class="line" d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, d, colour)
	}
	for i, p := range c.Points {
		if p.Value == nil {
			continue
		}
		r, stroke := 2.5, ""
		if c.EmphasizeLast && i == n-1 {
			r, stroke = 4.5, ` stroke="#ffffff" stroke-width="1.5"`
		}
		s.add(`<circle class="dot" cx="%s" cy="%s" r="%s" fill="%s"%s><title>%s: %s</title></circle>`,
			num(x(i)), num(y(*p.Value)), num(r), colour, stroke, esc(p.Label), esc(format(*p.Value)))
	}
	return s.String()
}

func appendPoint(d []byte, move bool, x, y float64) []byte {
	if move {
		d = append(d, 'M')
	} else {
		d = append(d, ' ', 'L')
	}
	d = append(d, num(x)...)
	d = append(d, ' ')
	return append(d, num(y)...)
}

func hasValue(points []Point) bool {
	for _, p := range points {
		if p.Value != nil {
			return true
		}
	}
	return false
}

// runs returns the maximal runs of consecutive indexes whose points keep.
func runs(points []Point, keep func(Point) bool) [][]int {
	var out [][]int
	var cur []int
	for i, p := range points {
		if keep(p) {
			cur = append(cur, i)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// axisRange returns the top of a zero-based axis holding every value and
// band, and its tick step: at most five ticks on round numbers.
func axisRange(points []Point) (top, step float64) {
	high := 0.0
	for _, p := range points {
		for _, v := range []*float64{p.Value, p.Low, p.High} {
			if v != nil && !math.IsNaN(*v) && !math.IsInf(*v, 0) && *v > high {
				high = *v
			}
		}
	}
	if high == 0 {
		return 1, 0.25
	}
	step = niceCeiling(high / 4)
	return step * math.Ceil(high/step*(1-1e-12)), step
}
