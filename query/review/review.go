// Package review assembles a team's weekly metrics review — what shipped,
// what broke, where changes waited, what to look at — from the figures the
// query API computes (query/dora, query/waits, canary analyses), and renders
// it as JSON, Markdown and a self-contained HTML page whose charts are drawn
// by svgchart. Build does the assembling; it computes nothing the metric
// packages already do, so every number on the page is the number their
// endpoints give for the same window. Observations are small rules over a
// built Review, each citing the figures it rests on.
package review

import (
	"time"

	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/estimate"
	"github.com/deploylens/deploylens/query/waits"
)

// TrendWeeks is how many weeks the trend charts show, ending with the
// reviewed week.
const TrendWeeks = 12

// TimeoutFactor is how many times one metrics request's timeout a review
// is given: it runs the queries of several endpoints (DORA, its series,
// waits, waterfalls, the listings), which the embedded engine takes one at
// a time.
const TimeoutFactor = 4

// Review is one team's week: the answer of GET /api/v1/reviews/weekly.
type Review struct {
	Team        string    `json:"team"`
	Week        Week      `json:"week"`
	Environment string    `json:"environment"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	// Complete is false for the week in progress, whose window ends now.
	Complete bool `json:"complete"`
	// Empty is true when no deployment finished in the week.
	Empty        bool          `json:"empty"`
	Metrics      Metrics       `json:"metrics"`
	Waits        Waits         `json:"waits"`
	Deployments  Deployments   `json:"deployments"`
	Canary       Canary        `json:"canary"`
	Incidents    []Incident    `json:"incidents"`
	DataQuality  []Note        `json:"data_quality"`
	Observations []Observation `json:"observations"`
	Method       Method        `json:"method"`
}

// Metrics are the five DORA metrics of the week.
type Metrics struct {
	DeploymentFrequency Metric `json:"deployment_frequency"`
	LeadTime            Metric `json:"lead_time"`
	ChangeFailureRate   Metric `json:"change_failure_rate"`
	RecoveryTime        Metric `json:"recovery_time"`
	ReworkRate          Metric `json:"rework_rate"`
}

// All lists the metrics in the order DORA names them.
func (m *Metrics) All() []*Metric {
	return []*Metric{&m.DeploymentFrequency, &m.LeadTime, &m.ChangeFailureRate, &m.RecoveryTime, &m.ReworkRate}
}

// Units of a metric's value.
const (
	UnitPerDay  = "per_day"
	UnitSeconds = "seconds"
	UnitRatio   = "ratio"
)

// Assessments of a week's change.
const (
	Better        = "better"
	Worse         = "worse"
	NoSignificant = "no significant change"
	NotTested     = "not tested"
)

// Metric is one DORA metric of the week, the week before, and the twelve
// weeks up to it.
type Metric struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Statistic says what Value is, e.g. "median".
	Statistic string `json:"statistic"`
	Unit      string `json:"unit"`
	// Better is the direction of an improvement: higher or lower.
	Better string             `json:"better"`
	Value  *float64           `json:"value"`
	CI     *estimate.Interval `json:"ci"`
	dora.Sample
	// Counts behind the value (deployments, failed, changes, …).
	Counts map[string]int `json:"counts"`
	// Previous is the week before's value; Change is Value − Previous and
	// RelativeChange that over Previous.
	Previous       *float64 `json:"previous"`
	Change         *float64 `json:"change"`
	RelativeChange *float64 `json:"relative_change"`
	// Shift tests the week against the dora.BaselineSteps weeks before it
	// (a single week-over-week difference is mostly noise).
	Shift *dora.Shift `json:"shift"`
	// Assessment reads the shift: better, worse, no significant change or
	// not tested.
	Assessment string     `json:"assessment"`
	Level      dora.Level `json:"level"`
	Trend      []Point    `json:"trend"`
}

// Point is one week of a metric's trend.
type Point struct {
	Week  Week               `json:"week"`
	Start time.Time          `json:"start"`
	Value *float64           `json:"value"`
	CI    *estimate.Interval `json:"ci"`
	// Significant when the week differs from the weeks before it.
	Significant bool   `json:"significant"`
	Direction   string `json:"direction,omitempty"`
}

// Waits are where the week's changes waited, beside the week before.
type Waits struct {
	Changes        int      `json:"changes"`
	LeadSeconds    float64  `json:"lead_seconds"`
	WaitingSeconds float64  `json:"waiting_seconds"`
	ActiveSeconds  float64  `json:"active_seconds"`
	WaitingShare   *float64 `json:"waiting_share"`
	// PreviousWaitingShare is the week before's share.
	PreviousWaitingShare *float64 `json:"previous_waiting_share"`
	// Segments in waits.Segments' order.
	Segments []WaitSegment `json:"segments"`
	// TopWaits are the pipeline stages the week's changes waited at
	// longest (waits.TopStages at most).
	TopWaits []waits.StageTime `json:"top_waits"`
	// Trend is the waiting share of each of the TrendWeeks weeks.
	Trend []WaitPoint `json:"trend"`
}

// WaitSegment is one segment's time this week and the week before.
type WaitSegment struct {
	Name                  string   `json:"name"`
	State                 string   `json:"state"`
	TotalSeconds          float64  `json:"total_seconds"`
	Changes               int      `json:"changes"`
	MedianSeconds         *float64 `json:"median_seconds"`
	PreviousTotalSeconds  float64  `json:"previous_total_seconds"`
	PreviousMedianSeconds *float64 `json:"previous_median_seconds"`
	// Stages that carry the segment's time this week, most first (for
	// segments charged to a pipeline stage).
	Stages []SegmentStage `json:"stages"`
}

// SegmentStage is the part of one segment spent at one pipeline stage.
type SegmentStage struct {
	Pipeline string  `json:"pipeline"`
	Stage    string  `json:"stage"`
	Seconds  float64 `json:"seconds"`
	// Share of the segment's total.
	Share float64 `json:"share"`
}

// WaitPoint is one week's waiting.
type WaitPoint struct {
	Week           Week      `json:"week"`
	Start          time.Time `json:"start"`
	Changes        int       `json:"changes"`
	WaitingSeconds float64   `json:"waiting_seconds"`
	WaitingShare   *float64  `json:"waiting_share"`
}

// Deployments are what finished in the week.
type Deployments struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	// Failed by DESIGN §6: failure status, rolled back or an incident.
	Failed     int `json:"failed"`
	RolledBack int `json:"rolled_back"`
	// Rollbacks are deployments that roll another back.
	Rollbacks   int `json:"rollbacks"`
	Unplanned   int `json:"unplanned"`
	Recovered   int `json:"recovered"`
	Unrecovered int `json:"unrecovered"`
	// PreviousTotal is the week before's count.
	PreviousTotal int `json:"previous_total"`
	// CanaryVerdicts counts deployments by their canary verdict.
	CanaryVerdicts map[string]int    `json:"canary_verdicts"`
	Services       []ServiceCount    `json:"services"`
	List           []dora.Deployment `json:"list"`
}

// ServiceCount is one service's deployments in the week.
type ServiceCount struct {
	Service     string `json:"service"`
	Deployments int    `json:"deployments"`
	Failed      int    `json:"failed"`
}

// Canary lists the canary analyses the team started in the week.
type Canary struct {
	Analyses int `json:"analyses"`
	// Verdicts counts the completed analyses by verdict.
	Verdicts map[string]int   `json:"verdicts"`
	List     []CanaryAnalysis `json:"list"`
}

// CanaryAnalysis is one analysis, in short.
type CanaryAnalysis struct {
	ID           string    `json:"id"`
	Service      string    `json:"service"`
	DeploymentID string    `json:"deployment_id"`
	Status       string    `json:"status"`
	Verdict      string    `json:"verdict"`
	Score        *float64  `json:"score"`
	CreatedAt    time.Time `json:"created_at"`
}

// Incident is one incident opened in the week: an entry of the
// correction-of-errors list.
type Incident struct {
	dora.Incident
	// ResolutionSeconds is ResolvedAt − OpenedAt; nil while open.
	ResolutionSeconds *float64 `json:"resolution_seconds"`
	// Deployment it is attributed to, when that deployment finished in
	// the week or the week before; nil otherwise.
	Deployment *AttributedDeployment `json:"deployment"`
}

// AttributedDeployment is the deployment an incident is attributed to.
type AttributedDeployment struct {
	DeploymentID string    `json:"deployment_id"`
	Service      string    `json:"service"`
	Version      string    `json:"version"`
	FinishedAt   time.Time `json:"finished_at"`
	DetectedAt   time.Time `json:"detected_at,omitzero"`
	RecoveredAt  time.Time `json:"recovered_at,omitzero"`
	// RecoverySeconds is RecoveredAt − DetectedAt (DORA's failed deployment
	// recovery time); nil while unrecovered.
	RecoverySeconds *float64 `json:"recovery_seconds"`
}

// Note is one data-quality finding: what the figures could not use or had
// to guess.
type Note struct {
	Kind  string      `json:"kind"`
	Count int         `json:"count"`
	Text  string      `json:"text"`
	Items []dora.Item `json:"items"`
}

// Observation is one finding computed from the review, with the figures it
// cites.
type Observation struct {
	Rule    string   `json:"rule"`
	Text    string   `json:"text"`
	Figures []Figure `json:"figures"`
}

// Figure is one number (or name) an observation cites: where it is in the
// review (a JSON Pointer, RFC 6901), its value, and how the text writes it.
type Figure struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
	Shown string `json:"shown"`
}

// Method says how the figures were computed.
type Method struct {
	dora.Method
	Shifts          dora.ShiftMethod `json:"shifts"`
	BenchmarkYear   int              `json:"benchmark_year"`
	BenchmarkSource string           `json:"benchmark_source"`
	Weeks           string           `json:"weeks"`
}
