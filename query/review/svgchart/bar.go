package svgchart

import (
	"cmp"
	"math"
)

// Segment is one part of a stacked bar.
type Segment struct {
	Name  string
	Value float64
	// Colour of the segment; a Palette colour by the name's first
	// appearance if empty.
	Colour string
}

// Bar is one labelled bar of segments.
type Bar struct {
	Label    string
	Segments []Segment
}

// StackedBar draws horizontal bars of stacked segments on one shared scale,
// each with its total, and a legend of the segments that have a value.
type StackedBar struct {
	Title string
	Bars  []Bar
	// Format renders totals and tooltips (Plain if nil).
	Format Format
	// Width of the drawing (640 if zero); it scales to its container.
	Width int
	// Empty is written instead of bars when no segment has a value.
	Empty string
}

const (
	barLabelWidth, barTotalWidth = 92.0, 64.0
	barHeight, barGap            = 20.0, 8.0
	legendRow, legendSwatch      = 18.0, 10.0
)

// SVG draws the chart.
func (c StackedBar) SVG() string {
	w := cmp.Or(c.Width, 640)
	format := c.Format
	if format == nil {
		format = Plain
	}
	colours := map[string]string{}
	var names []string
	max := 0.0
	for _, b := range c.Bars {
		total := 0.0
		for _, sg := range b.Segments {
			if sg.Value <= 0 {
				continue
			}
			total += sg.Value
			if _, ok := colours[sg.Name]; !ok {
				colours[sg.Name] = sg.Colour
				if sg.Colour == "" {
					colours[sg.Name] = Palette[len(names)%len(Palette)]
				}
				names = append(names, sg.Name)
			}
		}
		max = math.Max(max, total)
	}
	plotW := float64(w) - barLabelWidth - barTotalWidth
	legend := legendLayout(names, float64(w))
	height := 8 + float64(len(c.Bars))*(barHeight+barGap) + legend.height
	if max == 0 {
		height = 8 + float64(len(c.Bars))*(barHeight+barGap) + legendRow
	}
	s := newSVG(w, int(math.Ceil(height)), c.Title, "chart stacked-bar")
	for i, b := range c.Bars {
		top := 8 + float64(i)*(barHeight+barGap)
		s.text(barLabelWidth-6, top+barHeight/2+4, "end", textColour, b.Label)
		x, total := barLabelWidth, 0.0
		for _, sg := range b.Segments {
			if sg.Value <= 0 || max == 0 {
				continue
			}
			width := plotW * sg.Value / max
			s.add(`<rect class="segment" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>`,
				num(x), num(top), num(width), num(barHeight), colours[sg.Name], esc(sg.Name), esc(format(sg.Value)))
			x += width
			total += sg.Value
		}
		if max > 0 {
			s.text(x+5, top+barHeight/2+4, "start", textColour, format(total))
		}
	}
	if max == 0 {
		if c.Empty != "" {
			s.text(float64(w)/2, 8+float64(len(c.Bars))*(barHeight+barGap)+legendRow/2, "middle", axisColour, c.Empty)
		}
		return s.String()
	}
	top := 8 + float64(len(c.Bars))*(barHeight+barGap)
	for i, name := range names {
		p := legend.at[i]
		s.add(`<rect class="legend" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(p.x), num(top+p.y), num(legendSwatch), num(legendSwatch), colours[name])
		s.text(p.x+legendSwatch+4, top+p.y+legendSwatch-1, "start", textColour, name)
	}
	return s.String()
}

type legendPlacement struct {
	at     []struct{ x, y float64 }
	height float64
}

// legendLayout flows the legend's entries into rows of the chart's width,
// estimating a label's width from its length.
func legendLayout(names []string, width float64) legendPlacement {
	var l legendPlacement
	x, y := barLabelWidth, 4.0
	for _, n := range names {
		entry := legendSwatch + 4 + 6.2*float64(len([]rune(n))) + 14
		if x+entry > width && x > barLabelWidth {
			x, y = barLabelWidth, y+legendRow
		}
		l.at = append(l.at, struct{ x, y float64 }{x, y})
		x += entry
	}
	l.height = y + legendRow
	return l
}
