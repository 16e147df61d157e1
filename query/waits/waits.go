// Package waits answers "where does a change sit waiting?": for every change
// a waterfall that puts each second of its lead time in one named segment,
// active or waiting (sql/waterfall.sql defines them), and per team the
// totals and medians per segment and week, the share of lead time spent
// waiting, and the pipeline stages that make changes wait longest.
package waits

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/cells"
	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/store"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

var queries = delivery.Queries(sqlFiles, "sql/*.sql")

// Segment states.
const (
	Active  = "active"
	Waiting = "waiting"
)

// Segments are the named segments of a waterfall, in the order a change
// usually meets them, with their state.
var Segments = []struct{ Name, State string }{
	{"coding", Active},
	{"review pickup wait", Waiting},
	{"review", Active},
	{"approval wait", Waiting},
	{"merge wait", Waiting},
	{"ci queue wait", Waiting},
	{"ci running", Active},
	{"hand-off", Waiting},
	{"approval gate", Waiting},
	{"deploy window wait", Waiting},
	{"deploying", Active},
	{"bake/canary", Active},
}

func segmentNames() []string {
	out := make([]string, len(Segments))
	for i, s := range Segments {
		out[i] = s.Name
	}
	return out
}

// TopStages is how many (pipeline, stage) pairs a report ranks.
const TopStages = 10

// Calculator computes waterfalls in ClickHouse.
type Calculator struct {
	Conn driver.Conn
	// Cluster names the ClickHouse cluster in cluster mode.
	Cluster string
	// Log receives what the calculator cannot report in an answer.
	Log *slog.Logger

	runnerOnce sync.Once
	runner     *delivery.Runner
	keeperOnce sync.Once
	keeper     *cells.Keeper
}

// waterfalls is the kind of facts reports read: per cell, each change's
// waterfall from its first deployment there (refresh_waterfalls.sql).
var waterfalls = cells.Kind{
	Name:       "waits",
	Statements: []delivery.Query{queries["refresh_waterfalls"]},
	Tables:     []string{"wait_waterfalls"},
	Stages:     true,
}

// cells keeps the stored waterfalls of the calculator's cells.
func (c *Calculator) cells() *cells.Keeper {
	c.keeperOnce.Do(func() {
		c.keeper = &cells.Keeper{Conn: c.Conn, Cluster: c.Cluster, Log: c.Log, PlainCTE: c.run().PlainCTE}
	})
	return c.keeper
}

func (c *Calculator) run() *delivery.Runner {
	c.runnerOnce.Do(func() { c.runner = &delivery.Runner{Conn: c.Conn} })
	return c.runner
}

// query runs one of the package's queries over params.
func (c *Calculator) query(ctx context.Context, name string, params clickhouse.Parameters) (driver.Rows, error) {
	v, err := c.run().Variant(ctx, params)
	if err != nil {
		return nil, err
	}
	rows, err := c.run().Query(ctx, queries[name], v, params)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return rows, nil
}

