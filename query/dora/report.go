package dora

import (
	"slices"
	"strings"

	"github.com/deploylens/deploylens/query/estimate"
)

// minSamples is the smallest sample a figure is given without a warning.
const minSamples = estimate.MinSamples

// Sample says how many observations a figure rests on.
type Sample struct {
	SampleSize int `json:"sample_size"`
	// LowSample is set when the figure rests on fewer than 5 observations:
	// it is shown, without an interval, and not benchmarked.
	LowSample bool   `json:"low_sample"`
	Note      string `json:"note,omitempty"`
}

// DeploymentFrequency counts the deployments D that finished in the window.
type DeploymentFrequency struct {
	// Deployments in D, either status, and the successful ones.
	Deployments int `json:"deployments"`
	Successful  int `json:"successful"`
	// Days in the window.
	Days float64 `json:"days"`
	// PerDay is successful deployments per day; the interval resamples days.
	PerDay   float64            `json:"per_day"`
	PerDayCI *estimate.Interval `json:"per_day_ci"`
	// DeployDays counts the days with a successful deployment.
	DeployDays          int                `json:"deploy_days"`
	DeployDaysPerWeek   float64            `json:"deploy_days_per_week"`
	DeployDaysPerWeekCI *estimate.Interval `json:"deploy_days_per_week_ci"`
	Sample
	Shift *Shift `json:"shift,omitempty"`
}

// LeadTime summarizes the lead times of the changes whose first successful
// deployment finished in the window.
type LeadTime struct {
	Changes       int                `json:"changes"`
	MedianSeconds *float64           `json:"median_seconds"`
	MedianCI      *estimate.Interval `json:"median_ci"`
	P90Seconds    *float64           `json:"p90_seconds"`
	P90CI         *estimate.Interval `json:"p90_ci"`
	Sample
	Shift *Shift `json:"shift,omitempty"`
}

// ChangeFailureRate is failed deployments in D over |D|.
type ChangeFailureRate struct {
	Failed      int                `json:"failed"`
	Deployments int                `json:"deployments"`
	Rate        *float64           `json:"rate"`
	RateCI      *estimate.Interval `json:"rate_ci"`
	Sample
	Shift *Shift `json:"shift,omitempty"`
}

// RecoveryTime summarizes the failed deployments in D: recovery times of
// the recovered ones, the unrecovered ones counted apart.
type RecoveryTime struct {
	Recovered     int                `json:"recovered"`
	Unrecovered   int                `json:"unrecovered"`
	MedianSeconds *float64           `json:"median_seconds"`
	MedianCI      *estimate.Interval `json:"median_ci"`
	P90Seconds    *float64           `json:"p90_seconds"`
	P90CI         *estimate.Interval `json:"p90_ci"`
	Sample
	Shift *Shift `json:"shift,omitempty"`
}

// ReworkRate is unplanned deployments in D over |D|.
type ReworkRate struct {
	Unplanned   int                `json:"unplanned"`
	Deployments int                `json:"deployments"`
	Rate        *float64           `json:"rate"`
	RateCI      *estimate.Interval `json:"rate_ci"`
	Sample
	Shift *Shift `json:"shift,omitempty"`
}

// Metrics are the five DORA metrics of one window or one step of a series.
type Metrics struct {
	DeploymentFrequency DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            LeadTime            `json:"lead_time"`
	ChangeFailureRate   ChangeFailureRate   `json:"change_failure_rate"`
	RecoveryTime        RecoveryTime        `json:"recovery_time"`
	ReworkRate          ReworkRate          `json:"rework_rate"`
}

// Report is the answer of GET /api/v1/dora.
type Report struct {
	Scope ScopeInfo `json:"scope"`
	Metrics
	Benchmark   Benchmark   `json:"benchmark"`
	DataQuality DataQuality `json:"data_quality"`
	Method      Method      `json:"method"`
}

// ScopeInfo echoes what the answer covers.
type ScopeInfo struct {
	Team        string   `json:"team,omitempty"`
	Teams       []string `json:"teams,omitempty"`
	Service     string   `json:"service,omitempty"`
	Environment string   `json:"environment"`
	From        string   `json:"from"`
	To          string   `json:"to"`
}

// Method states how the figures were computed.
type Method struct {
	Quantiles                string  `json:"quantiles"`
	Intervals                string  `json:"intervals"`
	BootstrapResamples       int     `json:"bootstrap_resamples"`
	BootstrapSeed            uint64  `json:"bootstrap_seed"`
	ConfidenceLevel          float64 `json:"confidence_level"`
	AttributionWindowSeconds float64 `json:"attribution_window_seconds"`
}

// Item is one entity a data-quality list names.
type Item struct {
	ID     string `json:"id"`
	At     string `json:"at,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Issue is one kind of data-quality problem: how many, and the first 100.
type Issue struct {
	Count int    `json:"count"`
	Items []Item `json:"items"`
}

// DataQuality lists what the figures could not use or had to guess.
type DataQuality struct {
	// Successful deployments in the window that no change links to.
	DeploymentsWithoutChanges Issue `json:"deployments_without_changes"`
	// Changes whose lead time starts at opened_at or merged_at.
	ChangesWithoutFirstCommit Issue `json:"changes_without_first_commit"`
	// Changes deployed in the window with no start time at all, left out.
	ChangesWithoutStart Issue `json:"changes_without_start"`
	// Incidents of the scope attributed to no deployment.
	UnattributedIncidents Issue `json:"unattributed_incidents"`
	// Entities whose times are out of order.
	ClockSkew Issue `json:"clock_skew"`
}

const maxItems = 100

func (i *Issue) add(count int, items []Item) {
	i.Count += count
	for _, it := range items {
		if len(i.Items) >= maxItems {
			break
		}
		i.Items = append(i.Items, it)
	}
}

func (q *DataQuality) merge(o DataQuality) {
	q.DeploymentsWithoutChanges.add(o.DeploymentsWithoutChanges.Count, o.DeploymentsWithoutChanges.Items)
	q.ChangesWithoutFirstCommit.add(o.ChangesWithoutFirstCommit.Count, o.ChangesWithoutFirstCommit.Items)
	q.ChangesWithoutStart.add(o.ChangesWithoutStart.Count, o.ChangesWithoutStart.Items)
	q.UnattributedIncidents.add(o.UnattributedIncidents.Count, o.UnattributedIncidents.Items)
	q.ClockSkew.add(o.ClockSkew.Count, o.ClockSkew.Items)
}

// finish orders every list by id (ClickHouse collects them in no set order)
// and gives empty lists as [] rather than null.
func (q *DataQuality) finish() {
	for _, i := range []*Issue{&q.DeploymentsWithoutChanges, &q.ChangesWithoutFirstCommit, &q.ChangesWithoutStart, &q.UnattributedIncidents, &q.ClockSkew} {
		if i.Items == nil {
			i.Items = []Item{}
		}
		slices.SortStableFunc(i.Items, func(a, b Item) int { return strings.Compare(a.ID, b.ID) })
	}
}
