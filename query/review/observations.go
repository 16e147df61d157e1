package review

import (
	"fmt"
	"math"
	"strings"
)

// A rule finds what is worth saying about a review. Each observation cites
// the figures it rests on, by their place in the review.
type rule func(r *Review) []Observation

// rules in the order their observations are listed: the week's shape first,
// then what got worse or better, then what broke, then the data.
var rules = []struct {
	name string
	find rule
}{
	{"quiet_week", quietWeek},
	{"metric_shift", metricShifts},
	{"wait_change", waitChanges},
	{"top_wait", topWait},
	{"failed_deployments", failedDeployments},
	{"open_incident", openIncidents},
	{"slowest_resolution", slowestResolution},
	{"canary_failures", canaryFailures},
	{"data_quality", dataQuality},
}

// Observe runs every rule over r.
func Observe(r *Review) []Observation {
	out := []Observation{}
	for _, rl := range rules {
		for _, o := range rl.find(r) {
			o.Rule = rl.name
			out = append(out, o)
		}
	}
	return out
}

// citing collects the figures of one observation as its text is written.
type citing struct{ figures []Figure }

// cite records value, found at path, and returns shown for the text.
func (c *citing) cite(path string, value any, shown string) string {
	c.figures = append(c.figures, Figure{Path: path, Value: value, Shown: shown})
	return shown
}

// count cites an integer.
func (c *citing) count(path string, n int) string { return c.cite(path, n, fmt.Sprint(n)) }

func (c *citing) observation(format string, args ...any) Observation {
	return Observation{Text: fmt.Sprintf(format, args...), Figures: c.figures}
}

func quietWeek(r *Review) []Observation {
	if !r.Empty {
		return nil
	}
	var c citing
	return []Observation{c.observation("%s deployments finished this week (%s the week before).",
		c.count("/deployments/total", r.Deployments.Total), c.count("/deployments/previous_total", r.Deployments.PreviousTotal))}
}

// metricShifts reports each metric whose week differs significantly from
// the weeks before it.
func metricShifts(r *Review) []Observation {
	var out []Observation
	for _, m := range r.Metrics.All() {
		if m.Shift == nil || !m.Shift.Significant || m.Value == nil || m.Shift.PValue == nil {
			continue
		}
		var c citing
		base := "/metrics/" + m.Key
		value := c.cite(base+"/value", *m.Value, m.Format(*m.Value))
		before := "no value the week before"
		if m.Previous != nil {
			before = c.cite(base+"/previous", *m.Previous, m.Format(*m.Previous)) + " the week before"
		}
		direction := "higher"
		if m.Shift.Direction == "down" {
			direction = "lower"
		}
		out = append(out, c.observation("%s (%s) was %s (%s): significantly %s than the %s weeks before (p %s), which is %s.",
			m.Name, m.Statistic, value, before, direction, c.count("/method/shifts/baseline_steps", r.Method.Shifts.BaselineSteps),
			c.cite(base+"/shift/p_value", *m.Shift.PValue, pEquals(*m.Shift.PValue)), m.Assessment))
	}
	return out
}

func pEquals(p float64) string {
	s := PValue(p)
	if strings.HasPrefix(s, "<") {
		return s
	}
	return "= " + s
}

// A wait segment's median is worth a word when it moved by half or more
// and by at least half an hour.
const (
	waitChangeRatio   = 1.5
	waitChangeSeconds = 1800
)

// waitChanges reports the waiting segment whose median rose most and the one
// that fell most, with the stage that carries most of a risen one.
func waitChanges(r *Review) []Observation {
	rise, fall := -1, -1
	for i, s := range r.Waits.Segments {
		if s.State != "waiting" || s.MedianSeconds == nil || s.PreviousMedianSeconds == nil {
			continue
		}
		cur, prev := *s.MedianSeconds, *s.PreviousMedianSeconds
		if math.Abs(cur-prev) < waitChangeSeconds {
			continue
		}
		if cur >= prev*waitChangeRatio && (rise < 0 || cur-prev > delta(r.Waits.Segments[rise])) {
			rise = i
		}
		if prev >= cur*waitChangeRatio && (fall < 0 || cur-prev < delta(r.Waits.Segments[fall])) {
			fall = i
		}
	}
	var out []Observation
	for _, i := range []int{rise, fall} {
		if i < 0 {
			continue
		}
		s := r.Waits.Segments[i]
		var c citing
		base := fmt.Sprintf("/waits/segments/%d", i)
		verb := "rose"
		if i == fall {
			verb = "fell"
		}
		text := fmt.Sprintf("%s median %s from %s to %s", SegmentName(s.Name), verb,
			c.cite(base+"/previous_median_seconds", *s.PreviousMedianSeconds, Duration(*s.PreviousMedianSeconds)),
			c.cite(base+"/median_seconds", *s.MedianSeconds, Duration(*s.MedianSeconds)))
		if i == rise && len(s.Stages) > 0 {
			top := s.Stages[0]
			text += fmt.Sprintf("; %s of it was in pipeline %s, stage %s",
				c.cite(base+"/stages/0/share", top.Share, Percent(top.Share)),
				c.cite(base+"/stages/0/pipeline", top.Pipeline, top.Pipeline),
				c.cite(base+"/stages/0/stage", top.Stage, top.Stage))
		}
		out = append(out, c.observation("%s.", text))
	}
	return out
}

