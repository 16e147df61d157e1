package plugin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// Units as Grafana names them.
const (
	unitSeconds = "s"
	unitRate    = "percentunit"
	unitPerDay  = "suffix:/day"
	unitCount   = "none"
)

// field makes a field with a display name and a unit.
func field(name, display, unit string, values any) *data.Field {
	f := data.NewField(name, nil, values)
	f.Config = &data.FieldConfig{DisplayNameFromDS: display, Unit: unit}
	return f
}

// levelMappings colour benchmark levels the way DORA's reports do.
var levelMappings = data.ValueMappings{data.ValueMapper{
	"elite":  {Text: "Elite", Color: "dark-green", Index: 0},
	"high":   {Text: "High", Color: "green", Index: 1},
	"medium": {Text: "Medium", Color: "orange", Index: 2},
	"low":    {Text: "Low", Color: "red", Index: 3},
}}

// doraSummaryFrame is one row: the five metrics and the counts behind them.
// A figure deploylens computed from too few samples comes with a notice
// that says so, which Grafana shows on the panel.
func doraSummaryFrame(r deploylensapi.DORA) *data.Frame {
	fr := data.NewFrame("dora",
		field("deployments", "Deployments", unitCount, []int64{r.DeploymentFrequency.Deployments}),
		field("successful_deployments", "Successful deployments", unitCount, []int64{r.DeploymentFrequency.Successful}),
		field("deployment_frequency", "Deployment frequency", unitPerDay, []float64{r.DeploymentFrequency.PerDay}),
		field("changes", "Changes deployed", unitCount, []int64{r.LeadTime.Changes}),
		field("lead_time_median", "Lead time (median)", unitSeconds, []*float64{r.LeadTime.MedianSeconds}),
		field("lead_time_p90", "Lead time (p90)", unitSeconds, []*float64{r.LeadTime.P90Seconds}),
		field("failed_deployments", "Failed deployments", unitCount, []int64{r.ChangeFailureRate.Failed}),
		field("change_failure_rate", "Change failure rate", unitRate, []*float64{r.ChangeFailureRate.Rate}),
		field("recovered", "Recovered failures", unitCount, []int64{r.RecoveryTime.Recovered}),
		field("unrecovered", "Unrecovered failures", unitCount, []int64{r.RecoveryTime.Unrecovered}),
		field("recovery_time_median", "Recovery time (median)", unitSeconds, []*float64{r.RecoveryTime.MedianSeconds}),
		field("unplanned_deployments", "Unplanned deployments", unitCount, []int64{r.ReworkRate.Unplanned}),
		field("rework_rate", "Rework rate", unitRate, []*float64{r.ReworkRate.Rate}),
	)
	for _, s := range []deploylensapi.Sample{r.DeploymentFrequency.Sample, r.LeadTime.Sample, r.ChangeFailureRate.Sample, r.RecoveryTime.Sample, r.ReworkRate.Sample} {
		if s.LowSample && s.Note != "" {
			fr.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: s.Note})
		}
	}
	return fr
}

// benchmarkFrame is one row: each metric's DORA level, coloured.
func benchmarkFrame(r deploylensapi.DORA) *data.Frame {
	b := r.Benchmark
	// A metric without a level shows why (e.g. too few samples).
	level := func(name, display string, l deploylensapi.BenchmarkLevel) *data.Field {
		v := strings.ToLower(l.Level)
		if v == "" {
			v = l.Reason
		}
		f := field(name, display, "", []string{v})
		f.Config.Mappings = levelMappings
		f.Config.NoValue = "not enough data"
		return f
	}
	fr := data.NewFrame("benchmark",
		level("deployment_frequency", "Deployment frequency", b.DeploymentFrequency),
		level("lead_time", "Lead time", b.LeadTime),
		level("change_failure_rate", "Change failure rate", b.ChangeFailureRate),
		level("recovery_time", "Recovery time", b.RecoveryTime),
		level("rework_rate", "Rework rate", b.ReworkRate),
	)
	fr.Meta = &data.FrameMeta{Custom: map[string]any{"year": b.Year}}
	return fr
}

