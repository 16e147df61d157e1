package review

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/review/reviewtest"
	"github.com/deploylens/deploylens/query/waits"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.*")

// seeded returns sources over a fresh database holding reviewtest's
// history, with the clock fixed at reviewtest.Now.
func seeded(t testing.TB) Sources {
	t.Helper()
	conn := deliverytest.Open(t)
	reviewtest.Write(t, conn, reviewtest.Generate(reviewtest.Seed))
	benchmarks, err := dora.LoadBenchmarks()
	if err != nil {
		t.Fatal(err)
	}
	return Sources{
		Conn:  conn,
		DORA:  &dora.Calculator{Conn: conn, Benchmarks: benchmarks},
		Waits: &waits.Calculator{Conn: conn},
		Now:   func() time.Time { return reviewtest.Now },
	}
}

// The reviews the golden files hold: the week with a backed-up CI queue,
// the holiday freeze with no deployment, another team's week, and a week
// before any history.
var goldenCases = []struct{ team, week string }{
	{"payments", reviewtest.Reviewed},
	{"payments", reviewtest.Frozen},
	{"search", reviewtest.Reviewed},
	{"search", "2025-W30"},
}

func goldenName(team, week, suffix string) string {
	return filepath.Join("testdata", team+"-"+week+suffix)
}

// compareGolden checks got against a golden JSON file, or rewrites it with
// -update. Numbers match to 1e-9 relative: ClickHouse sums in no fixed
// order, so the last digits of a sum may differ between runs.
func compareGolden(t *testing.T, path string, got any) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, indented(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./query/review -update to write it)", err)
	}
	var want, gotDoc any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	_ = json.Unmarshal(indented(got), &gotDoc)
	diffs := append(deliverytest.Match(gotDoc, want), deliverytest.Match(want, gotDoc)...)
	for i, d := range diffs {
		if i == 10 {
			t.Errorf("… %d differences in all", len(diffs))
			break
		}
		t.Errorf("%s: %s", path, d)
	}
	if len(diffs) > 0 {
		t.Log("if the change is intended: go test ./query/review -run WeeklyReview -update, and read the diff")
	}
}

func indented(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// TestWeeklyReview builds the golden cases from one seeded history and
// checks them against their golden JSON, the observations against theirs,
// and the review against itself.
func TestWeeklyReview(t *testing.T) {
	src := seeded(t)
	reviews := map[string]Review{}
	for _, c := range goldenCases {
		w, err := ParseWeek(c.week)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Build(context.Background(), src, c.team, "", w)
		if err != nil {
			t.Fatalf("%s %s: %v", c.team, c.week, err)
		}
		reviews[c.team+"-"+c.week] = r
	}
	for _, c := range goldenCases {
		r := reviews[c.team+"-"+c.week]
		t.Run(c.team+"-"+c.week, func(t *testing.T) {
			t.Run("golden JSON", func(t *testing.T) {
				compareGolden(t, goldenName(c.team, c.week, ".golden.json"), r)
			})
			t.Run("golden observations", func(t *testing.T) {
				compareGolden(t, goldenName(c.team, c.week, ".observations.golden.json"), r.Observations)
			})
			t.Run("observations cite figures of the review", func(t *testing.T) { checkFigures(t, r) })
			t.Run("the parts agree", func(t *testing.T) { checkConsistent(t, r) })
		})
	}
	// The waits come from the trend's weeks; they are what the waits
	// endpoint answers for the week alone.
	t.Run("waits are the waits endpoint's for the week", func(t *testing.T) {
		r := reviews["payments-"+reviewtest.Reviewed]
		alone, err := src.Waits.Report(context.Background(), delivery.Scope{Team: "payments", From: r.From, To: r.To})
		if err != nil {
			t.Fatal(err)
		}
		if alone.Changes != r.Waits.Changes || !close(alone.WaitingSeconds, r.Waits.WaitingSeconds) || !close(alone.LeadSeconds, r.Waits.LeadSeconds) {
			t.Errorf("week alone: %d changes, %v s waiting of %v s; review: %d, %v of %v",
				alone.Changes, alone.WaitingSeconds, alone.LeadSeconds, r.Waits.Changes, r.Waits.WaitingSeconds, r.Waits.LeadSeconds)
		}
		for _, d := range deliverytest.Match(r.Waits.TopWaits, decoded(alone.TopWaits)) {
			t.Errorf("top waits: %s", d)
		}
		for i, s := range alone.Segments {
			got := r.Waits.Segments[i]
			if s.Name != got.Name || !close(s.TotalSeconds, got.TotalSeconds) || s.Changes != got.Changes || !sameFloat(s.MedianSeconds, got.MedianSeconds) {
				t.Errorf("segment %s: %+v, review %+v", s.Name, s, got)
			}
		}
	})
}

func decoded(v any) any {
	var out any
	_ = json.Unmarshal(indented(v), &out)
	return out
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }

// checkFigures resolves every figure an observation cites in the review's
// JSON: the value there must be the figure's, and the text must write it as
// the figure says.
func checkFigures(t *testing.T, r Review) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(indented(r), &doc); err != nil {
		t.Fatal(err)
	}
	for _, o := range r.Observations {
		if len(o.Figures) == 0 {
			t.Errorf("%s: %q cites no figure", o.Rule, o.Text)
		}
		for _, f := range o.Figures {
			got, err := pointer(doc, f.Path)
			if err != nil {
				t.Errorf("%s: %q cites %s: %v", o.Rule, o.Text, f.Path, err)
				continue
			}
			var want any
			b, _ := json.Marshal(f.Value)
			_ = json.Unmarshal(b, &want)
			if !sameValue(got, want) {
				t.Errorf("%s: %q cites %s = %v, but the review has %v", o.Rule, o.Text, f.Path, want, got)
			}
			if !strings.Contains(o.Text, f.Shown) {
				t.Errorf("%s: %q does not write %s as %q", o.Rule, o.Text, f.Path, f.Shown)
			}
		}
	}
}