// Segment is one piece of a change's lead time.
type Segment struct {
	Name     string    `json:"name"`
	State    string    `json:"state"`
	Pipeline string    `json:"pipeline,omitempty"`
	Stage    string    `json:"stage,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Seconds  float64   `json:"seconds"`
}

// Timeline is one change's waterfall: the answer of
// GET /api/v1/changes/{change_id}/timeline.
type Timeline struct {
	ChangeID     string `json:"change_id"`
	DeploymentID string `json:"deployment_id"`
	Team         string `json:"team"`
	Service      string `json:"service"`
	Environment  string `json:"environment"`
	// StartedAt is where lead time starts; StartedFrom names the field it
	// came from (first_commit_at, else opened_at, else merged_at).
	StartedAt      time.Time `json:"started_at"`
	StartedFrom    string    `json:"started_from"`
	DeployedAt     time.Time `json:"deployed_at"`
	LeadSeconds    float64   `json:"lead_seconds"`
	ActiveSeconds  float64   `json:"active_seconds"`
	WaitingSeconds float64   `json:"waiting_seconds"`
	// Segments cover [StartedAt, DeployedAt] end to end, without overlap.
	Segments []Segment `json:"segments"`
}

// ErrNotFound means the change has no successful deployment to the
// environment (or no such change).
var ErrNotFound = errors.New("change not found")

// OutsideScopeError means the change was deployed only by teams the caller
// may not see.
type OutsideScopeError struct{ Team string }

func (e *OutsideScopeError) Error() string {
	return fmt.Sprintf("the change was deployed by team %q", e.Team)
}

// Timeline returns the waterfall of one change, deployed by one of scope's
// teams (scope.Teams; nil for all) to scope's environment.
func (c *Calculator) Timeline(ctx context.Context, scope delivery.Scope, changeID string) (Timeline, error) {
	tl, found, err := c.timeline(ctx, scope, changeID)
	if err != nil || found {
		return tl, err
	}
	if len(scope.Teams) == 0 && scope.Team == "" {
		return Timeline{}, ErrNotFound
	}
	open := scope
	open.Team, open.Teams = "", nil
	other, found, err := c.timeline(ctx, open, changeID)
	if err != nil {
		return Timeline{}, err
	}
	if found {
		return Timeline{}, &OutsideScopeError{Team: other.Team}
	}
	return Timeline{}, ErrNotFound
}

func (c *Calculator) timeline(ctx context.Context, scope delivery.Scope, changeID string) (Timeline, bool, error) {
	scope.Service = ""
	scope.From, scope.To = time.Unix(0, 0), time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	params := delivery.With(scope.Parameters(), "change_id", store.StringParam(changeID), "step", "")
	tls, err := c.read(ctx, params, "timeline", scope.Env())
	if err != nil || len(tls) == 0 {
		return Timeline{}, false, err
	}
	return tls[0], true, nil
}

// Waterfalls returns the timeline of every change whose first successful
// deployment in scope finished in the window (without team and service,
// which Timeline gives).
func (c *Calculator) Waterfalls(ctx context.Context, scope delivery.Scope) ([]Timeline, error) {
	gens, err := c.cells().Generations(ctx, scope, waterfalls)
	if err != nil {
		return nil, err
	}
	params := delivery.With(scope.Parameters(), "step", "", "generations", cells.UintArray(gens))
	return c.read(ctx, params, "waterfalls", scope.Env())
}

// read runs a query whose rows are waterfalls.
func (c *Calculator) read(ctx context.Context, params clickhouse.Parameters, query, env string) ([]Timeline, error) {
	rows, err := c.query(ctx, query, params)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Timeline
	for rows.Next() {
		var (
			tl                               Timeline
			names, states, pipelines, stages []string
			starts, ends                     []time.Time
		)
		if err := rows.Scan(&tl.ChangeID, &tl.DeploymentID, &tl.Team, &tl.Service, &tl.StartedAt, &tl.StartedFrom, &tl.DeployedAt,
			&names, &states, &pipelines, &stages, &starts, &ends); err != nil {
			return nil, fmt.Errorf("read %s: %w", query, err)
		}
		tl.Environment = env
		tl.Segments = make([]Segment, len(names))
		for i := range names {
			s := Segment{Name: names[i], State: states[i], Pipeline: pipelines[i], Stage: stages[i],
				Start: starts[i].UTC(), End: ends[i].UTC(), Seconds: ends[i].Sub(starts[i]).Seconds()}
			tl.Segments[i] = s
			if s.State == Waiting {
				tl.WaitingSeconds += s.Seconds
			} else {
				tl.ActiveSeconds += s.Seconds
			}
		}
		tl.StartedAt, tl.DeployedAt = tl.StartedAt.UTC(), tl.DeployedAt.UTC()
		tl.LeadSeconds = tl.DeployedAt.Sub(tl.StartedAt).Seconds()
		out = append(out, tl)
	}
	return out, rows.Err()
}

// SegmentTotal is one segment summed over a period's changes.
type SegmentTotal struct {
	Name         string  `json:"name"`
	State        string  `json:"state"`
	TotalSeconds float64 `json:"total_seconds"`
	TotalHours   float64 `json:"total_hours"`
	// Changes that spent time in the segment, and the median time among them.
	Changes       int      `json:"changes"`
	MedianSeconds *float64 `json:"median_seconds"`
	MedianHours   *float64 `json:"median_hours"`
}

// StageTime is one (pipeline, stage) pair's time across a period's changes.
type StageTime struct {
	Pipeline       string  `json:"pipeline"`
	Stage          string  `json:"stage"`
	WaitingSeconds float64 `json:"waiting_seconds"`
	ActiveSeconds  float64 `json:"active_seconds"`
}

// Period is the waits of the changes deployed in one week, or the window.
type Period struct {
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Changes        int       `json:"changes"`
	LeadSeconds    float64   `json:"lead_seconds"`
	WaitingSeconds float64   `json:"waiting_seconds"`
	ActiveSeconds  float64   `json:"active_seconds"`
	// WaitingShare of the lead time, over all the period's changes.
	WaitingShare *float64       `json:"waiting_share"`
	Segments     []SegmentTotal `json:"segments"`
	// Stages that made changes wait, longest first.
	Stages []StageTime `json:"stages"`
}

// Report is the answer of GET /api/v1/waits.
type Report struct {
	Team        string   `json:"team,omitempty"`
	Teams       []string `json:"teams,omitempty"`
	Service     string   `json:"service,omitempty"`
	Environment string   `json:"environment"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Period
	// TopWaits are the TopStages (pipeline, stage) pairs with the most
	// waiting time in the window.
	TopWaits []StageTime `json:"top_waits"`
	// Weeks (ISO, by the finish of each change's deployment) with changes.
	Weeks []Period `json:"weeks"`
}