// doraSeriesFrame is a time series: one row per step.
func doraSeriesFrame(r deploylensapi.DORASeries) *data.Frame {
	n := len(r.Points)
	var (
		times     = make([]time.Time, n)
		deploys   = make([]int64, n)
		perDay    = make([]float64, n)
		leadMed   = make([]*float64, n)
		leadP90   = make([]*float64, n)
		cfr       = make([]*float64, n)
		recovery  = make([]*float64, n)
		rework    = make([]*float64, n)
		changes   = make([]int64, n)
		failed    = make([]int64, n)
		unplanned = make([]int64, n)
	)
	for i, p := range r.Points {
		times[i] = p.Start
		deploys[i] = p.DeploymentFrequency.Deployments
		perDay[i] = p.DeploymentFrequency.PerDay
		leadMed[i], leadP90[i] = p.LeadTime.MedianSeconds, p.LeadTime.P90Seconds
		cfr[i], recovery[i], rework[i] = p.ChangeFailureRate.Rate, p.RecoveryTime.MedianSeconds, p.ReworkRate.Rate
		changes[i], failed[i], unplanned[i] = p.LeadTime.Changes, p.ChangeFailureRate.Failed, p.ReworkRate.Unplanned
	}
	fr := data.NewFrame("dora_series",
		field("time", "", "", times),
		field("deployments", "Deployments", unitCount, deploys),
		field("deployment_frequency", "Deployment frequency", unitPerDay, perDay),
		field("changes", "Changes deployed", unitCount, changes),
		field("lead_time_median", "Lead time (median)", unitSeconds, leadMed),
		field("lead_time_p90", "Lead time (p90)", unitSeconds, leadP90),
		field("failed_deployments", "Failed deployments", unitCount, failed),
		field("change_failure_rate", "Change failure rate", unitRate, cfr),
		field("recovery_time_median", "Recovery time (median)", unitSeconds, recovery),
		field("unplanned_deployments", "Unplanned deployments", unitCount, unplanned),
		field("rework_rate", "Rework rate", unitRate, rework),
	)
	fr.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, Custom: map[string]any{"step": r.Step}}
	return fr
}

// waitSegmentsFrame is one row per named segment of lead time.
func waitSegmentsFrame(r deploylensapi.Waits) *data.Frame {
	n := len(r.Segments)
	seg, state := make([]string, n), make([]string, n)
	changes := make([]int64, n)
	total, share := make([]float64, n), make([]float64, n)
	median := make([]*float64, n)
	var sum float64
	for _, s := range r.Segments {
		sum += s.TotalSeconds
	}
	for i, s := range r.Segments {
		seg[i], state[i], changes[i], total[i], median[i] = s.Name, s.State, s.Changes, s.TotalSeconds, s.MedianSeconds
		if sum > 0 {
			share[i] = s.TotalSeconds / sum
		}
	}
	return data.NewFrame("waits",
		field("segment", "Segment", "", seg),
		field("state", "State", "", state),
		field("changes", "Changes", unitCount, changes),
		field("total", "Total time", unitSeconds, total),
		field("median", "Median per change", unitSeconds, median),
		field("share", "Share of lead time", unitRate, share),
	)
}

// topWaitsFrame is the (pipeline, stage) pairs that waited longest.
func topWaitsFrame(r deploylensapi.Waits, limit int) *data.Frame {
	rows := r.TopWaits
	if len(rows) > limit {
		rows = rows[:limit]
	}
	n := len(rows)
	pipeline, stage := make([]string, n), make([]string, n)
	waiting, active := make([]float64, n), make([]float64, n)
	for i, s := range rows {
		pipeline[i], stage[i], waiting[i], active[i] = s.Pipeline, s.Stage, s.WaitingSeconds, s.ActiveSeconds
	}
	return data.NewFrame("top_waits",
		field("pipeline", "Pipeline", "", pipeline),
		field("stage", "Stage", "", stage),
		field("waiting", "Waiting", unitSeconds, waiting),
		field("active", "Active", unitSeconds, active),
	)
}

// waitingShareFrame is a weekly time series of the waiting share.
func waitingShareFrame(r deploylensapi.Waits) *data.Frame {
	n := len(r.Weeks)
	times := make([]time.Time, n)
	share := make([]*float64, n)
	changes := make([]int64, n)
	waiting, active := make([]float64, n), make([]float64, n)
	for i, w := range r.Weeks {
		times[i], share[i], changes[i], waiting[i], active[i] = w.Start, w.WaitingShare, w.Changes, w.WaitingSeconds, w.ActiveSeconds
	}
	fr := data.NewFrame("waiting_share",
		field("time", "", "", times),
		field("waiting_share", "Waiting share of lead time", unitRate, share),
		field("changes", "Changes", unitCount, changes),
		field("waiting", "Waiting", unitSeconds, waiting),
		field("active", "Active", unitSeconds, active),
	)
	fr.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide}
	return fr
}

// keyValue is one tag of Grafana's trace view.
type keyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func tagsJSON(kv ...keyValue) json.RawMessage {
	b, _ := json.Marshal(kv)
	return b
}

