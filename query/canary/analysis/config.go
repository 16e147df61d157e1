package analysis

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deploylens/deploylens/query/canary/judge"
	"github.com/deploylens/deploylens/query/canary/stats"
)

// Request starts an analysis. The HTTP layer decodes a body straight into it.
type Request struct {
	// Team owns the analysis; only tokens that may read the team see it.
	Team string `json:"team"`
	// Service is the ServiceName whose telemetry is analysed.
	Service     string `json:"service"`
	Environment string `json:"environment,omitempty"`
	// DeploymentID links the analysis to the deployment it judges.
	DeploymentID string `json:"deployment_id,omitempty"`
	// ConfigName references a stored config; Config gives one inline.
	// Exactly one of them.
	ConfigName string  `json:"config_name,omitempty"`
	Config     *Config `json:"config,omitempty"`
	// Baseline and Canary select each side's telemetry.
	Baseline Selector `json:"baseline"`
	Canary   Selector `json:"canary"`
	// Start of the analysed window; default now. LookbackSeconds instead
	// starts it that long before now: with a lookback of at least the
	// lifetime plus DefaultSettle the analysis judges past telemetry and
	// the answer to POST carries the verdict (what a pipeline wants after
	// a pause step).
	Start           *time.Time `json:"start,omitempty"`
	LookbackSeconds float64    `json:"lookback_seconds,omitempty"`
	// LifetimeSeconds is how long the analysis runs; IntervalSeconds how
	// often it judges (default: once, at the end of the lifetime).
	LifetimeSeconds float64 `json:"lifetime_seconds"`
	IntervalSeconds float64 `json:"interval_seconds,omitempty"`
}

// Selector picks one side's telemetry by resource attributes, e.g.
// {"service.version": "1.4.2"}. Every attribute must match.
type Selector struct {
	ResourceAttributes map[string]string `json:"resource_attributes"`
}

// Config is what an analysis measures and how the judge treats it; it can be
// stored under a name.
type Config struct {
	// Judge holds the judgment-wide settings (confidence level, tolerance,
	// thresholds, …) of judge.Config.
	Judge judge.Config `json:"judge"`
	// StepSeconds is the width of one sample point; default 60.
	StepSeconds float64  `json:"step_seconds,omitempty"`
	Metrics     []Metric `json:"metrics"`
}

// Source names where a metric's samples come from.
type Source string

const (
	SourceSpanLatency    Source = "span_latency"
	SourceSpanErrorRatio Source = "span_error_ratio"
	SourceErrorLogRate   Source = "error_log_rate"
	SourceMetric         Source = "metric"
)

