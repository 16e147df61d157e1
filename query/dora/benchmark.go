package dora

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// The published DORA clusters, one file per report year.
//
//go:embed benchmarks/dora-*.json
var benchmarkFiles embed.FS

// Clusters are one year's published performance levels.
type Clusters struct {
	Year    int                      `json:"year"`
	Source  string                   `json:"source"`
	Note    string                   `json:"note"`
	Metrics map[string]ClusterMetric `json:"metrics"`
}

// ClusterMetric is one metric's levels, best first.
type ClusterMetric struct {
	Measure string         `json:"measure"`
	Better  string         `json:"better"` // "higher" or "lower"
	Levels  []ClusterLevel `json:"levels"`
}

// ClusterLevel is one level as published and as deploylens reads it: a
// value at or beyond Threshold (at least it when higher is better, at most it
// when lower is) meets the level; the last level has no threshold.
type ClusterLevel struct {
	Level     string   `json:"level"`
	Published string   `json:"published"`
	Threshold *float64 `json:"threshold"`
}

// Benchmarks are the clusters of every year deploylens knows.
type Benchmarks map[int]Clusters

// LoadBenchmarks reads the embedded cluster files and checks them.
func LoadBenchmarks() (Benchmarks, error) {
	names, err := fs.Glob(benchmarkFiles, "benchmarks/dora-*.json")
	if err != nil {
		return nil, err
	}
	out := Benchmarks{}
	for _, name := range names {
		b, err := fs.ReadFile(benchmarkFiles, name)
		if err != nil {
			return nil, err
		}
		var c Clusters
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[c.Year] = c
	}
	return out, nil
}

var clusterMetrics = []string{"deployment_frequency", "lead_time", "change_failure_rate", "recovery_time"}

func (c Clusters) validate() error {
	for _, name := range clusterMetrics {
		m, ok := c.Metrics[name]
		if !ok {
			return fmt.Errorf("year %d has no %s levels", c.Year, name)
		}
		if m.Better != "higher" && m.Better != "lower" {
			return fmt.Errorf("%s: better is %q, want higher or lower", name, m.Better)
		}
		for i, l := range m.Levels {
			if last := i == len(m.Levels)-1; last != (l.Threshold == nil) {
				return fmt.Errorf("%s: every level but the last needs a threshold (level %s)", name, l.Level)
			}
		}
	}
	return nil
}

// Years lists the known years, oldest first.
func (b Benchmarks) Years() []int {
	var ys []int
	for y := range b {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Latest is the newest year.
func (b Benchmarks) Latest() int {
	ys := b.Years()
	if len(ys) == 0 {
		return 0
	}
	return ys[len(ys)-1]
}

// YearsText lists the known years for messages: "2023, 2024".
func (b Benchmarks) YearsText() string {
	var s []string
	for _, y := range b.Years() {
		s = append(s, strconv.Itoa(y))
	}
	return strings.Join(s, ", ")
}

// Benchmark is a report's level per metric against one year's clusters.
type Benchmark struct {
	Year                int    `json:"year"`
	Source              string `json:"source"`
	DeploymentFrequency Level  `json:"deployment_frequency"`
	LeadTime            Level  `json:"lead_time"`
	ChangeFailureRate   Level  `json:"change_failure_rate"`
	RecoveryTime        Level  `json:"recovery_time"`
	ReworkRate          Level  `json:"rework_rate"`
}

// Level is one metric's level, or why it has none.
type Level struct {
	Level     string `json:"level,omitempty"`
	Published string `json:"published,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// classify places value among the metric's levels, best first.
func (c Clusters) classify(metric string, value *float64, samples int) Level {
	m := c.Metrics[metric]
	switch {
	case value == nil:
		return Level{Reason: "no data in the window"}
	case samples < minSamples:
		return Level{Reason: fmt.Sprintf("computed from %d samples (fewer than %d)", samples, minSamples)}
	}
	for _, l := range m.Levels {
		if l.Threshold == nil ||
			(m.Better == "higher" && *value >= *l.Threshold) ||
			(m.Better == "lower" && *value <= *l.Threshold) {
			return Level{Level: l.Level, Published: l.Published}
		}
	}
	return Level{Reason: "no level"}
}

// benchmark levels a report.
func (c Clusters) benchmark(r *Report) Benchmark {
	return Benchmark{
		Year:                c.Year,
		Source:              c.Source,
		DeploymentFrequency: c.classify("deployment_frequency", perDay(r.DeploymentFrequency), r.DeploymentFrequency.SampleSize),
		LeadTime:            c.classify("lead_time", r.LeadTime.MedianSeconds, r.LeadTime.SampleSize),
		ChangeFailureRate:   c.classify("change_failure_rate", r.ChangeFailureRate.Rate, r.ChangeFailureRate.SampleSize),
		RecoveryTime:        c.classify("recovery_time", r.RecoveryTime.MedianSeconds, r.RecoveryTime.SampleSize),
		ReworkRate:          Level{Reason: fmt.Sprintf("DORA's %d clusters publish no rework rate levels", c.Year)},
	}
}

// perDay is the deployment frequency to level, none without a successful
// deployment (no data and no deploys look the same).
func perDay(df DeploymentFrequency) *float64 {
	if df.Successful == 0 {
		return nil
	}
	return &df.PerDay
}
