package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/estimate"
	"github.com/deploylens/deploylens/query/waits"
)

// Sources are what a review is computed from: the calculators the query
// API serves, so that the review's numbers are theirs.
type Sources struct {
	Conn  driver.Conn
	DORA  *dora.Calculator
	Waits *waits.Calculator
	// Now tells a complete week from the one in progress (time.Now if nil).
	Now func() time.Time
}

// ErrWeekNotStarted is returned for a week that begins after now.
var ErrWeekNotStarted = errors.New("the week has not started yet")

// Build assembles the review of one team's week in one environment
// (production if empty). The week in progress is reviewed up to now.
func Build(ctx context.Context, src Sources, team, environment string, week Week) (Review, error) {
	now := time.Now().UTC()
	if src.Now != nil {
		now = src.Now().UTC()
	}
	from, to := week.Start(), week.End()
	if !from.Before(now) {
		return Review{}, fmt.Errorf("%s: %w", week, ErrWeekNotStarted)
	}
	complete := !to.After(now)
	if !complete {
		to = now.Truncate(time.Second)
	}
	scope := delivery.Scope{Team: team, Environment: environment, From: from, To: to}
	trend := scope
	trend.From = week.Add(1 - TrendWeeks).Start()
	twoWeeks := scope
	twoWeeks.From = week.Add(-1).Start()

	var (
		report      dora.Report
		series      dora.Series
		trendWaits  waits.Report
		waterfalls  []waits.Timeline
		deployments []dora.Deployment
		incidents   []dora.Incident
		analyses    []CanaryAnalysis
	)
	err := inParallel(ctx,
		func(ctx context.Context) (err error) {
			report, err = src.DORA.Report(ctx, scope, 0)
			return wrap("DORA metrics", err)
		},
		func(ctx context.Context) (err error) {
			series, err = src.DORA.Series(ctx, trend, dora.StepWeek)
			return wrap("DORA trend", err)
		},
		// The trend's weeks hold the reviewed week's waits as GET
		// /api/v1/waits gives them for the week alone (the tests check it).
		func(ctx context.Context) (err error) {
			trendWaits, err = src.Waits.Report(ctx, trend)
			return wrap("waits", err)
		},
		func(ctx context.Context) (err error) {
			waterfalls, err = src.Waits.Waterfalls(ctx, scope)
			return wrap("waterfalls", err)
		},
		func(ctx context.Context) (err error) {
			deployments, err = src.DORA.Deployments(ctx, twoWeeks)
			return err
		},
		func(ctx context.Context) (err error) {
			incidents, err = src.DORA.Incidents(ctx, scope)
			return err
		},
		func(ctx context.Context) (err error) {
			analyses, err = canaryAnalyses(ctx, src.Conn, scope)
			return err
		},
	)
	if err != nil {
		return Review{}, err
	}

	r := Review{
		Team: team, Week: week, Environment: scope.Env(), From: from, To: to, Complete: complete,
		Metrics:     metricsOf(report, series),
		Waits:       waitsOf(week, trendWaits, waterfalls),
		Deployments: deploymentsOf(deployments, from),
		Canary:      canaryOf(analyses),
		Incidents:   incidentsOf(incidents, deployments),
		Method: Method{
			Method: report.Method, Shifts: series.Shifts,
			BenchmarkYear: report.Benchmark.Year, BenchmarkSource: report.Benchmark.Source,
			Weeks: "ISO 8601 weeks in UTC, Monday 00:00 to the next Monday",
		},
	}
	r.Empty = r.Deployments.Total == 0
	r.DataQuality = notesOf(report.DataQuality, &r)
	r.Observations = Observe(&r)
	return r, nil
}

