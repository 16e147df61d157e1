// Package dora computes the five DORA metrics of a scope — deployment
// frequency, lead time for changes, change failure rate, failed deployment
// recovery time and rework rate — exactly as DESIGN.md §6 defines them, in
// ClickHouse (sql/*.sql), with bootstrap confidence intervals, benchmark
// levels from DORA's published clusters, trends with a significance test
// per step, and the data-quality problems met on the way.
package dora

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/cells"
	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/estimate"
)

// DefaultAttributionWindow bounds how long after a successful deployment an
// incident that names no cause is attributed to it.
const DefaultAttributionWindow = 24 * time.Hour

// Calculator computes DORA metrics in ClickHouse.
type Calculator struct {
	Conn driver.Conn
	// AttributionWindow of incidents (DefaultAttributionWindow if zero).
	AttributionWindow time.Duration
	// Bootstrap draws the intervals (estimate.DefaultBootstrap if zero).
	Bootstrap  estimate.Bootstrap
	Benchmarks Benchmarks
	// Cluster names the ClickHouse cluster in cluster mode, where superseded
	// facts are dropped from every node's local tables.
	Cluster string
	// Log receives what the calculator cannot report in an answer.
	Log *slog.Logger

	runnerOnce sync.Once
	runner     *delivery.Runner
	keeperOnce sync.Once
	keeper     *cells.Keeper
}

func (c *Calculator) run() *delivery.Runner {
	c.runnerOnce.Do(func() { c.runner = &delivery.Runner{Conn: c.Conn} })
	return c.runner
}

// cells keeps the facts of the calculator's cells, rendered as its runner
// renders queries.
func (c *Calculator) cells() *cells.Keeper {
	c.keeperOnce.Do(func() {
		c.keeper = &cells.Keeper{Conn: c.Conn, Cluster: c.Cluster, Log: c.Log, PlainCTE: c.run().PlainCTE}
	})
	return c.keeper
}

// facts is the kind of facts the metrics read: per cell, the failure facts
// of its deployments (refresh_facts.sql) and each change's first
// deployment (refresh_leads.sql), under the calculator's attribution window.
func (c *Calculator) facts() cells.Kind {
	window := strconv.FormatInt(int64(c.window().Seconds()), 10)
	return cells.Kind{
		Name:       "dora",
		Variant:    "attribution_window_seconds=" + window,
		Statements: []delivery.Query{queries["refresh_facts"], queries["refresh_leads"]},
		Params:     clickhouse.Parameters{"attribution_window_seconds": window},
		Tables:     []string{"dora_facts", "dora_leads"},
	}
}

// generations returns the current generations of the facts of scope's cells.
func (c *Calculator) generations(ctx context.Context, scope delivery.Scope) ([]uint64, error) {
	return c.cells().Generations(ctx, scope, c.facts())
}

// ErrUnknownYear is returned for a benchmark year with no clusters.
var ErrUnknownYear = errors.New("no DORA clusters for that year")

func (c *Calculator) window() time.Duration {
	if c.AttributionWindow > 0 {
		return c.AttributionWindow
	}
	return DefaultAttributionWindow
}

func (c *Calculator) bootstrap() estimate.Bootstrap {
	if c.Bootstrap.Resamples > 0 {
		return c.Bootstrap
	}
	return estimate.DefaultBootstrap
}

// Report computes the metrics of scope's window, levelled against the
// clusters of benchmark year (the latest known when 0).
func (c *Calculator) Report(ctx context.Context, scope delivery.Scope, year int) (Report, error) {
	clusters, err := c.clusters(year)
	if err != nil {
		return Report{}, err
	}
	buckets, err := c.buckets(ctx, scope, "")
	if err != nil {
		return Report{}, err
	}
	b := buckets[scope.From.UnixNano()]
	if b == nil {
		b = &bucket{}
	}
	r := Report{
		Scope:       scopeInfo(scope),
		Metrics:     c.metrics(b, scope.From, scope.To, "window"),
		DataQuality: b.quality,
		Method:      c.method(),
	}
	r.Benchmark = clusters.benchmark(&r)
	r.DataQuality.finish()
	return r, nil
}

