package review

import (
	"slices"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/waits"
)

func ptr(v float64) *float64 { return &v }

// base is a review where nothing stands out, for each case to change.
func base() Review {
	r := Review{Team: "payments", Week: Week{2026, 10}, Complete: true, Incidents: []Incident{}, DataQuality: []Note{},
		Deployments: Deployments{Total: 10, Successful: 10, PreviousTotal: 9, CanaryVerdicts: map[string]int{}},
		Canary:      Canary{Verdicts: map[string]int{}}}
	r.Method.Shifts.BaselineSteps = 8
	for i, m := range r.Metrics.All() {
		d := metricDefs[i]
		*m = Metric{Key: d.key, Name: d.name, Statistic: d.statistic, Unit: d.unit, Better: d.better, Value: ptr(1), Previous: ptr(1),
			Shift: &dora.Shift{Test: "t", PValue: ptr(0.5)}, Assessment: NoSignificant}
	}
	for _, s := range waits.Segments {
		r.Waits.Segments = append(r.Waits.Segments, WaitSegment{Name: s.Name, State: s.State, Stages: []SegmentStage{}})
	}
	return r
}

// segment returns the review's wait segment of that name.
func segment(r *Review, name string) *WaitSegment {
	for i := range r.Waits.Segments {
		if r.Waits.Segments[i].Name == name {
			return &r.Waits.Segments[i]
		}
	}
	panic(name)
}

func TestObservationRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *Review)
		want   []string
	}{
		{"nothing stands out", func(*Review) {}, nil},
		{"a quiet week", func(r *Review) {
			r.Empty, r.Deployments = true, Deployments{PreviousTotal: 7}
		}, []string{"0 deployments finished this week (7 the week before)."}},
		{"a significant shift the better way", func(r *Review) {
			m := &r.Metrics.LeadTime
			m.Value, m.Previous = ptr(3*3600), ptr(9*3600)
			m.Shift = &dora.Shift{PValue: ptr(0.0123), Significant: true, Direction: "down"}
			m.Assessment = Better
		}, []string{"Lead time for changes (median) was 3.0 h (9.0 h the week before): significantly lower than the 8 weeks before (p = 0.012), which is better."}},
		{"a shift that is not significant says nothing", func(r *Review) {
			r.Metrics.ChangeFailureRate.Value = ptr(0.5)
		}, nil},
		{"a wait that tripled, with the stage that holds it", func(r *Review) {
			s := segment(r, "ci queue wait")
			s.MedianSeconds, s.PreviousMedianSeconds = ptr(3*3600), ptr(3600)
			s.Stages = []SegmentStage{{Pipeline: "ci", Stage: "test", Seconds: 7, Share: 0.7}, {Pipeline: "ci", Stage: "build", Seconds: 3, Share: 0.3}}
		}, []string{"CI queue wait median rose from 60 min to 3.0 h; 70% of it was in pipeline ci, stage test."}},
		{"a wait that fell", func(r *Review) {
			s := segment(r, "review pickup wait")
			s.MedianSeconds, s.PreviousMedianSeconds = ptr(3600), ptr(4*3600)
		}, []string{"Review pickup wait median fell from 4.0 h to 60 min."}},
		{"a wait that grew by less than half", func(r *Review) {
			s := segment(r, "ci queue wait")
			s.MedianSeconds, s.PreviousMedianSeconds = ptr(5*3600), ptr(4*3600)
		}, nil},
		{"a wait that tripled by minutes", func(r *Review) {
			s := segment(r, "ci queue wait")
			s.MedianSeconds, s.PreviousMedianSeconds = ptr(25*60), ptr(5*60)
		}, nil},
		{"an active segment is no wait", func(r *Review) {
			s := segment(r, "coding")
			s.MedianSeconds, s.PreviousMedianSeconds = ptr(30*3600), ptr(3600)
		}, nil},
		{"failed deployments", func(r *Review) {
			r.Deployments.Failed, r.Deployments.RolledBack, r.Deployments.Unrecovered = 3, 1, 2
		}, []string{"3 of 10 deployments failed: 1 rolled back, 2 not recovered yet."}},
		{"an open incident and the slowest resolved one", func(r *Review) {
			r.Incidents = []Incident{
				{Incident: dora.Incident{IncidentID: "INC-1", Service: "checkout", Severity: "sev1", OpenedAt: time.Unix(0, 0), CausedByDeployment: "d-1"}},
				{Incident: dora.Incident{IncidentID: "INC-2", Service: "ledger", ResolvedAt: time.Unix(7200, 0)}, ResolutionSeconds: ptr(7200),
					Deployment: &AttributedDeployment{DeploymentID: "d-2", RecoverySeconds: ptr(5400)}},
				{Incident: dora.Incident{IncidentID: "INC-3", Service: "ledger", ResolvedAt: time.Unix(600, 0)}, ResolutionSeconds: ptr(600)},
			}
		}, []string{
			"Incident INC-1 (sev1) of checkout is still open; it is attributed to deployment d-1.",
			"The slowest incident to resolve was INC-2 (ledger): 2.0 h; it followed deployment d-2, recovered after 1.5 h.",
		}},
		{"failed canaries", func(r *Review) {
			r.Canary = Canary{Analyses: 5, Verdicts: map[string]int{"pass": 3, "fail": 2}}
		}, []string{"Canary analyses judged 2 of 5 canaries a failure."}},
		{"data to fix", func(r *Review) {
			r.DataQuality = []Note{{Kind: "changes_without_first_commit", Count: 4}, {Kind: "deployments_without_changes", Count: 1}, {Kind: "unattributed_incidents", Count: 2}}
		}, []string{"Data to fix: 1 successful deployment links no change; 2 incidents are attributed to no deployment (see the data-quality notes)."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(&r)
			r.Observations = Observe(&r)
			var got []string
			for _, o := range r.Observations {
				got = append(got, o.Text)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("observations\n  %q\nwant\n  %q", got, tc.want)
			}
			checkFigures(t, r)
		})
	}
}
