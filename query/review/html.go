package review

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"time"

	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/review/svgchart"
	"github.com/deploylens/deploylens/server"
)

//go:embed templates/*.html templates/style.css
var templateFiles embed.FS

// Pages are parsed once: the layout, with each page's title and body.
var pages = func() map[string]*template.Template {
	css, err := templateFiles.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"style":           func() template.CSS { return template.CSS(css) },
		"day":             Day,
		"duration":        Duration,
		"durationOrDash":  durationOrDash,
		"percent":         Percent,
		"ratio":           ratioOrDash,
		"segment":         SegmentName,
		"severity":        severity,
		"value":           orDash,
		"interval":        interval,
		"change":          change,
		"shift":           shiftText,
		"level":           levelText,
		"assessmentClass": func(m *Metric) string { return map[string]string{Better: "better", Worse: "worse"}[m.Assessment] },
		"verdicts":        verdictCounts,
		"failure":         func(d dora.Deployment) string { return failureText(d) },
		"mul100":          func(v float64) float64 { return v * 100 },
		"score": func(v *float64) string {
			if v == nil {
				return "—"
			}
			return fmt.Sprintf("%.0f", *v)
		},
		"reviewPath": func(team string, w Week) string { return PagePath(team, w) },
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"review", "pick", "login", "error"} {
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, "templates/"+name+".html"))
	}
	return out
}()

func render(w io.Writer, page string, data any) error {
	return pages[page].ExecuteTemplate(w, "layout", data)
}

// PagePath is where the server shows a review: /reviews/weekly/{team}/{week}.
func PagePath(team string, w Week) string {
	return "/reviews/weekly/" + url.PathEscape(team) + "/" + w.String()
}

// Links lead from a served page to the pages around it; a page written to
// a file has none.
type Links struct {
	Picker, Previous, Next, JSON string
	PreviousWeek, NextWeek       Week
}

// ServedLinks are the links of a review page the server shows.
func ServedLinks(r *Review) *Links {
	l := &Links{
		Picker: "/reviews", PreviousWeek: r.Week.Add(-1), NextWeek: r.Week.Add(1),
		JSON: "/api/v1/reviews/weekly?" + url.Values{"team": {r.Team}, "week": {r.Week.String()}}.Encode(),
	}
	l.Previous = PagePath(r.Team, l.PreviousWeek)
	if r.Complete {
		l.Next = PagePath(r.Team, l.NextWeek)
	}
	return l
}

// reviewPage is what the review template shows.
type reviewPage struct {
	Review    *Review
	Charts    pageCharts
	Links     *Links
	Generated time.Time
}

// HTML writes the review as one self-contained page: styles and charts
// inline, no script, nothing fetched. links may be nil; a non-zero
// generated time is shown.
func HTML(w io.Writer, r *Review, links *Links, generated time.Time) error {
	return render(w, "review", reviewPage{Review: r, Charts: chartsOf(r), Links: links, Generated: generated})
}

// Picker is what the page that picks a team and week shows.
type Picker struct {
	Principal string
	Action    string
	Teams     []string
	Weeks     []Week
	Default   Week
}

// PickerHTML writes the page that picks a team and week.
func PickerHTML(w io.Writer, p Picker) error { return render(w, "pick", p) }

// Login is what the sign-in page shows.
type Login struct {
	Action, Next, Problem string
}

// LoginHTML writes the sign-in page.
func LoginHTML(w io.Writer, l Login) error { return render(w, "login", l) }

// ErrorPage is what a page that could not be shown says instead.
type ErrorPage struct {
	Status  int
	Title   string
	Message string
	Details []server.Detail
	Back    string
}

// ErrorHTML writes an error page.
func ErrorHTML(w io.Writer, e ErrorPage) error {
	if e.Title == "" {
		e.Title = fmt.Sprintf("Cannot show this review (%d)", e.Status)
	}
	return render(w, "error", e)
}

// pageCharts are the review's charts, drawn.
type pageCharts struct {
	Trends       []trendChart
	Waits        template.HTML
	WaitingShare template.HTML
}

type trendChart struct {
	Metric    *Metric
	SVG       template.HTML
	Sparkline template.HTML
}