// inParallel runs the fetches side by side (a ClickHouse server, and the
// embedded engine on its pool of connections, run their queries at once)
// and returns the first error, cancelling the others.
func inParallel(ctx context.Context, fetches ...func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, f := range fetches {
		wg.Go(func() {
			if err := f(ctx); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// metricDef says where one metric is in dora's answers.
type metricDef struct {
	key, name, statistic, unit, better string
	// of returns the metric's value, interval, sample, counts and shift.
	of    func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift)
	level func(b *dora.Benchmark) dora.Level
}

var metricDefs = []metricDef{
	{"deployment_frequency", "Deployment frequency", "successful deployments per day", UnitPerDay, "higher",
		func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift) {
			d := m.DeploymentFrequency
			return &d.PerDay, d.PerDayCI, d.Sample,
				map[string]int{"deployments": d.Deployments, "successful": d.Successful, "deploy_days": d.DeployDays}, d.Shift
		},
		func(b *dora.Benchmark) dora.Level { return b.DeploymentFrequency }},
	{"lead_time", "Lead time for changes", "median", UnitSeconds, "lower",
		func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift) {
			l := m.LeadTime
			return l.MedianSeconds, l.MedianCI, l.Sample, map[string]int{"changes": l.Changes}, l.Shift
		},
		func(b *dora.Benchmark) dora.Level { return b.LeadTime }},
	{"change_failure_rate", "Change failure rate", "failed deployments / deployments", UnitRatio, "lower",
		func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift) {
			c := m.ChangeFailureRate
			return c.Rate, c.RateCI, c.Sample, map[string]int{"failed": c.Failed, "deployments": c.Deployments}, c.Shift
		},
		func(b *dora.Benchmark) dora.Level { return b.ChangeFailureRate }},
	{"recovery_time", "Failed deployment recovery time", "median", UnitSeconds, "lower",
		func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift) {
			r := m.RecoveryTime
			return r.MedianSeconds, r.MedianCI, r.Sample, map[string]int{"recovered": r.Recovered, "unrecovered": r.Unrecovered}, r.Shift
		},
		func(b *dora.Benchmark) dora.Level { return b.RecoveryTime }},
	{"rework_rate", "Rework rate", "unplanned deployments / deployments", UnitRatio, "lower",
		func(m *dora.Metrics) (*float64, *estimate.Interval, dora.Sample, map[string]int, *dora.Shift) {
			r := m.ReworkRate
			return r.Rate, r.RateCI, r.Sample, map[string]int{"unplanned": r.Unplanned, "deployments": r.Deployments}, r.Shift
		},
		func(b *dora.Benchmark) dora.Level { return b.ReworkRate }},
}

// metricsOf takes the week's values from the report (what GET
// /api/v1/dora answers for the week) and the trend, the week before and the
// shift from the weekly series.
func metricsOf(report dora.Report, series dora.Series) Metrics {
	var out Metrics
	for i, m := range out.All() {
		def := metricDefs[i]
		*m = Metric{Key: def.key, Name: def.name, Statistic: def.statistic, Unit: def.unit, Better: def.better,
			Level: def.level(&report.Benchmark), Trend: []Point{}}
		m.Value, m.CI, m.Sample, m.Counts, _ = def.of(&report.Metrics)
		m.Value = clone(m.Value)
		for j := range series.Points {
			p := &series.Points[j]
			v, ci, _, _, shift := def.of(&p.Metrics)
			pt := Point{Week: WeekOf(p.Start), Start: p.Start.UTC(), Value: clone(v), CI: ci}
			if shift != nil {
				pt.Significant, pt.Direction = shift.Significant, shift.Direction
			}
			m.Trend = append(m.Trend, pt)
			if j == len(series.Points)-1 {
				m.Shift = shift
			}
		}
		if n := len(m.Trend); n >= 2 {
			m.Previous = m.Trend[n-2].Value
		}
		if m.Value != nil && m.Previous != nil {
			change := *m.Value - *m.Previous
			m.Change = &change
			if *m.Previous != 0 {
				rel := change / *m.Previous
				m.RelativeChange = &rel
			}
		}
		m.Assessment = assess(m.Shift, m.Better)
	}
	return out
}

// assess reads a shift: a significant move in the better direction is
// better, the other way worse.
func assess(s *dora.Shift, better string) string {
	switch {
	case s == nil || s.PValue == nil:
		return NotTested
	case !s.Significant:
		return NoSignificant
	case (s.Direction == "up") == (better == "higher"):
		return Better
	}
	return Worse
}

