package review

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/deploylens/deploylens/query/dora"
)

// Summary is the short Markdown a chat channel gets: the week, its
// observations and the five metrics. Slack and Microsoft Teams incoming
// webhooks both show it readably (it has no tables).
func Summary(r *Review) string {
	var b strings.Builder
	writeSummary(&b, r)
	return b.String()
}

func writeSummary(b *strings.Builder, r *Review) {
	fmt.Fprintf(b, "**Weekly review: %s, %s** (%s, %s)\n\n", mdText(r.Team), r.Week, r.Week.Dates(), mdText(r.Environment))
	if !r.Complete {
		fmt.Fprintf(b, "_The week is not over: figures up to %s._\n\n", Day(r.To))
	}
	if r.Empty {
		b.WriteString("No deployments this week.\n\n")
	}
	if len(r.Observations) > 0 {
		b.WriteString("**Observations**\n")
		for _, o := range r.Observations {
			fmt.Fprintf(b, "- %s\n", mdText(o.Text))
		}
		b.WriteString("\n")
	}
	b.WriteString("**DORA metrics**\n")
	for _, m := range r.Metrics.All() {
		value := "no value"
		if m.Value != nil {
			value = m.Format(*m.Value)
		}
		fmt.Fprintf(b, "- %s: %s", m.Name, value)
		if m.Previous != nil {
			fmt.Fprintf(b, " (week before %s)", m.Format(*m.Previous))
		}
		fmt.Fprintf(b, " — %s\n", mdText(assessmentText(m)))
	}
}