// scaleDurations rescales points of seconds to the one unit (minutes, hours
// or days) their largest value reads best in, so that the axis has round
// ticks, and returns the axis' format.
func scaleDurations(points []svgchart.Point) svgchart.Format {
	high := 0.0
	for _, p := range points {
		for _, v := range []*float64{p.Value, p.High} {
			if v != nil && *v > high {
				high = *v
			}
		}
	}
	unit, per := "d", 86400.0
	switch {
	case high < 2*3600:
		unit, per = "min", 60
	case high < 72*3600:
		unit, per = "h", 3600
	}
	for i := range points {
		for _, v := range []**float64{&points[i].Value, &points[i].Low, &points[i].High} {
			if *v != nil {
				scaled := **v / per
				*v = &scaled
			}
		}
	}
	return func(v float64) string { return svgchart.Plain(v) + " " + unit }
}

// Colours of the wait segments: waiting ones warm, active ones cool, so
// the stacked bar reads as "how much of it was waiting" at a glance.
var segmentColours = map[string]string{
	"coding": "#0072B2", "review": "#56B4E9", "ci running": "#009E73", "deploying": "#2F6B55", "bake/canary": "#7FC8A9",
	"review pickup wait": "#E69F00", "approval wait": "#F5C04A", "merge wait": "#CC79A7", "ci queue wait": "#D55E00",
	"hand-off": "#B8860B", "approval gate": "#E8A2C8", "deploy window wait": "#8B3A0E",
}

// chartsOf draws the review's charts; svgchart escapes every text it
// writes, so its output is safe HTML.
func chartsOf(r *Review) pageCharts {
	var c pageCharts
	for _, m := range r.Metrics.All() {
		points := make([]svgchart.Point, len(m.Trend))
		values := make([]*float64, len(m.Trend))
		for i, p := range m.Trend {
			points[i] = svgchart.Point{Label: fmt.Sprintf("W%02d", p.Week.Number), Value: p.Value}
			if p.CI != nil {
				points[i].Low, points[i].High = &p.CI.Low, &p.CI.High
			}
			values[i] = p.Value
		}
		format := m.Format
		if m.Unit == UnitSeconds {
			format = scaleDurations(points)
		}
		line := svgchart.LineChart{Title: m.Name + ", " + m.Statistic + ", by week", Points: points, Format: format, EmphasizeLast: true, Empty: "no data"}
		spark := svgchart.Sparkline{Title: m.Name + " over " + fmt.Sprint(len(values)) + " weeks", Values: values}
		c.Trends = append(c.Trends, trendChart{Metric: m, SVG: template.HTML(line.SVG()), Sparkline: template.HTML(spark.SVG())})
	}

	this, before := svgchart.Bar{Label: r.Week.String()}, svgchart.Bar{Label: r.Week.Add(-1).String()}
	for _, s := range r.Waits.Segments {
		name := s.Name
		if s.State == "waiting" {
			name += " (waiting)"
		}
		this.Segments = append(this.Segments, svgchart.Segment{Name: name, Value: s.TotalSeconds / 3600, Colour: segmentColours[s.Name]})
		before.Segments = append(before.Segments, svgchart.Segment{Name: name, Value: s.PreviousTotalSeconds / 3600, Colour: segmentColours[s.Name]})
	}
	bars := svgchart.StackedBar{Title: "Lead time by segment, this week and the week before", Bars: []svgchart.Bar{this, before},
		Format: func(h float64) string { return fmt.Sprintf("%.0f h", h) }, Empty: "no change deployed"}
	c.Waits = template.HTML(bars.SVG())

	share := make([]svgchart.Point, len(r.Waits.Trend))
	for i, p := range r.Waits.Trend {
		share[i] = svgchart.Point{Label: fmt.Sprintf("W%02d", p.Week.Number), Value: p.WaitingShare}
	}
	line := svgchart.LineChart{Title: "Share of lead time spent waiting, by week", Points: share, Format: Percent, EmphasizeLast: true, Empty: "no data"}
	c.WaitingShare = template.HTML(line.SVG())
	return c
}