// Metric is one metric of a config: where its samples come from, and the
// judge's options for it.
type Metric struct {
	Name   string `json:"name"`
	Source Source `json:"source"`
	// SpanName and SpanKind narrow the spans (span sources); empty: all.
	SpanName string `json:"span_name,omitempty"`
	SpanKind string `json:"span_kind,omitempty"`
	// Statistic of span_latency per step: "mean" or a quantile p50, p75,
	// p90, p95, p99 (default), p999.
	Statistic string `json:"statistic,omitempty"`
	// MetricName, MetricType ("gauge" or "sum") and Aggregation (avg,
	// min, max, sum, p50 … p999, rate) for source metric; Attributes
	// narrows the data points by their attributes.
	MetricName  string            `json:"metric_name,omitempty"`
	MetricType  string            `json:"metric_type,omitempty"`
	Aggregation string            `json:"aggregation,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	JudgeOptions
}

// JudgeOptions are the judge's per-metric options (judge.Metric); see
// package judge for their meaning.
type JudgeOptions struct {
	Direction    judge.Direction   `json:"direction,omitempty"`
	NaNStrategy  judge.NaNStrategy `json:"nan_strategy,omitempty"`
	Outliers     *judge.Outliers   `json:"outliers,omitempty"`
	EffectSize   *judge.EffectSize `json:"effect_size,omitempty"`
	Tolerance    *float64          `json:"tolerance,omitempty"`
	MinPower     *float64          `json:"min_power,omitempty"`
	Critical     bool              `json:"critical,omitempty"`
	MustHaveData bool              `json:"must_have_data,omitempty"`
	Muted        bool              `json:"muted,omitempty"`
	Group        string            `json:"group,omitempty"`
	Weight       *float64          `json:"weight,omitempty"`
}

// Limits.
const (
	DefaultStep = 60 * time.Second
	// DefaultSettle is how long after a look's window ends it is judged,
	// for the telemetry of its last moments to arrive.
	DefaultSettle   = 30 * time.Second
	MinStep         = time.Second
	MaxLifetime     = 7 * 24 * time.Hour
	MaxPointsPerRun = 20_000 // steps per side per metric
	MaxSelectorKeys = 20
	MaxConfigName   = 200
)

var statistics = map[string]bool{"mean": true, "p50": true, "p75": true, "p90": true, "p95": true, "p99": true, "p999": true}
var aggregations = map[string]bool{"avg": true, "min": true, "max": true, "sum": true, "rate": true,
	"p50": true, "p75": true, "p90": true, "p95": true, "p99": true, "p999": true}

// Kind is the judge kind of the metric's samples.
func (m *Metric) Kind() judge.Kind {
	switch m.Source {
	case SourceSpanErrorRatio:
		return judge.KindRatio
	case SourceErrorLogRate:
		return judge.KindCount
	}
	return judge.KindContinuous
}

func (m *Metric) statistic() string {
	if m.Statistic == "" {
		return "p99"
	}
	return m.Statistic
}

func (m *Metric) metricType() string {
	if m.MetricType == "" {
		return "gauge"
	}
	return m.MetricType
}

func (m *Metric) aggregation() string {
	if m.Aggregation == "" {
		return "avg"
	}
	return m.Aggregation
}

// Step is the sample width.
func (c *Config) Step() time.Duration {
	if c.StepSeconds == 0 {
		return DefaultStep
	}
	return seconds(c.StepSeconds)
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// judgeMetric is the judge's metric for m with the given samples.
func (m *Metric) judgeMetric(s samples) judge.Metric {
	o := m.JudgeOptions
	jm := judge.Metric{
		Name: m.Name, Kind: m.Kind(), Baseline: s.baseline, Canary: s.canary,
		Direction: o.Direction, NaNStrategy: o.NaNStrategy, Outliers: o.Outliers, EffectSize: o.EffectSize,
		Tolerance: o.Tolerance, MinPower: o.MinPower, Critical: o.Critical, MustHaveData: o.MustHaveData,
		Muted: o.Muted, Group: o.Group, Weight: o.Weight,
	}
	if m.Kind() != judge.KindContinuous {
		jm.BaselineExposure, jm.CanaryExposure = s.baselineExposure, s.canaryExposure
	}
	return jm
}

type validator struct{ errs judge.ValidationError }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, judge.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// Validate checks a config; fields are named under prefix ("config").
func (c *Config) Validate(prefix string) error {
	var v validator
	c.validate(&v, prefix)
	return v.err()
}

func (c *Config) validate(v *validator, at string) {
	if s := c.StepSeconds; s != 0 && !(finite(s) && seconds(s) >= MinStep && seconds(s) <= time.Hour) {
		v.add(at+".step_seconds", "must be between 1 and 3600 seconds, got %v", s)
	}
	if len(c.Metrics) == 0 {
		v.add(at+".metrics", "must list at least one metric")
	}
	for i := range c.Metrics {
		c.Metrics[i].validate(v, fmt.Sprintf("%s.metrics[%d]", at, i))
	}
	// The judge checks its own options; its field names are mapped to the
	// config's ("config.x" → "<at>.judge.x", "metrics[i].y" → "<at>.metrics[i].y").
	probe := judge.Request{Config: c.Judge}
	for i := range c.Metrics {
		probe.Metrics = append(probe.Metrics, c.Metrics[i].judgeMetric(samples{
			baseline: judge.Series{}, canary: judge.Series{}, baselineExposure: judge.Series{}, canaryExposure: judge.Series{}}))
	}
	if err := probe.Validate(); err != nil {
		for _, fe := range err.(judge.ValidationError) {
			switch {
			case strings.HasPrefix(fe.Field, "config."):
				fe.Field = at + ".judge." + strings.TrimPrefix(fe.Field, "config.")
			case fe.Field == "metrics" && len(c.Metrics) == 0:
				continue // reported above
			default:
				fe.Field = at + "." + fe.Field
			}
			v.errs = append(v.errs, fe)
		}
	}
}

func (m *Metric) validate(v *validator, at string) {
	switch m.Source {
	case SourceSpanLatency:
		if !statistics[m.statistic()] {
			v.add(at+".statistic", "must be mean, p50, p75, p90, p95, p99 or p999, got %q", m.Statistic)
		}
	case SourceSpanErrorRatio, SourceErrorLogRate:
		if m.Statistic != "" {
			v.add(at+".statistic", "applies to source span_latency only")
		}
	case SourceMetric:
		if strings.TrimSpace(m.MetricName) == "" {
			v.add(at+".metric_name", "is required for source metric, e.g. process.cpu.utilization")
		}
		if t := m.metricType(); t != "gauge" && t != "sum" {
			v.add(at+".metric_type", "must be gauge or sum, got %q", m.MetricType)
		}
		if !aggregations[m.aggregation()] {
			v.add(at+".aggregation", "must be avg, min, max, sum, rate, p50, p75, p90, p95, p99 or p999, got %q", m.Aggregation)
		} else if m.aggregation() == "rate" && m.metricType() != "sum" {
			v.add(at+".aggregation", "rate applies to cumulative sums (metric_type sum)")
		}
		validateAttributes(v, at+".attributes", m.Attributes, false)
	default:
		v.add(at+".source", "must be %q, %q, %q or %q, got %q", SourceSpanLatency, SourceSpanErrorRatio, SourceErrorLogRate, SourceMetric, m.Source)
	}
	if m.Source != SourceMetric && (m.MetricName != "" || m.MetricType != "" || m.Aggregation != "" || m.Attributes != nil) {
		v.add(at+".metric_name", "metric_name, metric_type, aggregation and attributes apply to source metric only")
	}
	if (m.SpanName != "" || m.SpanKind != "") && m.Source != SourceSpanLatency && m.Source != SourceSpanErrorRatio {
		v.add(at+".span_name", "span_name and span_kind apply to span sources only")
	}
}

func validateAttributes(v *validator, at string, attrs map[string]string, required bool) {
	if required && len(attrs) == 0 {
		v.add(at, "must name at least one resource attribute, e.g. {\"service.version\": \"1.4.2\"}")
	}
	if len(attrs) > MaxSelectorKeys {
		v.add(at, "has %d attributes; at most %d", len(attrs), MaxSelectorKeys)
	}
	for k := range attrs {
		if strings.TrimSpace(k) == "" {
			v.add(at, "has an empty attribute name")
		}
	}
}

// Validate checks a request. A named config is checked when it is stored.
func (r *Request) Validate() error {
	var v validator
	if strings.TrimSpace(r.Team) == "" {
		v.add("team", "is required: the team that owns the analysis")
	}
	if strings.TrimSpace(r.Service) == "" {
		v.add("service", "is required: the service.name whose telemetry is analysed")
	}
	switch {
	case r.ConfigName == "" && r.Config == nil:
		v.add("config", "give a config inline or a stored config's name in config_name")
	case r.ConfigName != "" && r.Config != nil:
		v.add("config_name", "give either config_name or config, not both")
	case r.Config != nil:
		r.Config.validate(&v, "config")
	}
	validateAttributes(&v, "baseline.resource_attributes", r.Baseline.ResourceAttributes, true)
	validateAttributes(&v, "canary.resource_attributes", r.Canary.ResourceAttributes, true)
	if len(r.Baseline.ResourceAttributes) > 0 && sameAttributes(r.Baseline.ResourceAttributes, r.Canary.ResourceAttributes) {
		v.add("canary.resource_attributes", "selects the same telemetry as the baseline")
	}
	if lb := r.LookbackSeconds; lb != 0 && !(finite(lb) && lb > 0 && seconds(lb) <= MaxLifetime) {
		v.add("lookback_seconds", "must be positive and at most %d (7 days), got %v", int(MaxLifetime.Seconds()), lb)
	} else if lb != 0 && r.Start != nil {
		v.add("lookback_seconds", "give either start or lookback_seconds, not both")
	}
	life := seconds(r.LifetimeSeconds)
	if !(finite(r.LifetimeSeconds) && life > 0 && life <= MaxLifetime) {
		v.add("lifetime_seconds", "must be positive and at most %d (7 days), got %v", int(MaxLifetime.Seconds()), r.LifetimeSeconds)
	}
	if iv := r.IntervalSeconds; iv != 0 && !(finite(iv) && seconds(iv) >= MinStep && seconds(iv) <= life) {
		v.add("interval_seconds", "must be at least 1 and at most lifetime_seconds (%v), got %v", r.LifetimeSeconds, iv)
	} else if iv != 0 && life > 0 && (life+seconds(iv)-1)/seconds(iv) > stats.MaxLooks {
		v.add("interval_seconds", "makes more than %d looks; use a longer interval", stats.MaxLooks)
	} else if life > 0 && r.Config != nil && len(v.errs) == 0 {
		if n := life / r.Config.Step(); n > MaxPointsPerRun {
			v.add("lifetime_seconds", "makes %d steps of step_seconds; at most %d — use a longer step", n, MaxPointsPerRun)
		}
		if seconds(r.IntervalSeconds) != 0 && seconds(r.IntervalSeconds) < r.Config.Step() {
			v.add("interval_seconds", "must be at least config.step_seconds (%v)", r.Config.Step().Seconds())
		}
	}
	return v.err()
}

// Plan is the look schedule of a request.
func (r *Request) Plan() (start time.Time, interval time.Duration, looks int) {
	life := seconds(r.LifetimeSeconds)
	interval = seconds(r.IntervalSeconds)
	if interval == 0 {
		interval = life
	}
	looks = int((life + interval - 1) / interval)
	if r.Start != nil {
		start = r.Start.UTC()
	}
	return start, interval, looks
}

func sameAttributes(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