func sameValue(a, b any) bool {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		return math.Abs(fa-fb) <= 1e-12*math.Max(1, math.Abs(fa))
	}
	return a == b
}

// pointer resolves a JSON Pointer (RFC 6901) in decoded JSON.
func pointer(doc any, path string) (any, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", path)
	}
	cur := doc
	for _, tok := range strings.Split(path[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, fmt.Errorf("no element %q", tok)
			}
			cur = v[i]
		default:
			return nil, fmt.Errorf("%q reaches into a scalar", tok)
		}
	}
	return cur, nil
}

// checkConsistent checks that the review's parts, which come from
// different queries, count the same week the same way.
func checkConsistent(t *testing.T, r Review) {
	t.Helper()
	m, d := r.Metrics, r.Deployments
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"deployments listed vs counted by the metrics", d.Total, m.DeploymentFrequency.Counts["deployments"]},
		{"listed", len(d.List), d.Total},
		{"successful", d.Successful, m.DeploymentFrequency.Counts["successful"]},
		{"failed", d.Failed, m.ChangeFailureRate.Counts["failed"]},
		{"unplanned", d.Unplanned, m.ReworkRate.Counts["unplanned"]},
		{"recovered", d.Recovered, m.RecoveryTime.Counts["recovered"]},
		{"unrecovered", d.Unrecovered, m.RecoveryTime.Counts["unrecovered"]},
		{"changes deployed: lead time vs waits", m.LeadTime.Counts["changes"] - m.LeadTime.SampleSize + r.Waits.Changes, m.LeadTime.Counts["changes"]},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	if r.Empty != (d.Total == 0) {
		t.Errorf("empty = %v with %d deployments", r.Empty, d.Total)
	}
	for _, mt := range m.All() {
		n := len(mt.Trend)
		if n != TrendWeeks {
			t.Errorf("%s: %d trend weeks, want %d", mt.Key, n, TrendWeeks)
			continue
		}
		if mt.Trend[n-1].Week != r.Week || !sameFloat(mt.Trend[n-1].Value, mt.Value) {
			t.Errorf("%s: the trend ends at %s with %v, the week is %s with %v", mt.Key, mt.Trend[n-1].Week, deref(mt.Trend[n-1].Value), r.Week, deref(mt.Value))
		}
		if !sameFloat(mt.Trend[n-2].Value, mt.Previous) {
			t.Errorf("%s: previous %v is not the trend's week before (%v)", mt.Key, deref(mt.Previous), deref(mt.Trend[n-2].Value))
		}
	}
	if len(r.Waits.Trend) != TrendWeeks || r.Waits.Trend[TrendWeeks-1].Week != r.Week || r.Waits.Trend[TrendWeeks-1].Changes != r.Waits.Changes {
		t.Errorf("the waits trend does not end with the week: %+v", r.Waits.Trend[len(r.Waits.Trend)-1])
	}
	for _, s := range r.Waits.Segments {
		sum := 0.0
		for _, st := range s.Stages {
			sum += st.Seconds
		}
		if len(s.Stages) > 0 && math.Abs(sum-s.TotalSeconds) > 1e-6*math.Max(1, s.TotalSeconds) {
			t.Errorf("segment %s: its stages hold %v s of its %v s", s.Name, sum, s.TotalSeconds)
		}
	}
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*a))
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
