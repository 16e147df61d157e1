package review

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// loadGolden reads a review from its golden JSON: the renderers are tested
// on the very reviews TestWeeklyReview checks, without a database.
func loadGolden(t testing.TB, team, week string) *Review {
	t.Helper()
	b, err := os.ReadFile(goldenName(team, week, ".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Review
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestMarkdownGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.team+"-"+c.week, func(t *testing.T) {
			r := loadGolden(t, c.team, c.week)
			var b bytes.Buffer
			if err := Markdown(&b, r); err != nil {
				t.Fatal(err)
			}
			path := goldenName(c.team, c.week, ".golden.md")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./query/review -run MarkdownGolden -update writes it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs:\n%s", path, b.String())
			}
		})
	}
}

// The summary a chat channel gets says the week, every observation and the
// five metrics, with no table (Slack shows tables as raw text).
func TestSummary(t *testing.T) {
	r := loadGolden(t, "payments", "2026-W10")
	s := Summary(r)
	for _, want := range []string{"payments, 2026-W10", "Mon 2 Mar – Sun 8 Mar 2026"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	for _, o := range r.Observations {
		if !strings.Contains(s, mdText(o.Text)) {
			t.Errorf("summary lacks the observation %q", o.Text)
		}
	}
	for _, m := range r.Metrics.All() {
		if !strings.Contains(s, "- "+m.Name+": "+m.Format(*m.Value)) {
			t.Errorf("summary lacks %s = %s:\n%s", m.Name, m.Format(*m.Value), s)
		}
	}
	if strings.Contains(s, "|") {
		t.Errorf("summary holds a table:\n%s", s)
	}
	empty := Summary(loadGolden(t, "payments", "2026-W01"))
	if !strings.Contains(empty, "No deployments this week.") {
		t.Errorf("an empty week's summary should say so:\n%s", empty)
	}
}

// node helpers over golang.org/x/net/html.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func find(n *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(n, func(x *html.Node) {
		if x.Type == html.ElementNode && keep(x) {
			out = append(out, x)
		}
	})
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(x *html.Node) {
		if x.Type == html.TextNode {
			b.WriteString(x.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// drawn counts the marks of a chart: lines, bands, dots and bar segments.
func drawn(svg *html.Node) int {
	return len(find(svg, func(x *html.Node) bool {
		switch attr(x, "class") {
		case "line", "band", "dot", "segment":
			return true
		}
		return false
	}))
}

// Sections is what every review page holds, in order.
var Sections = []string{"observations", "metrics", "trends", "waits", "deployments", "canary", "incidents", "data-quality", "method"}

func TestHTMLPage(t *testing.T) {
	for _, tc := range []struct {
		team, week string
		empty      bool
		// charts that must have marks (an empty week's waits have none)
		drawnCharts []string
	}{
		{"payments", "2026-W10", false, []string{"trend-deployment_frequency", "trend-lead_time", "trend-change_failure_rate", "trend-recovery_time", "trend-rework_rate", "wait-breakdown", "waiting-share"}},
		{"payments", "2026-W01", true, []string{"trend-deployment_frequency", "trend-lead_time", "waiting-share"}},
	} {
		t.Run(tc.team+"-"+tc.week, func(t *testing.T) {
			r := loadGolden(t, tc.team, tc.week)
			var b bytes.Buffer
			if err := HTML(&b, r, ServedLinks(r), time.Time{}); err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(&b)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range find(doc, func(x *html.Node) bool { return x.Data == "section" }) {
				ids = append(ids, attr(s, "id"))
			}
			if strings.Join(ids, ",") != strings.Join(Sections, ",") {
				t.Errorf("sections %v, want %v", ids, Sections)
			}
			// Self-contained: nothing is fetched, nothing runs.
			for _, n := range find(doc, func(x *html.Node) bool { return true }) {
				switch {
				case n.Data == "script" || n.Data == "link" || n.Data == "img" || n.Data == "iframe":
					t.Errorf("<%s> on the page", n.Data)
				case attr(n, "src") != "":
					t.Errorf("<%s src=%q>", n.Data, attr(n, "src"))
				case strings.Contains(attr(n, "href"), "://") || strings.HasPrefix(attr(n, "href"), "//"):
					t.Errorf("link out of the server: %q", attr(n, "href"))
				}
			}
			charts := map[string]*html.Node{}
			for _, f := range find(doc, func(x *html.Node) bool { return x.Data == "figure" }) {
				svgs := find(f, func(x *html.Node) bool { return x.Data == "svg" })
				if len(svgs) != 1 {
					t.Errorf("chart %s holds %d svg", attr(f, "data-chart"), len(svgs))
					continue
				}
				charts[attr(f, "data-chart")] = svgs[0]
			}
			if len(charts) != 7 {
				t.Errorf("%d charts, want 7: %v", len(charts), charts)
			}
			for _, name := range tc.drawnCharts {
				if svg := charts[name]; svg == nil || drawn(svg) == 0 {
					t.Errorf("chart %s has nothing drawn", name)
				}
			}
			// The numbers shown are the review's.
			for _, m := range r.Metrics.All() {
				rows := find(doc, func(x *html.Node) bool { return x.Data == "tr" && attr(x, "data-metric") == m.Key })
				if len(rows) != 1 {
					t.Fatalf("%d rows for %s", len(rows), m.Key)
				}
				cells := find(rows[0], func(x *html.Node) bool { return x.Data == "td" })
				if got, want := text(cells[0]), orDash(m, m.Value); got != want {
					t.Errorf("%s shows %q, the review has %q", m.Key, got, want)
				}
				if got, want := text(cells[2]), orDash(m, m.Previous); got != want {
					t.Errorf("%s the week before shows %q, the review has %q", m.Key, got, want)
				}
			}
			items := find(doc, func(x *html.Node) bool { return x.Data == "li" && attr(x, "data-rule") != "" })
			if len(items) != len(r.Observations) {
				t.Errorf("%d observations shown, %d in the review", len(items), len(r.Observations))
			}
			for i, li := range items {
				if i < len(r.Observations) && text(li) != r.Observations[i].Text {
					t.Errorf("observation %d shows %q, the review has %q", i, text(li), r.Observations[i].Text)
				}
			}
			empty := find(doc, func(x *html.Node) bool { return attr(x, "id") == "empty-week" })
			if tc.empty != (len(empty) == 1) {
				t.Errorf("empty-week notice shown %d times, week empty %v", len(empty), tc.empty)
			}
			if tc.empty && !strings.Contains(text(empty[0]), "No deployments this week") {
				t.Errorf("empty-week notice says %q", text(empty[0]))
			}
			rows := find(doc, func(x *html.Node) bool {
				return x.Data == "tr" && x.Parent != nil && x.Parent.Data == "tbody" && hasAncestorClass(x, "deployment-list")
			})
			if len(rows) != len(r.Deployments.List) {
				t.Errorf("%d deployment rows, %d deployments", len(rows), len(r.Deployments.List))
			}
		})
	}
}

func hasAncestorClass(n *html.Node, class string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if attr(p, "class") == class {
			return true
		}
	}
	return false
}

// Text from the data (team, service and incident names) is escaped.
func TestHTMLEscapesData(t *testing.T) {
	r := loadGolden(t, "payments", "2026-W10")
	r.Team = `<script>alert(1)</script>`
	r.Deployments.List[0].Service = `"><img src=x onerror=alert(1)>`
	var b bytes.Buffer
	if err := HTML(&b, r, ServedLinks(r), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>alert") || strings.Contains(b.String(), "<img src=x") {
		t.Error("data reached the page unescaped")
	}
}