func (c *Calculator) clusters(year int) (Clusters, error) {
	if year == 0 {
		year = c.Benchmarks.Latest()
	}
	cl, ok := c.Benchmarks[year]
	if !ok {
		return Clusters{}, fmt.Errorf("%w: %d (known: %s)", ErrUnknownYear, year, c.Benchmarks.YearsText())
	}
	return cl, nil
}

func (c *Calculator) method() Method {
	b := c.bootstrap()
	return Method{
		Quantiles:                "exact, linear interpolation between order statistics (R type 7)",
		Intervals:                "percentile bootstrap: quantiles by resampling order statistics, rates by binomial resampling, per-day figures by resampling days",
		BootstrapResamples:       b.Resamples,
		BootstrapSeed:            b.Seed,
		ConfidenceLevel:          b.Level,
		AttributionWindowSeconds: c.window().Seconds(),
	}
}

func scopeInfo(s delivery.Scope) ScopeInfo {
	return ScopeInfo{
		Team: s.Team, Teams: s.Teams, Service: s.Service, Environment: s.Env(),
		From: s.From.UTC().Format(time.RFC3339Nano), To: s.To.UTC().Format(time.RFC3339Nano),
	}
}

// bucket is one time bucket's figures as the two queries return them.
type bucket struct {
	deployments, successful, deployDays int
	failures, recovered, unrecovered    int
	unplanned                           int
	daily                               map[int64]int // successful deployments by Unix day
	recoverySeconds                     []float64
	changes                             int
	leadSeconds                         []float64
	quality                             DataQuality
	// quantiles as ClickHouse computed them: median, p90.
	recoveryQuantiles, leadQuantiles []float64
}

// buckets runs both queries for scope, bucketed by step ("" for one bucket
// starting at scope.From), and joins their rows by bucket start.
func (c *Calculator) buckets(ctx context.Context, scope delivery.Scope, step string) (map[int64]*bucket, error) {
	gens, err := c.generations(ctx, scope)
	if err != nil {
		return nil, err
	}
	params := delivery.With(scope.Parameters(),
		"step", step,
		"generations", cells.UintArray(gens))
	variant := delivery.Variant{}
	// Buckets by the Unix nanosecond of their start.
	out := map[int64]*bucket{}
	get := func(t time.Time) *bucket {
		k := t.UnixNano()
		if out[k] == nil {
			out[k] = &bucket{daily: map[int64]int{}}
		}
		return out[k]
	}
	// The two queries run at once (on a server, and on the embedded
	// engine's connections); their rows are read one query after the other.
	var lead struct {
		rows driver.Rows
		err  error
	}
	leadCtx, cancelLead := context.WithCancel(ctx)
	defer cancelLead()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		lead.rows, lead.err = c.run().Query(leadCtx, queries["lead_time"], variant, params)
	}()
	rows, err := c.run().Query(ctx, queries["deployments"], variant, params)
	if err == nil {
		err = readDeployments(rows, get)
	} else {
		err = fmt.Errorf("query deployments: %w", err)
	}
	if err != nil {
		cancelLead() // the answer failed: the other query is not needed
	}
	wg.Wait()
	if err != nil {
		if lead.rows != nil {
			lead.rows.Close()
		}
		return nil, err
	}
	if lead.err != nil {
		return nil, fmt.Errorf("query lead time: %w", lead.err)
	}
	if err := readLeadTimes(lead.rows, get); err != nil {
		return nil, err
	}
	return out, nil
}

