package deploylensapi

import "time"

// DORA is GET /api/v1/dora (DESIGN.md §7; query/dora.Report).
type DORA struct {
	Scope               Scope               `json:"scope"`
	DeploymentFrequency DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            LeadTime            `json:"lead_time"`
	ChangeFailureRate   ChangeFailureRate   `json:"change_failure_rate"`
	RecoveryTime        RecoveryTime        `json:"recovery_time"`
	ReworkRate          ReworkRate          `json:"rework_rate"`
	Benchmark           Benchmark           `json:"benchmark"`
}

// Sample says how many samples a figure rests on; a figure from too few
// carries a note saying so.
type Sample struct {
	SampleSize int64  `json:"sample_size"`
	LowSample  bool   `json:"low_sample"`
	Note       string `json:"note"`
}

// DeploymentFrequency counts deployments in the window.
type DeploymentFrequency struct {
	Sample
	Deployments int64   `json:"deployments"`
	Successful  int64   `json:"successful"`
	PerDay      float64 `json:"per_day"`
}

// LeadTime is the lead time for changes; nil figures had too few samples.
type LeadTime struct {
	Sample
	Changes       int64    `json:"changes"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// ChangeFailureRate is failed deployments over all deployments.
type ChangeFailureRate struct {
	Sample
	Failed      int64    `json:"failed"`
	Deployments int64    `json:"deployments"`
	Rate        *float64 `json:"rate"`
}

// RecoveryTime is the failed deployment recovery time.
type RecoveryTime struct {
	Sample
	Recovered     int64    `json:"recovered"`
	Unrecovered   int64    `json:"unrecovered"`
	MedianSeconds *float64 `json:"median_seconds"`
}

// ReworkRate is unplanned deployments over all deployments.
type ReworkRate struct {
	Sample
	Unplanned   int64    `json:"unplanned"`
	Deployments int64    `json:"deployments"`
	Rate        *float64 `json:"rate"`
}

// Scope echoes what an answer covers.
type Scope struct {
	Team        string   `json:"team"`
	Teams       []string `json:"teams"`
	Service     string   `json:"service"`
	Environment string   `json:"environment"`
	From        string   `json:"from"`
	To          string   `json:"to"`
}

// Benchmark holds each metric's DORA performance level against one year's
// published clusters.
type Benchmark struct {
	Year                int            `json:"year"`
	Source              string         `json:"source"`
	DeploymentFrequency BenchmarkLevel `json:"deployment_frequency"`
	LeadTime            BenchmarkLevel `json:"lead_time"`
	ChangeFailureRate   BenchmarkLevel `json:"change_failure_rate"`
	RecoveryTime        BenchmarkLevel `json:"recovery_time"`
	ReworkRate          BenchmarkLevel `json:"rework_rate"`
}

// BenchmarkLevel is one metric's level (elite, high, medium, low), or the
// reason it has none (too few samples, no data).
type BenchmarkLevel struct {
	Level     string `json:"level"`
	Published string `json:"published"`
	Reason    string `json:"reason"`
}

// DORASeries is GET /api/v1/dora/series.
type DORASeries struct {
	Step   string      `json:"step"`
	Points []DORAPoint `json:"points"`
}

// DORAPoint is the metrics of one step, starting at Start.
type DORAPoint struct {
	Start               time.Time           `json:"start"`
	End                 time.Time           `json:"end"`
	DeploymentFrequency DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            LeadTime            `json:"lead_time"`
	ChangeFailureRate   ChangeFailureRate   `json:"change_failure_rate"`
	RecoveryTime        RecoveryTime        `json:"recovery_time"`
	ReworkRate          ReworkRate          `json:"rework_rate"`
}