// timelineFrame is a change's waterfall as a trace: the change is the root
// span (first commit to production deployment) and each segment a child
// span, so Grafana's trace view draws it.
func timelineFrame(r deploylensapi.Timeline) *data.Frame {
	service := r.Service
	if service == "" {
		service = r.Team
	}
	n := len(r.Segments) + 1
	var (
		traceIDs   = make([]string, n)
		spanIDs    = make([]string, n)
		parents    = make([]string, n)
		operations = make([]string, n)
		services   = make([]string, n)
		svcTags    = make([]json.RawMessage, n)
		starts     = make([]float64, n)
		durations  = make([]float64, n)
		states     = make([]string, n)
		tags       = make([]json.RawMessage, n)
	)
	ms := func(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }
	svc := tagsJSON(keyValue{"team", r.Team}, keyValue{"service", r.Service}, keyValue{"environment", r.Environment})
	traceIDs[0], spanIDs[0], operations[0], services[0], svcTags[0] = r.ChangeID, "change", r.ChangeID, service, svc
	starts[0], durations[0], states[0] = ms(r.StartedAt), ms(r.DeployedAt)-ms(r.StartedAt), "lead time"
	tags[0] = tagsJSON(keyValue{"deployment_id", r.DeploymentID}, keyValue{"started_from", r.StartedFrom},
		keyValue{"lead_seconds", r.LeadSeconds}, keyValue{"waiting_seconds", r.WaitingSeconds}, keyValue{"active_seconds", r.ActiveSeconds})
	for i, s := range r.Segments {
		j := i + 1
		traceIDs[j], spanIDs[j], parents[j] = r.ChangeID, fmt.Sprintf("segment-%d", i), "change"
		operations[j], services[j], svcTags[j] = s.Name, service, svc
		if s.Stage != "" {
			operations[j] = s.Name + ": " + s.Pipeline + " / " + s.Stage
		}
		starts[j], durations[j], states[j] = ms(s.Start), ms(s.End)-ms(s.Start), s.State
		tags[j] = tagsJSON(keyValue{"state", s.State}, keyValue{"seconds", s.Seconds}, keyValue{"pipeline", s.Pipeline}, keyValue{"stage", s.Stage})
	}
	fr := data.NewFrame("change_timeline",
		data.NewField("traceID", nil, traceIDs),
		data.NewField("spanID", nil, spanIDs),
		data.NewField("parentSpanID", nil, parents),
		data.NewField("operationName", nil, operations),
		data.NewField("serviceName", nil, services),
		data.NewField("serviceTags", nil, svcTags),
		field("startTime", "Start", "ms", starts),
		field("duration", "Duration", "ms", durations),
		data.NewField("state", nil, states),
		data.NewField("tags", nil, tags),
	)
	fr.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTrace}
	return fr
}

// nullableTime is nil for a zero time ("not yet").
func nullableTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// deploymentsFrame is one row per deployment; its time, timeEnd, title and
// tags fields make it usable as an annotation query too.
func deploymentsFrame(rows []deploylensapi.Deployment) *data.Frame {
	n := len(rows)
	var (
		finished   = make([]time.Time, n)
		started    = make([]*time.Time, n)
		ids        = make([]string, n)
		services   = make([]string, n)
		envs       = make([]string, n)
		versions   = make([]string, n)
		statuses   = make([]string, n)
		failed     = make([]bool, n)
		rolledBack = make([]bool, n)
		unplanned  = make([]bool, n)
		verdicts   = make([]string, n)
		changes    = make([]int64, n)
		incidents  = make([]int64, n)
		durations  = make([]*float64, n)
		text       = make([]string, n)
		tags       = make([]string, n)
	)
	for i, d := range rows {
		finished[i], started[i] = d.FinishedAt, nullableTime(d.StartedAt)
		ids[i], services[i], envs[i], versions[i], statuses[i] = d.DeploymentID, d.Service, d.Environment, d.Version, d.Status
		failed[i], rolledBack[i], unplanned[i], verdicts[i] = d.Failed, d.RolledBack, d.Unplanned, d.CanaryVerdict
		changes[i], incidents[i] = d.Changes, d.Incidents
		if !d.StartedAt.IsZero() {
			s := d.FinishedAt.Sub(d.StartedAt).Seconds()
			durations[i] = &s
		}
		summary := fmt.Sprintf("%s %s → %s: %s", d.Service, d.Version, d.Environment, d.Status)
		tagList := []string{d.Service, d.Status}
		if d.RolledBack {
			summary += ", rolled back"
			tagList = append(tagList, "rolled back")
		}
		if d.CanaryVerdict != "" {
			summary += " (canary " + d.CanaryVerdict + ")"
			tagList = append(tagList, "canary "+d.CanaryVerdict)
		}
		text[i], tags[i] = summary, strings.Join(tagList, ",")
	}
	status := field("status", "Status", "", statuses)
	status.Config.Mappings = data.ValueMappings{data.ValueMapper{
		"success": {Text: "success", Color: "green"},
		"failure": {Text: "failure", Color: "red"},
	}}
	verdict := field("canary_verdict", "Canary verdict", "", verdicts)
	verdict.Config.Mappings = verdictMappings
	return data.NewFrame("deployments",
		field("time", "Finished", "", finished),
		field("started", "Started", "", started),
		field("deployment_id", "Deployment", "", ids),
		field("service", "Service", "", services),
		field("environment", "Environment", "", envs),
		field("version", "Version", "", versions),
		status,
		field("failed", "Failed", "", failed),
		field("rolled_back", "Rolled back", "", rolledBack),
		field("unplanned", "Unplanned", "", unplanned),
		verdict,
		field("changes", "Changes", unitCount, changes),
		field("incidents", "Incidents", unitCount, incidents),
		field("duration", "Duration", unitSeconds, durations),
		field("text", "Summary", "", text),
		field("tags", "Tags", "", tags),
	)
}

