package svgchart

import "cmp"

// Sparkline is a small line without axes, for a table cell: the shape of a
// series with its last value marked.
type Sparkline struct {
	Title  string
	Values []*float64
	// Width and Height (96 × 24 if zero).
	Width, Height int
	Colour        string
}

// SVG draws the sparkline.
func (c Sparkline) SVG() string {
	w, h, colour := cmp.Or(c.Width, 96), cmp.Or(c.Height, 24), cmp.Or(c.Colour, Palette[0])
	points := make([]Point, len(c.Values))
	for i, v := range c.Values {
		points[i].Value = v
	}
	s := newSVG(w, h, c.Title, "sparkline")
	top, _ := axisRange(points)
	const pad = 3.0
	x := func(i int) float64 {
		if len(points) <= 1 {
			return float64(w) / 2
		}
		return pad + (float64(w)-2*pad)*float64(i)/float64(len(points)-1)
	}
	y := func(v float64) float64 { return pad + (float64(h)-2*pad)*(1-v/top) }
	s.add(`<line class="baseline" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1" stroke-dasharray="2 2"/>`,
		num(pad), num(float64(w)-pad), num(y(0)), num(y(0)), gridColour)
	for _, run := range runs(points, func(p Point) bool { return p.Value != nil }) {
		if len(run) < 2 {
			continue
		}
		var d []byte
		for k, i := range run {
			d = appendPoint(d, k == 0, x(i), y(*points[i].Value))
		}
		s.add(`<path class="line" d="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, d, colour)
	}
	if n := len(points); n > 0 && points[n-1].Value != nil {
		s.add(`<circle class="dot" cx="%s" cy="%s" r="2.5" fill="%s"/>`, num(x(n-1)), num(y(*points[n-1].Value)), colour)
	}
	return s.String()
}
