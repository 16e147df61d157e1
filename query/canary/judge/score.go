package judge

import (
	"fmt"
	"math"
	"strings"
)

// score computes the group scores and the total: within a group, the
// weight of passing metrics over the weight of scored ones (unmuted, with
// data); across groups, the group-weighted mean of the groups that have a
// scored metric.
func score(metrics []Metric, results []MetricResult, cfg *Config) ([]GroupResult, float64) {
	var groups []GroupResult
	index := map[string]int{}
	passW := map[string]float64{}
	totalW := map[string]float64{}
	for i, r := range results {
		g, ok := index[r.Group]
		if !ok {
			g = len(groups)
			index[r.Group] = g
			groups = append(groups, GroupResult{Name: r.Group, Weight: cfg.groupWeight(r.Group)})
		}
		switch {
		case r.Muted:
			groups[g].Muted++
		case r.Classification == ClassNoData:
			groups[g].NoData++
		default:
			w := metrics[i].weight()
			groups[g].Scored++
			totalW[r.Group] += w
			if r.Classification == ClassPass {
				groups[g].Passed++
				passW[r.Group] += w
			}
		}
	}
	var sum, weights float64
	for i := range groups {
		g := &groups[i]
		if g.Scored == 0 {
			continue
		}
		s := 100 * passW[g.Name] / totalW[g.Name]
		g.Score = &s
		sum += g.Weight * s
		weights += g.Weight
	}
	if weights == 0 {
		return groups, 0
	}
	// Rounded so that 19 of 20 passing is 95, not 94.99999999999999.
	return groups, math.Round(sum/weights*1e6) / 1e6
}

// verdict applies the judgment-wide rules in order; doc.go states them.
func verdict(metrics []Metric, results []MetricResult, total float64, cfg *Config) (Verdict, string, string) {
	var critical, required, underpowered, scored []string
	for i, r := range results {
		if r.Muted {
			continue
		}
		switch {
		case r.CriticalFailure:
			critical = append(critical, r.Name)
		case r.Classification == ClassNoData && (metrics[i].MustHaveData || metrics[i].Critical):
			required = append(required, r.Name)
		}
		if r.Classification != ClassNoData {
			scored = append(scored, r.Name)
		}
		if r.Classification == ClassPass && r.Explanation.Underpowered {
			underpowered = append(underpowered, r.Name)
		}
	}
	switch {
	case len(critical) > 0:
		return VerdictFail, RuleCriticalMetricFailed, fmt.Sprintf("critical %s failed", metricList(critical))
	case len(required) > 0:
		return VerdictFail, RuleRequiredDataMissing, fmt.Sprintf("%s must have data and had none", metricList(required))
	case len(scored) == 0:
		return VerdictInconclusive, RuleNoData, "no metric had data to judge (or every metric is muted)"
	}
	v := VerdictFail
	switch {
	case total >= cfg.passThreshold():
		v = VerdictPass
	case total >= cfg.marginalThreshold():
		v = VerdictMarginal
	}
	if v != VerdictFail && len(underpowered) > 0 {
		return VerdictInconclusive, RuleUnderpowered, fmt.Sprintf(
			"the score %s would be %s, but %s passed only because too few points were collected to see a change of the tolerance",
			fmtNum(total), v, metricList(underpowered))
	}
	return v, RuleScore, fmt.Sprintf("score %s against thresholds pass %s, marginal %s", fmtNum(total),
		fmtNum(cfg.passThreshold()), fmtNum(cfg.marginalThreshold()))
}

// metricList names metrics in a sentence: metric "a", metrics "a", "b".
func metricList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "metric " + q[0]
	}
	return "metrics " + strings.Join(q, ", ")
}