// Markdown writes the whole review as a Markdown document: the summary,
// then the tables behind it.
func Markdown(w io.Writer, r *Review) error {
	var b strings.Builder
	writeSummary(&b, r)

	b.WriteString("\n## DORA metrics\n\n")
	b.WriteString("| Metric | This week | 95% interval | Week before | Change | Against the weeks before | Level |\n|---|---|---|---|---|---|---|\n")
	for _, m := range r.Metrics.All() {
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s | %s | %s | %s |\n", m.Name, m.Statistic, orDash(m, m.Value), interval(m),
			orDash(m, m.Previous), change(m), mdCell(shiftText(m)), mdCell(levelText(m)))
	}

	b.WriteString("\n## Where changes waited\n\n")
	if r.Waits.Changes == 0 {
		b.WriteString("No change reached production this week.\n")
	} else {
		fmt.Fprintf(&b, "%d changes reached production; they waited %s of their %s lead time (%s)", r.Waits.Changes,
			Duration(r.Waits.WaitingSeconds), Duration(r.Waits.LeadSeconds), ratioOrDash(r.Waits.WaitingShare))
		if r.Waits.PreviousWaitingShare != nil {
			fmt.Fprintf(&b, "; the week before, %s", Percent(*r.Waits.PreviousWaitingShare))
		}
		b.WriteString(".\n\n| Segment | State | Total | Changes | Median | Median the week before |\n|---|---|---|---|---|---|\n")
		for _, s := range r.Waits.Segments {
			if s.TotalSeconds == 0 && s.PreviousTotalSeconds == 0 {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s |\n", SegmentName(s.Name), s.State, Duration(s.TotalSeconds), s.Changes,
				durationOrDash(s.MedianSeconds), durationOrDash(s.PreviousMedianSeconds))
		}
		if len(r.Waits.TopWaits) > 0 {
			b.WriteString("\nTop waits:\n\n| Pipeline | Stage | Waiting | Active |\n|---|---|---|---|\n")
			for _, t := range r.Waits.TopWaits {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(t.Pipeline), mdCell(t.Stage), Duration(t.WaitingSeconds), Duration(t.ActiveSeconds))
			}
		}
	}

	d := r.Deployments
	b.WriteString("\n## Deployments\n\n")
	fmt.Fprintf(&b, "%d deployments (%d the week before): %d successful, %d failed, %d rolled back, %d rollbacks, %d unplanned; %d failed ones recovered, %d not yet.\n",
		d.Total, d.PreviousTotal, d.Successful, d.Failed, d.RolledBack, d.Rollbacks, d.Unplanned, d.Recovered, d.Unrecovered)
	if len(d.List) > 0 {
		b.WriteString("\n| Finished | Service | Deployment | Status | Changes | Canary | Failure |\n|---|---|---|---|---|---|---|\n")
		for _, dep := range d.List {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s |\n", Day(dep.FinishedAt), mdCell(dep.Service), mdCell(dep.DeploymentID),
				dep.Status, dep.Changes, dashIfEmpty(dep.CanaryVerdict), mdCell(failureText(dep)))
		}
	}

	b.WriteString("\n## Canary analyses\n\n")
	if r.Canary.Analyses == 0 {
		b.WriteString("No canary analysis this week.\n")
	} else {
		fmt.Fprintf(&b, "%d analyses: %s.\n", r.Canary.Analyses, verdictCounts(r.Canary.Verdicts))
	}

	b.WriteString("\n## Incidents (correction of errors)\n\n")
	if len(r.Incidents) == 0 {
		b.WriteString("No incident opened this week.\n")
	} else {
		b.WriteString("| Incident | Severity | Service | Opened | Resolved in | Deployment | Recovered in |\n|---|---|---|---|---|---|---|\n")
		for _, in := range r.Incidents {
			dep, rec := dashIfEmpty(in.CausedByDeployment), "—"
			if in.Deployment != nil {
				rec = durationOrDash(in.Deployment.RecoverySeconds)
			}
			resolved := "still open"
			if in.ResolutionSeconds != nil {
				resolved = Duration(*in.ResolutionSeconds)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(in.IncidentID), mdCell(severity(in.Severity)), mdCell(in.Service),
				Day(in.OpenedAt), resolved, mdCell(dep), rec)
		}
	}

	b.WriteString("\n## Data quality\n\n")
	if len(r.DataQuality) == 0 {
		b.WriteString("Nothing to note.\n")
	}
	for _, n := range r.DataQuality {
		fmt.Fprintf(&b, "- %s", mdText(n.Text))
		if len(n.Items) > 0 {
			ids := make([]string, len(n.Items))
			for i, it := range n.Items {
				ids[i] = "`" + strings.ReplaceAll(it.ID, "`", "'") + "`"
			}
			fmt.Fprintf(&b, " (%s)", strings.Join(ids, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n_%s. Intervals: %s, %.0f%%. A week is compared with the %d weeks before it (p < %g is significant)._\n",
		r.Method.Weeks, r.Method.Intervals, r.Method.ConfidenceLevel*100, r.Method.Shifts.BaselineSteps, r.Method.Shifts.SignificanceLevel)
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(m *Metric, v *float64) string {
	if v == nil {
		return "—"
	}
	return m.Format(*v)
}

func durationOrDash(v *float64) string {
	if v == nil {
		return "—"
	}
	return Duration(*v)
}

func ratioOrDash(v *float64) string {
	if v == nil {
		return "—"
	}
	return Percent(*v)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func interval(m *Metric) string {
	if m.CI == nil {
		return "—"
	}
	return m.Format(m.CI.Low) + " – " + m.Format(m.CI.High)
}

func change(m *Metric) string {
	if m.Change == nil {
		return "—"
	}
	return m.FormatChange(*m.Change)
}

// assessmentText says how the week compares with the weeks before it.
func assessmentText(m *Metric) string {
	switch m.Assessment {
	case Better, Worse:
		return fmt.Sprintf("significantly %s (p %s)", m.Assessment, pEquals(*m.Shift.PValue))
	case NoSignificant:
		return "no significant change"
	}
	return "not tested"
}

// shiftText is assessmentText with the reason a shift was not tested.
func shiftText(m *Metric) string {
	if m.Assessment == NotTested && m.Shift != nil && m.Shift.Reason != "" {
		return "not tested: " + m.Shift.Reason
	}
	return assessmentText(m)
}

func levelText(m *Metric) string {
	if m.Level.Level != "" {
		return m.Level.Level
	}
	return "— (" + m.Level.Reason + ")"
}

// failureText says how a deployment failed and whether it recovered, and
// what it rolled back; "" for a plain successful one.
func failureText(d dora.Deployment) string {
	var parts []string
	if d.RollbackOf != "" {
		parts = append(parts, "rollback of "+d.RollbackOf)
	}
	if !d.Failed {
		return strings.Join(parts, "; ")
	}
	if d.Status == "failure" {
		parts = append(parts, "deploy failed")
	}
	if d.RolledBack {
		parts = append(parts, "rolled back")
	}
	if d.Incidents > 0 {
		parts = append(parts, plural(int(d.Incidents), "{n} incident{s}"))
	}
	if d.RecoveredAt.IsZero() {
		parts = append(parts, "not recovered")
	} else {
		parts = append(parts, "recovered in "+Duration(d.RecoveredAt.Sub(d.DetectedAt).Seconds()))
	}
	return strings.Join(parts, "; ")
}

func verdictCounts(v map[string]int) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, v[k])
	}
	if len(parts) == 0 {
		return "none finished"
	}
	return strings.Join(parts, ", ")
}

// mdText escapes what Markdown would read as emphasis, links or HTML, and
// the three characters Slack wants as entities (&, <, >).
var mdText = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "'",
	"&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// mdCell is mdText for a table cell, where a bar ends the cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(mdText(s))
}