func readDeployments(rows driver.Rows, get func(time.Time) *bucket) error {
	defer rows.Close()
	for rows.Next() {
		var (
			start                                            time.Time
			deployments, successful, deployDays              uint64
			days                                             []time.Time
			dayCounts                                        []uint64
			failures, recovered, unrecovered                 uint64
			recoverySeconds, recoveryQuantiles               []float64
			unplanned, unlinked, unattributed, skewedDeps    uint64
			unlinkedItems, unattributedItems, skewedDepItems string
			skewedIncidents                                  []string
		)
		if err := rows.Scan(&start, &deployments, &successful, &deployDays, &days, &dayCounts,
			&failures, &recovered, &unrecovered, &recoverySeconds, &recoveryQuantiles, &unplanned,
			&unlinked, &unlinkedItems, &unattributed, &unattributedItems, &skewedDeps, &skewedDepItems, &skewedIncidents); err != nil {
			return fmt.Errorf("read deployments: %w", err)
		}
		b := get(start)
		b.deployments, b.successful, b.deployDays = int(deployments), int(successful), int(deployDays)
		for i, d := range days {
			b.daily[unixDay(d)] += int(dayCounts[i])
		}
		b.failures, b.recovered, b.unrecovered = int(failures), int(recovered), int(unrecovered)
		b.recoverySeconds, b.recoveryQuantiles = recoverySeconds, recoveryQuantiles
		b.unplanned = int(unplanned)
		if err := addItems(&b.quality.DeploymentsWithoutChanges, unlinked, unlinkedItems); err != nil {
			return err
		}
		if err := addItems(&b.quality.UnattributedIncidents, unattributed, unattributedItems); err != nil {
			return err
		}
		if err := addItems(&b.quality.ClockSkew, skewedDeps, skewedDepItems); err != nil {
			return err
		}
		var items []Item
		for _, id := range skewedIncidents {
			items = append(items, Item{ID: id, Detail: "incident resolved_at is before opened_at"})
		}
		b.quality.ClockSkew.add(len(skewedIncidents), items)
	}
	return rows.Err()
}