func clone(v *float64) *float64 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// waitsOf takes the week's waits and the week before's from the trend's
// weeks, and breaks the segments charged to pipeline stages down by stage.
func waitsOf(week Week, trend waits.Report, waterfalls []waits.Timeline) Waits {
	byWeek := map[time.Time]waits.Period{}
	for _, p := range trend.Weeks {
		byWeek[p.Start] = p
	}
	cur, ok := byWeek[week.Start()]
	if !ok { // no change deployed in the week
		cur = waits.Period{Stages: []waits.StageTime{}}
		for _, s := range trend.Segments {
			cur.Segments = append(cur.Segments, waits.SegmentTotal{Name: s.Name, State: s.State})
		}
	}
	w := Waits{
		Changes: cur.Changes, LeadSeconds: cur.LeadSeconds, WaitingSeconds: cur.WaitingSeconds,
		ActiveSeconds: cur.ActiveSeconds, WaitingShare: cur.WaitingShare, TopWaits: topWaits(cur.Stages),
		Segments: []WaitSegment{}, Trend: []WaitPoint{},
	}
	prev, hasPrev := byWeek[week.Add(-1).Start()]
	if hasPrev {
		w.PreviousWaitingShare = prev.WaitingShare
	}
	stages := segmentStages(waterfalls)
	for i, s := range cur.Segments {
		ws := WaitSegment{Name: s.Name, State: s.State, TotalSeconds: s.TotalSeconds, Changes: s.Changes,
			MedianSeconds: s.MedianSeconds, Stages: stages[s.Name]}
		if ws.Stages == nil {
			ws.Stages = []SegmentStage{}
		}
		if hasPrev && i < len(prev.Segments) {
			ws.PreviousTotalSeconds, ws.PreviousMedianSeconds = prev.Segments[i].TotalSeconds, prev.Segments[i].MedianSeconds
		}
		w.Segments = append(w.Segments, ws)
	}
	for k := TrendWeeks - 1; k >= 0; k-- {
		wk := week.Add(-k)
		p := byWeek[wk.Start()]
		w.Trend = append(w.Trend, WaitPoint{Week: wk, Start: wk.Start(), Changes: p.Changes, WaitingSeconds: p.WaitingSeconds, WaitingShare: p.WaitingShare})
	}
	return w
}

// topWaits ranks stages as waits.Report does: the waits.TopStages that made
// changes wait longest, stages being sorted longest first.
func topWaits(stages []waits.StageTime) []waits.StageTime {
	out := []waits.StageTime{}
	for _, s := range stages {
		if len(out) < waits.TopStages && s.WaitingSeconds > 0 {
			out = append(out, s)
		}
	}
	return out
}

