package svgchart

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

// element is one parsed SVG element.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parse reads an SVG document, failing the test when it is not
// well-formed XML, and returns its elements in document order.
func parse(t *testing.T, doc string) []element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var out []element
	var open []int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v\n%s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			open = append(open, len(out)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(tk)
			}
		}
	}
	if len(out) == 0 || out[0].name != "svg" {
		t.Fatalf("not an svg document: %s", doc)
	}
	return out
}

func byClass(els []element, class string) []element {
	var out []element
	for _, e := range els {
		if e.attrs["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

func texts(els []element) []string {
	var out []string
	for _, e := range els {
		if e.name == "text" {
			out = append(out, e.text)
		}
	}
	return out
}

func weeks(values ...*float64) []Point {
	out := make([]Point, len(values))
	for i, v := range values {
		out[i] = Point{Label: "W" + strconv.Itoa(i+1), Value: v}
		if v != nil {
			out[i].Low, out[i].High = f(*v*0.8), f(*v*1.2)
		}
	}
	return out
}

func TestLineChart(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		chart                     LineChart
		lines, bands, dots, empty int
		bigLastDot                bool
	}{
		{"a full series is one line over one band", LineChart{Points: weeks(f(1), f(2), f(3), f(2))}, 1, 1, 4, 0, false},
		{"a gap breaks line and band in two", LineChart{Points: weeks(f(1), f(2), nil, f(2), f(4))}, 2, 2, 4, 0, false},
		{"a lone value between gaps is a dot with an error bar", LineChart{Points: weeks(nil, f(2), nil)}, 0, 1, 1, 0, false},
		{"no value shows the empty text", LineChart{Points: weeks(nil, nil), Empty: "no data"}, 0, 0, 0, 1, false},
		{"the week under review stands out", LineChart{Points: weeks(f(1), f(3)), EmphasizeLast: true}, 1, 1, 2, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			els := parse(t, tc.chart.SVG())
			if got := len(byClass(els, "line")); got != tc.lines {
				t.Errorf("%d lines, want %d", got, tc.lines)
			}
			if got := len(byClass(els, "band")); got != tc.bands {
				t.Errorf("%d bands, want %d", got, tc.bands)
			}
			dots := byClass(els, "dot")
			if len(dots) != tc.dots {
				t.Errorf("%d dots, want %d", len(dots), tc.dots)
			}
			if n := len(dots); n > 0 && (dots[n-1].attrs["r"] == "4.5") != tc.bigLastDot {
				t.Errorf("last dot radius %s, emphasized %v", dots[n-1].attrs["r"], tc.bigLastDot)
			}
			empty := 0
			for _, s := range texts(els) {
				if s == "no data" {
					empty++
				}
			}
			if empty != tc.empty {
				t.Errorf("empty text shown %d times, want %d", empty, tc.empty)
			}
		})
	}
}

// Values sit at their height on the axis: the top tick is the axis' top and
// a value of half of it is drawn halfway up the plot.
func TestLineChartPlacesValuesOnTheAxis(t *testing.T) {
	c := LineChart{Points: []Point{{Label: "a", Value: f(5)}, {Label: "b", Value: f(10)}}, Width: 300, Height: 200}
	els := parse(t, c.SVG())
	dots := byClass(els, "dot")
	y0, _ := strconv.ParseFloat(dots[0].attrs["cy"], 64)
	y1, _ := strconv.ParseFloat(dots[1].attrs["cy"], 64)
	bottom := lineTop + (200 - lineTop - lineBottom)
	if math.Abs((bottom-y0)*2-(bottom-y1)) > 0.02 {
		t.Errorf("5 drawn at %v and 10 at %v above the axis at %v: not proportional", y0, y1, bottom)
	}
	if got := texts(els); !contains(got, "10") || !contains(got, "0") {
		t.Errorf("axis labels %v lack 0 and 10", got)
	}
}

func TestAxisRange(t *testing.T) {
	for _, tc := range []struct {
		high, top, step float64
	}{
		{0, 1, 0.25},
		{1, 1, 0.25},
		{3.7, 4, 1},
		{10, 10, 2.5},
		{0.42, 0.6, 0.2}, // ticks on round numbers, at most five
		{86400, 100000, 25000},
		{17, 20, 5},
	} {
		top, step := axisRange([]Point{{Value: f(tc.high)}})
		if tc.high == 0 {
			top, step = axisRange(nil)
		}
		if math.Abs(top-tc.top) > 1e-9 || math.Abs(step-tc.step) > 1e-9 {
			t.Errorf("axisRange(%v) = %v, %v; want %v, %v", tc.high, top, step, tc.top, tc.step)
		}
	}
}

func TestStackedBar(t *testing.T) {
	c := StackedBar{
		Title: "waits",
		Bars: []Bar{
			{Label: "this week", Segments: []Segment{{Name: "ci queue wait", Value: 6}, {Name: "review", Value: 4}, {Name: "unused", Value: 0}}},
			{Label: "last week", Segments: []Segment{{Name: "ci queue wait", Value: 2}, {Name: "review", Value: 3}}},
		},
		Width: 600,
	}
	els := parse(t, c.SVG())
	segs := byClass(els, "segment")
	if len(segs) != 4 {
		t.Fatalf("%d segments, want 4 (zero values are not drawn)", len(segs))
	}
	width := func(e element) float64 { v, _ := strconv.ParseFloat(e.attrs["width"], 64); return v }
	plotW := 600 - barLabelWidth - barTotalWidth
	if math.Abs(width(segs[0])+width(segs[1])-plotW) > 0.02 {
		t.Errorf("the longest bar is %v wide, want the whole plot %v", width(segs[0])+width(segs[1]), plotW)
	}
	if math.Abs(width(segs[2])/width(segs[0])-2.0/6) > 1e-3 {
		t.Errorf("bars are not on one scale: %v vs %v", width(segs[2]), width(segs[0]))
	}
	if segs[0].attrs["fill"] != segs[2].attrs["fill"] || segs[0].attrs["fill"] == segs[1].attrs["fill"] {
		t.Errorf("a segment keeps its colour across bars and differs from the others: %v", []string{segs[0].attrs["fill"], segs[1].attrs["fill"], segs[2].attrs["fill"]})
	}
	if got := len(byClass(els, "legend")); got != 2 {
		t.Errorf("%d legend entries, want 2 (unused has no value)", got)
	}
	if got := texts(els); !contains(got, "10") || !contains(got, "5") {
		t.Errorf("totals missing from %v", got)
	}

	empty := StackedBar{Bars: []Bar{{Label: "this week"}}, Empty: "no changes deployed"}
	els = parse(t, empty.SVG())
	if len(byClass(els, "segment")) != 0 || !contains(texts(els), "no changes deployed") {
		t.Errorf("an empty bar chart should say so: %v", texts(els))
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		name        string
		values      []*float64
		lines, dots int
	}{
		{"a series with its last value marked", []*float64{f(1), f(3), f(2)}, 1, 1},
		{"a gap breaks the line", []*float64{f(1), f(3), nil, f(2), f(2)}, 2, 1},
		{"no last value, no mark", []*float64{f(1), f(3), nil}, 1, 0},
		{"nothing at all is a baseline", []*float64{nil, nil}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			els := parse(t, Sparkline{Values: tc.values}.SVG())
			if got := len(byClass(els, "line")); got != tc.lines {
				t.Errorf("%d lines, want %d", got, tc.lines)
			}
			if got := len(byClass(els, "dot")); got != tc.dots {
				t.Errorf("%d dots, want %d", got, tc.dots)
			}
			if len(byClass(els, "baseline")) != 1 {
				t.Error("no baseline")
			}
		})
	}
}

// Text is escaped: a title or label holding markup stays text.
func TestChartsEscapeText(t *testing.T) {
	evil := `<script>alert("x")</script> & co`
	for _, doc := range []string{
		LineChart{Title: evil, Points: []Point{{Label: evil, Value: f(1)}}}.SVG(),
		StackedBar{Title: evil, Bars: []Bar{{Label: evil, Segments: []Segment{{Name: evil, Value: 1}}}}}.SVG(),
		Sparkline{Title: evil, Values: []*float64{f(1)}}.SVG(),
	} {
		if strings.Contains(doc, "<script") {
			t.Errorf("unescaped markup in %s", doc)
		}
		els := parse(t, doc)
		found := false
		for _, e := range els {
			if strings.Contains(e.text, evil) {
				found = true
			}
		}
		if !found {
			t.Errorf("the text does not read back as written: %s", doc)
		}
	}
}

func TestPlain(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1: "1", 2.5: "2.5", 1234.5: "1235", 0.123456: "0.123", 12.345: "12.3"} {
		if got := Plain(in); got != want {
			t.Errorf("Plain(%v) = %s, want %s", in, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