func readLeadTimes(rows driver.Rows, get func(time.Time) *bucket) error {
	defer rows.Close()
	for rows.Next() {
		var (
			start                                             time.Time
			changes, withoutFirst, withoutStart, skewed       uint64
			leadSeconds, leadQuantiles                        []float64
			withoutFirstItems, withoutStartItems, skewedItems string
		)
		if err := rows.Scan(&start, &changes, &leadSeconds, &leadQuantiles,
			&withoutFirst, &withoutFirstItems, &withoutStart, &withoutStartItems, &skewed, &skewedItems); err != nil {
			return fmt.Errorf("read lead time: %w", err)
		}
		b := get(start)
		b.changes, b.leadSeconds, b.leadQuantiles = int(changes), leadSeconds, leadQuantiles
		for _, it := range []struct {
			issue *Issue
			n     uint64
			items string
		}{
			{&b.quality.ChangesWithoutFirstCommit, withoutFirst, withoutFirstItems},
			{&b.quality.ChangesWithoutStart, withoutStart, withoutStartItems},
			{&b.quality.ClockSkew, skewed, skewedItems},
		} {
			if err := addItems(it.issue, it.n, it.items); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// addItems adds a count and the JSON list of items ClickHouse made.
func addItems(issue *Issue, count uint64, itemsJSON string) error {
	var items []Item
	if err := json.Unmarshal([]byte(itemsJSON), &items); err != nil {
		return fmt.Errorf("read data-quality items: %w", err)
	}
	issue.add(int(count), items)
	return nil
}

// metrics shapes one bucket [start, end) into the five metrics. label keeps
// the bootstrap streams of different buckets apart.
func (c *Calculator) metrics(b *bucket, start, end time.Time, label string) Metrics {
	bs := c.bootstrap()
	days := end.Sub(start).Hours() / 24
	var m Metrics

	df := &m.DeploymentFrequency
	df.Deployments, df.Successful, df.Days, df.DeployDays = b.deployments, b.successful, days, b.deployDays
	if days > 0 {
		df.PerDay = float64(b.successful) / days
		df.DeployDaysPerWeek = float64(b.deployDays) / days * 7
	}
	perDay, deployed := dailyValues(b.daily, start, end)
	df.Sample = sample(len(perDay), "days")
	if iv, ok := bs.MeanInterval(perDay, label+".per_day"); ok {
		df.PerDayCI = &iv
	}
	if iv, ok := bs.MeanInterval(deployed, label+".deploy_days"); ok {
		iv.Low, iv.High = iv.Low*7, iv.High*7
		df.DeployDaysPerWeekCI = &iv
	}

	lt := &m.LeadTime
	lt.Changes = b.changes
	lt.Sample = sample(len(b.leadSeconds), "changes")
	lt.MedianSeconds, lt.P90Seconds = quantiles(b.leadQuantiles, len(b.leadSeconds))
	lt.MedianCI = interval(bs.QuantileInterval(b.leadSeconds, 0.5, label+".lead_time.median"))
	lt.P90CI = interval(bs.QuantileInterval(b.leadSeconds, 0.9, label+".lead_time.p90"))

	cfr := &m.ChangeFailureRate
	cfr.Failed, cfr.Deployments = b.failures, b.deployments
	cfr.Rate = rate(b.failures, b.deployments)
	cfr.RateCI = interval(bs.ProportionInterval(b.failures, b.deployments, label+".change_failure_rate"))
	cfr.Sample = sample(b.deployments, "deployments")

	rt := &m.RecoveryTime
	rt.Recovered, rt.Unrecovered = b.recovered, b.unrecovered
	rt.Sample = sample(len(b.recoverySeconds), "recovered failed deployments")
	rt.MedianSeconds, rt.P90Seconds = quantiles(b.recoveryQuantiles, len(b.recoverySeconds))
	rt.MedianCI = interval(bs.QuantileInterval(b.recoverySeconds, 0.5, label+".recovery_time.median"))
	rt.P90CI = interval(bs.QuantileInterval(b.recoverySeconds, 0.9, label+".recovery_time.p90"))

	rw := &m.ReworkRate
	rw.Unplanned, rw.Deployments = b.unplanned, b.deployments
	rw.Rate = rate(b.unplanned, b.deployments)
	rw.RateCI = interval(bs.ProportionInterval(b.unplanned, b.deployments, label+".rework_rate"))
	rw.Sample = sample(b.deployments, "deployments")
	return m
}

// dailyValues returns, for every day of [start, end), its successful
// deployments and whether it had any.
func dailyValues(daily map[int64]int, start, end time.Time) (counts, deployed []float64) {
	for d := start.UTC().Truncate(24 * time.Hour); d.Before(end); d = d.Add(24 * time.Hour) {
		n := daily[unixDay(d)]
		counts = append(counts, float64(n))
		deployed = append(deployed, b2f(n > 0))
	}
	return counts, deployed
}

func unixDay(t time.Time) int64 { return t.Unix() / 86400 }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sample(n int, of string) Sample {
	s := Sample{SampleSize: n}
	if n < minSamples {
		s.LowSample = true
		s.Note = fmt.Sprintf("computed from %d %s, fewer than %d: shown without an interval and not benchmarked", n, of, minSamples)
	}
	return s
}

func quantiles(q []float64, n int) (median, p90 *float64) {
	if n == 0 || len(q) != 2 || math.IsNaN(q[0]) || math.IsNaN(q[1]) {
		return nil, nil
	}
	return &q[0], &q[1]
}

func rate(k, n int) *float64 {
	if n == 0 {
		return nil
	}
	r := float64(k) / float64(n)
	return &r
}

func interval(iv estimate.Interval, ok bool) *estimate.Interval {
	if !ok {
		return nil
	}
	return &iv
}