func delta(s WaitSegment) float64 { return *s.MedianSeconds - *s.PreviousMedianSeconds }

// topWait names the stage changes waited at longest.
func topWait(r *Review) []Observation {
	if len(r.Waits.TopWaits) == 0 || r.Waits.WaitingSeconds <= 0 {
		return nil
	}
	t := r.Waits.TopWaits[0]
	var c citing
	return []Observation{c.observation("Changes waited longest in pipeline %s, stage %s: %s of the week's %s of waiting.",
		c.cite("/waits/top_waits/0/pipeline", t.Pipeline, t.Pipeline),
		c.cite("/waits/top_waits/0/stage", t.Stage, t.Stage),
		c.cite("/waits/top_waits/0/waiting_seconds", t.WaitingSeconds, Duration(t.WaitingSeconds)),
		c.cite("/waits/waiting_seconds", r.Waits.WaitingSeconds, Duration(r.Waits.WaitingSeconds)))}
}

func failedDeployments(r *Review) []Observation {
	d := r.Deployments
	if d.Failed == 0 {
		return nil
	}
	var c citing
	text := fmt.Sprintf("%s of %s deployment%s failed", c.count("/deployments/failed", d.Failed), c.count("/deployments/total", d.Total), plural(d.Total, "{s}"))
	var parts []string
	if d.RolledBack > 0 {
		parts = append(parts, c.count("/deployments/rolled_back", d.RolledBack)+" rolled back")
	}
	if d.Unrecovered > 0 {
		parts = append(parts, c.count("/deployments/unrecovered", d.Unrecovered)+" not recovered yet")
	}
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	return []Observation{c.observation("%s.", text)}
}

func openIncidents(r *Review) []Observation {
	var out []Observation
	for i, in := range r.Incidents {
		if !in.ResolvedAt.IsZero() {
			continue
		}
		var c citing
		base := fmt.Sprintf("/incidents/%d", i)
		text := fmt.Sprintf("Incident %s (%s) of %s is still open",
			c.cite(base+"/incident_id", in.IncidentID, in.IncidentID), c.cite(base+"/severity", in.Severity, severity(in.Severity)),
			c.cite(base+"/service", in.Service, in.Service))
		if in.CausedByDeployment != "" {
			text += "; it is attributed to deployment " + c.cite(base+"/caused_by_deployment", in.CausedByDeployment, in.CausedByDeployment)
		}
		out = append(out, c.observation("%s.", text))
	}
	return out
}

func severity(s string) string {
	if s == "" {
		return "no severity"
	}
	return s
}

// slowestResolution names the resolved incident that took longest.
func slowestResolution(r *Review) []Observation {
	slowest := -1
	for i, in := range r.Incidents {
		if in.ResolutionSeconds != nil && (slowest < 0 || *in.ResolutionSeconds > *r.Incidents[slowest].ResolutionSeconds) {
			slowest = i
		}
	}
	if slowest < 0 {
		return nil
	}
	in := r.Incidents[slowest]
	var c citing
	base := fmt.Sprintf("/incidents/%d", slowest)
	text := fmt.Sprintf("The slowest incident to resolve was %s (%s): %s",
		c.cite(base+"/incident_id", in.IncidentID, in.IncidentID), c.cite(base+"/service", in.Service, in.Service),
		c.cite(base+"/resolution_seconds", *in.ResolutionSeconds, Duration(*in.ResolutionSeconds)))
	if d := in.Deployment; d != nil {
		text += "; it followed deployment " + c.cite(base+"/deployment/deployment_id", d.DeploymentID, d.DeploymentID)
		if d.RecoverySeconds != nil {
			text += ", recovered after " + c.cite(base+"/deployment/recovery_seconds", *d.RecoverySeconds, Duration(*d.RecoverySeconds))
		}
	}
	return []Observation{c.observation("%s.", text)}
}

func canaryFailures(r *Review) []Observation {
	fails := r.Canary.Verdicts["fail"]
	if fails == 0 {
		return nil
	}
	var c citing
	return []Observation{c.observation("Canary analyses judged %s of %s canaries a failure.",
		c.count("/canary/verdicts/fail", fails), c.count("/canary/analyses", r.Canary.Analyses))}
}

// dataQuality says what the figures could not count, when it bears on
// the metrics (deployments without changes, incidents without a cause).
func dataQuality(r *Review) []Observation {
	var c citing
	var parts []string
	for i, n := range r.DataQuality {
		switch n.Kind {
		case "deployments_without_changes":
			parts = append(parts, c.count(fmt.Sprintf("/data_quality/%d/count", i), n.Count)+plural(n.Count, " successful deployment{s} link{!s} no change"))
		case "unattributed_incidents":
			parts = append(parts, c.count(fmt.Sprintf("/data_quality/%d/count", i), n.Count)+plural(n.Count, " incident{s} {is|are} attributed to no deployment"))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return []Observation{c.observation("Data to fix: %s (see the data-quality notes).", strings.Join(parts, "; "))}
}
