package waits

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

type fixture struct {
	History   deliverytest.History `json:"history"`
	Timelines map[string]struct {
		Segments       [][6]string `json:"segments"`
		LeadSeconds    float64     `json:"lead_seconds"`
		ActiveSeconds  float64     `json:"active_seconds"`
		WaitingSeconds float64     `json:"waiting_seconds"`
	} `json:"timelines"`
	Team struct {
		Scope struct {
			Team string    `json:"team"`
			From time.Time `json:"from"`
			To   time.Time `json:"to"`
		} `json:"scope"`
		Expect json.RawMessage `json:"expect"`
	} `json:"team"`
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/waterfall.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

var week = delivery.Scope{
	Team: "payments",
	From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
	To:   time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
}

func TestTimelineWorkedByHand(t *testing.T) {
	f := loadFixture(t)
	conn := deliverytest.Open(t)
	deliverytest.Seed(t, conn, f.History)
	calc := &Calculator{Conn: conn}
	for id, want := range f.Timelines {
		t.Run(id, func(t *testing.T) {
			tl, err := calc.Timeline(context.Background(), delivery.Scope{Teams: []string{"payments"}}, id)
			if err != nil {
				t.Fatal(err)
			}
			var got [][6]string
			for _, s := range tl.Segments {
				got = append(got, [6]string{s.Name, s.State, s.Pipeline, s.Stage, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339)})
			}
			if fmt.Sprint(got) != fmt.Sprint(want.Segments) {
				t.Errorf("segments:\n got %v\nwant %v", got, want.Segments)
			}
			if tl.LeadSeconds != want.LeadSeconds || tl.ActiveSeconds != want.ActiveSeconds || tl.WaitingSeconds != want.WaitingSeconds {
				t.Errorf("lead/active/waiting = %v/%v/%v, want %v/%v/%v", tl.LeadSeconds, tl.ActiveSeconds, tl.WaitingSeconds,
					want.LeadSeconds, want.ActiveSeconds, want.WaitingSeconds)
			}
			if tl.Team != "payments" || tl.Service != "checkout" {
				t.Errorf("deployed by %s/%s, want payments/checkout", tl.Team, tl.Service)
			}
		})
	}
	t.Run("another team's token", func(t *testing.T) {
		_, err := calc.Timeline(context.Background(), delivery.Scope{Teams: []string{"search"}}, "c1")
		var outside *OutsideScopeError
		if !errors.As(err, &outside) || outside.Team != "payments" {
			t.Fatalf("err = %v, want the change to be outside the scope (team payments)", err)
		}
	})
	t.Run("unknown change", func(t *testing.T) {
		if _, err := calc.Timeline(context.Background(), delivery.Scope{}, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestTeamWaitsWorkedByHand(t *testing.T) {
	f := loadFixture(t)
	conn := deliverytest.Open(t)
	deliverytest.Seed(t, conn, f.History)
	calc := &Calculator{Conn: conn}
	scope := delivery.Scope{Team: f.Team.Scope.Team, From: f.Team.Scope.From, To: f.Team.Scope.To}
	r, err := calc.Report(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(f.Team.Expect, &want); err != nil {
		t.Fatal(err)
	}
	if diffs := deliverytest.Match(r, want); len(diffs) > 0 {
		for _, d := range diffs {
			t.Error(d)
		}
		b, _ := json.MarshalIndent(r, "", "  ")
		t.Logf("answer: %s", b)
	}
}

// Every second of every change's lead time lands in exactly one segment,
// whatever the history: segments tile [start, deployed] with no gap and no
// overlap, and their durations add up to the lead time to the nanosecond.
func TestWaterfallTilesLeadTime(t *testing.T) {
	conn := deliverytest.Open(t)
	for seed := uint64(1); seed <= 3; seed++ {
		h, changes := randomHistory(seed)
		deliverytest.Seed(t, conn, h)
		_ = changes
	}
	calc := &Calculator{Conn: conn}
	tls, err := calc.Waterfalls(context.Background(), delivery.Scope{From: week.From, To: week.To.AddDate(0, 0, 21)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tls) < 100 {
		t.Fatalf("only %d waterfalls from the random histories", len(tls))
	}
	states := map[string]string{}
	for _, s := range Segments {
		states[s.Name] = s.State
	}
	for _, tl := range tls {
		if tl.StartedAt.After(tl.DeployedAt) {
			t.Errorf("%s: starts %v after its deployment %v", tl.ChangeID, tl.StartedAt, tl.DeployedAt)
			continue
		}
		cursor := tl.StartedAt
		var total time.Duration
		for i, s := range tl.Segments {
			if !s.Start.Equal(cursor) {
				t.Errorf("%s segment %d (%s) starts at %v, the previous ended at %v", tl.ChangeID, i, s.Name, s.Start, cursor)
			}
			if !s.End.After(s.Start) {
				t.Errorf("%s segment %d (%s) is empty or reversed: %v → %v", tl.ChangeID, i, s.Name, s.Start, s.End)
			}
			if states[s.Name] != s.State {
				t.Errorf("%s segment %d: %q is %q, want %q", tl.ChangeID, i, s.Name, s.State, states[s.Name])
			}
			total += s.End.Sub(s.Start)
			cursor = s.End
		}
		if !cursor.Equal(tl.DeployedAt) {
			t.Errorf("%s: segments end at %v, the deployment finished at %v", tl.ChangeID, cursor, tl.DeployedAt)
		}
		if lead := tl.DeployedAt.Sub(tl.StartedAt); total != lead {
			t.Errorf("%s: segments add up to %v, lead time is %v", tl.ChangeID, total, lead)
		}
		if math.Abs(tl.ActiveSeconds+tl.WaitingSeconds-tl.LeadSeconds) > 1e-6 {
			t.Errorf("%s: active %v + waiting %v != lead %v", tl.ChangeID, tl.ActiveSeconds, tl.WaitingSeconds, tl.LeadSeconds)
		}
	}
	// The stored waterfalls are the live ones: a sample of changes, each
	// asked for alone (timeline.sql computes it from the history then).
	for i := 0; i < len(tls); i += len(tls) / 8 {
		want := tls[i]
		got, err := calc.Timeline(context.Background(), delivery.Scope{}, want.ChangeID)
		if err != nil {
			t.Fatal(err)
		}
		got.Team, got.Service = "", ""
		if a, b := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); a != b {
			t.Errorf("%s: the stored waterfall differs from the timeline:\n%s\n%s", want.ChangeID, b, a)
		}
	}
}

// randomHistory makes changes with any subset of review events (some out of
// order), deployments of one to three changes (some without a start), and
// pipeline stages that overlap, run before the merge or after the
// deployment, miss times, and link by change id or by commit.
func randomHistory(seed uint64) (deliverytest.History, int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	base := week.From.Add(time.Duration(seed) * 7 * 24 * time.Hour)
	at := func(lo, hi time.Duration) time.Time {
		return base.Add(lo + time.Duration(rng.Int64N(int64(hi-lo))))
	}
	maybe := func(p float64, t time.Time) time.Time {
		if rng.Float64() < p {
			return t
		}
		return time.Time{}
	}
	kinds := []string{"build", "test", "approval", "deploy", "bake", "canary", "other"}
	h := deliverytest.History{Catalog: map[string]string{"svc": "payments"}}
	n := 60
	for i := range n {
		id := fmt.Sprintf("s%d-c%d", seed, i)
		first := at(0, 48*time.Hour)
		c := deliverytest.Change{ChangeID: id, FirstCommitAt: maybe(0.8, first), MergeCommit: id + "-merge"}
		t := first
		step := func() time.Time { t = t.Add(time.Duration(rng.Int64N(int64(6 * time.Hour)))); return t }
		c.OpenedAt = maybe(0.8, step())
		c.FirstReviewAt = maybe(0.6, step())
		c.ApprovedAt = maybe(0.7, step())
		c.MergedAt = maybe(0.9, step())
		if rng.Float64() < 0.1 { // clock skew: review before opening
			c.FirstReviewAt, c.OpenedAt = c.OpenedAt, c.FirstReviewAt
		}
		if c.FirstCommitAt.IsZero() && c.OpenedAt.IsZero() && c.MergedAt.IsZero() {
			c.MergedAt = step()
		}
		h.Changes = append(h.Changes, c)
		// Stages: some before the merge, most after, overlapping.
		for j := range rng.IntN(7) {
			q := t.Add(time.Duration(rng.Int64N(int64(8*time.Hour))) - 2*time.Hour)
			s := q.Add(time.Duration(rng.Int64N(int64(time.Hour))))
			f := s.Add(time.Duration(rng.Int64N(int64(2 * time.Hour))))
			st := deliverytest.Stage{Pipeline: "ci", RunID: id, Stage: fmt.Sprintf("job%d", j), Kind: kinds[rng.IntN(len(kinds))],
				QueuedAt: maybe(0.7, q), StartedAt: maybe(0.9, s), FinishedAt: maybe(0.9, f)}
			if rng.Float64() < 0.5 {
				st.ChangeIDs = []string{id}
			} else {
				st.Commit = c.MergeCommit
			}
			h.Stages = append(h.Stages, st)
		}
		finish := t.Add(time.Duration(rng.Int64N(int64(12*time.Hour))) + time.Minute)
		d := deliverytest.Deployment{DeploymentID: id + "-d", Event: deliverytest.Event{Service: "svc"}, Commit: c.MergeCommit,
			StartedAt: maybe(0.8, finish.Add(-time.Duration(rng.Int64N(int64(time.Hour))))), FinishedAt: finish, Status: "success",
			ChangeIDs: []string{id}}
		if i > 0 && rng.Float64() < 0.3 { // also ship the previous change
			d.ChangeIDs = append(d.ChangeIDs, fmt.Sprintf("s%d-c%d", seed, i-1))
		}
		h.Deployments = append(h.Deployments, d)
	}
	return h, n
}