// Report computes where scope's changes waited.
func (c *Calculator) Report(ctx context.Context, scope delivery.Scope) (Report, error) {
	gens, err := c.cells().Generations(ctx, scope, waterfalls)
	if err != nil {
		return Report{}, err
	}
	params := delivery.With(scope.Parameters(), "step", "week", "segments", delivery.StringArray(segmentNames()),
		"generations", cells.UintArray(gens))
	rows, err := c.run().Query(ctx, queries["team_waits"], delivery.Variant{}, params)
	if err != nil {
		return Report{}, fmt.Errorf("query team_waits: %w", err)
	}
	defer rows.Close()
	r := Report{
		Team: scope.Team, Teams: scope.Teams, Service: scope.Service, Environment: scope.Env(),
		From: scope.From.UTC().Format(time.RFC3339Nano), To: scope.To.UTC().Format(time.RFC3339Nano),
		Weeks: []Period{},
	}
	r.Period = emptyPeriod(scope.From, scope.To)
	for rows.Next() {
		var (
			period                    string
			changes                   uint64
			lead, waiting             float64
			segSeconds, segMedians    []float64
			segChanges                []uint64
			stageNames                []string
			stageWaiting, stageActive []float64
		)
		if err := rows.Scan(&period, &changes, &lead, &waiting, &segSeconds, &segChanges, &segMedians,
			&stageNames, &stageWaiting, &stageActive); err != nil {
			return Report{}, fmt.Errorf("read waits: %w", err)
		}
		p := Period{Changes: int(changes), LeadSeconds: lead, WaitingSeconds: waiting, ActiveSeconds: lead - waiting}
		if lead > 0 {
			share := waiting / lead
			p.WaitingShare = &share
		}
		p.Segments = segmentTotals(segSeconds, segChanges, segMedians)
		p.Stages = stageTimes(stageNames, stageWaiting, stageActive)
		if period == "all" {
			p.Start, p.End = scope.From.UTC(), scope.To.UTC()
			r.Period = p
			continue
		}
		start, err := time.Parse("2006-01-02 15:04:05.000000000", period)
		if err != nil {
			return Report{}, fmt.Errorf("read waits: week %q: %w", period, err)
		}
		p.Start, p.End = start.UTC(), start.UTC().AddDate(0, 0, 7)
		r.Weeks = append(r.Weeks, p)
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	sort.Slice(r.Weeks, func(i, j int) bool { return r.Weeks[i].Start.Before(r.Weeks[j].Start) })
	r.TopWaits = topWaits(r.Stages)
	return r, nil
}

func emptyPeriod(from, to time.Time) Period {
	return Period{Start: from.UTC(), End: to.UTC(), Segments: segmentTotals(nil, nil, nil), Stages: []StageTime{}}
}

func segmentTotals(seconds []float64, changes []uint64, medians []float64) []SegmentTotal {
	out := make([]SegmentTotal, len(Segments))
	for i, s := range Segments {
		t := SegmentTotal{Name: s.Name, State: s.State}
		if i < len(seconds) {
			t.TotalSeconds, t.TotalHours = seconds[i], seconds[i]/3600
			t.Changes = int(changes[i])
			if t.Changes > 0 && !math.IsNaN(medians[i]) {
				m, h := medians[i], medians[i]/3600
				t.MedianSeconds, t.MedianHours = &m, &h
			}
		}
		out[i] = t
	}
	return out
}

func stageTimes(names []string, waiting, active []float64) []StageTime {
	out := make([]StageTime, 0, len(names))
	for i, n := range names {
		pipeline, stage, _ := strings.Cut(n, "\t")
		out = append(out, StageTime{Pipeline: pipeline, Stage: stage, WaitingSeconds: waiting[i], ActiveSeconds: active[i]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].WaitingSeconds != out[j].WaitingSeconds {
			return out[i].WaitingSeconds > out[j].WaitingSeconds
		}
		return out[i].Pipeline+out[i].Stage < out[j].Pipeline+out[j].Stage
	})
	return out
}

func topWaits(stages []StageTime) []StageTime {
	out := []StageTime{}
	for _, s := range stages {
		if len(out) == TopStages || s.WaitingSeconds <= 0 {
			break
		}
		out = append(out, s)
	}
	return out
}