var verdictMappings = data.ValueMappings{data.ValueMapper{
	"pass":         {Text: "pass", Color: "green"},
	"marginal":     {Text: "marginal", Color: "orange"},
	"fail":         {Text: "fail", Color: "red"},
	"inconclusive": {Text: "inconclusive", Color: "purple"},
}}

// incidentsFrame is one row per incident.
func incidentsFrame(rows []deploylensapi.Incident) *data.Frame {
	n := len(rows)
	var (
		opened    = make([]time.Time, n)
		resolved  = make([]*time.Time, n)
		ids       = make([]string, n)
		services  = make([]string, n)
		severity  = make([]string, n)
		titles    = make([]string, n)
		causedBy  = make([]string, n)
		durations = make([]*float64, n)
	)
	for i, in := range rows {
		opened[i], resolved[i] = in.OpenedAt, nullableTime(in.ResolvedAt)
		ids[i], services[i], severity[i], titles[i], causedBy[i] = in.IncidentID, in.Service, in.Severity, in.Title, in.CausedByDeployment
		if !in.ResolvedAt.IsZero() {
			s := in.ResolvedAt.Sub(in.OpenedAt).Seconds()
			durations[i] = &s
		}
	}
	return data.NewFrame("incidents",
		field("time", "Opened", "", opened),
		field("resolved", "Resolved", "", resolved),
		field("incident_id", "Incident", "", ids),
		field("service", "Service", "", services),
		field("severity", "Severity", "", severity),
		field("title", "Title", "", titles),
		field("caused_by_deployment", "Caused by deployment", "", causedBy),
		field("duration", "Time to resolve", unitSeconds, durations),
	)
}

// canaryFrame is one row per canary analysis, with the rule and reasons
// behind its verdict.
func canaryFrame(rows []deploylensapi.CanaryAnalysis) *data.Frame {
	n := len(rows)
	var (
		created  = make([]time.Time, n)
		ids      = make([]string, n)
		services = make([]string, n)
		deploys  = make([]string, n)
		statuses = make([]string, n)
		verdicts = make([]string, n)
		scores   = make([]*float64, n)
		rules    = make([]string, n)
		reasons  = make([]string, n)
		early    = make([]bool, n)
	)
	for i, a := range rows {
		created[i], ids[i], services[i], deploys[i] = a.CreatedAt, a.ID, a.Service, a.DeploymentID
		statuses[i], verdicts[i], scores[i], rules[i], early[i] = a.Status, a.Verdict, a.Score, a.Rule, a.StoppedEarly
		reason := a.Reason
		if a.Error != "" {
			reason = a.Error
		}
		if k := len(a.Looks); k > 0 && len(a.Looks[k-1].FailingMetrics) > 0 {
			reason += " (failing: " + strings.Join(a.Looks[k-1].FailingMetrics, ", ") + ")"
		}
		reasons[i] = reason
	}
	verdict := field("verdict", "Verdict", "", verdicts)
	verdict.Config.Mappings = verdictMappings
	return data.NewFrame("canary_analyses",
		field("time", "Created", "", created),
		field("analysis_id", "Analysis", "", ids),
		field("service", "Service", "", services),
		field("deployment_id", "Deployment", "", deploys),
		field("status", "Status", "", statuses),
		verdict,
		field("score", "Score", unitCount, scores),
		field("rule", "Rule", "", rules),
		field("reasons", "Reasons", "", reasons),
		field("stopped_early", "Stopped early", "", early),
	)
}