// segmentStages sums, per segment, the time each pipeline stage carries.
func segmentStages(tls []waits.Timeline) map[string][]SegmentStage {
	type key struct{ segment, pipeline, stage string }
	seconds := map[key]float64{}
	totals := map[string]float64{}
	for _, tl := range tls {
		for _, s := range tl.Segments {
			if s.Pipeline == "" && s.Stage == "" {
				continue
			}
			seconds[key{s.Name, s.Pipeline, s.Stage}] += s.Seconds
			totals[s.Name] += s.Seconds
		}
	}
	out := map[string][]SegmentStage{}
	for k, v := range seconds {
		out[k.segment] = append(out[k.segment], SegmentStage{Pipeline: k.pipeline, Stage: k.stage, Seconds: v, Share: v / totals[k.segment]})
	}
	for _, list := range out {
		slices.SortFunc(list, func(a, b SegmentStage) int {
			if a.Seconds != b.Seconds {
				if a.Seconds > b.Seconds {
					return -1
				}
				return 1
			}
			return compareStrings(a.Pipeline+"\t"+a.Stage, b.Pipeline+"\t"+b.Stage)
		})
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// deploymentsOf counts the deployments that finished from from on (the
// list also holds the week before's, for the previous count).
func deploymentsOf(list []dora.Deployment, from time.Time) Deployments {
	d := Deployments{CanaryVerdicts: map[string]int{}, Services: []ServiceCount{}, List: []dora.Deployment{}}
	services := map[string]*ServiceCount{}
	for _, dep := range list {
		if dep.FinishedAt.Before(from) {
			d.PreviousTotal++
			continue
		}
		d.List = append(d.List, dep)
		d.Total++
		sc := services[dep.Service]
		if sc == nil {
			sc = &ServiceCount{Service: dep.Service}
			services[dep.Service] = sc
		}
		sc.Deployments++
		if dep.Status == "success" {
			d.Successful++
		}
		if dep.Failed {
			d.Failed++
			sc.Failed++
			if dep.RecoveredAt.IsZero() {
				d.Unrecovered++
			} else {
				d.Recovered++
			}
		}
		if dep.RolledBack {
			d.RolledBack++
		}
		if dep.RollbackOf != "" {
			d.Rollbacks++
		}
		if dep.Unplanned {
			d.Unplanned++
		}
		if dep.CanaryVerdict != "" {
			d.CanaryVerdicts[dep.CanaryVerdict]++
		}
	}
	for _, sc := range services {
		d.Services = append(d.Services, *sc)
	}
	slices.SortFunc(d.Services, func(a, b ServiceCount) int { return compareStrings(a.Service, b.Service) })
	return d
}

// incidentsOf pairs each incident with the deployment it is attributed to.
func incidentsOf(list []dora.Incident, deployments []dora.Deployment) []Incident {
	byID := map[string]*dora.Deployment{}
	for i := range deployments {
		byID[deployments[i].DeploymentID] = &deployments[i]
	}
	out := []Incident{}
	for _, in := range list {
		e := Incident{Incident: in}
		if !in.ResolvedAt.IsZero() {
			s := in.ResolvedAt.Sub(in.OpenedAt).Seconds()
			e.ResolutionSeconds = &s
		}
		if d := byID[in.CausedByDeployment]; d != nil {
			a := &AttributedDeployment{DeploymentID: d.DeploymentID, Service: d.Service, Version: d.Version,
				FinishedAt: d.FinishedAt, DetectedAt: d.DetectedAt, RecoveredAt: d.RecoveredAt}
			if !d.DetectedAt.IsZero() && !d.RecoveredAt.IsZero() {
				s := d.RecoveredAt.Sub(d.DetectedAt).Seconds()
				a.RecoverySeconds = &s
			}
			e.Deployment = a
		}
		out = append(out, e)
	}
	return out
}

func canaryOf(list []CanaryAnalysis) Canary {
	c := Canary{Analyses: len(list), Verdicts: map[string]int{}, List: list}
	for _, a := range list {
		if a.Verdict != "" {
			c.Verdicts[a.Verdict]++
		}
	}
	return c
}

// maxNoteItems bounds the entities a note names.
const maxNoteItems = 10

// notesOf lists the week's data-quality findings: dora's, metrics resting
// on too few observations, and a week still in progress.
func notesOf(q dora.DataQuality, r *Review) []Note {
	out := []Note{}
	add := func(kind string, issue dora.Issue, text string) {
		if issue.Count == 0 {
			return
		}
		items := issue.Items
		if len(items) > maxNoteItems {
			items = items[:maxNoteItems]
		}
		out = append(out, Note{Kind: kind, Count: issue.Count, Text: plural(issue.Count, text), Items: items})
	}
	if !r.Complete {
		out = append(out, Note{Kind: "week_in_progress", Text: "The week is not over: its figures cover it up to " + r.To.Format(time.RFC3339) + ".", Items: []dora.Item{}})
	}
	add("deployments_without_changes", q.DeploymentsWithoutChanges, "{n} successful deployment{s} link{!s} no change: lead time cannot count what {it|they} shipped.")
	add("changes_without_first_commit", q.ChangesWithoutFirstCommit, "{n} change{s} give{!s} no first commit time: {its|their} lead time starts when {it was|they were} opened or merged.")
	add("changes_without_start", q.ChangesWithoutStart, "{n} deployed change{s} give{!s} no start time at all and {is|are} left out of lead time.")
	add("unattributed_incidents", q.UnattributedIncidents, "{n} incident{s} name{!s} no deployment and follow{!s} none within the attribution window: {it counts|they count} as no change failure.")
	add("clock_skew", q.ClockSkew, "{n} {entity has|entities have} times out of order (finished before started, resolved before opened).")
	for _, m := range r.Metrics.All() {
		if m.LowSample && m.SampleSize > 0 {
			out = append(out, Note{Kind: "low_sample", Count: m.SampleSize, Text: m.Name + ": " + m.Note + ".", Items: []dora.Item{}})
		}
	}
	return out
}
