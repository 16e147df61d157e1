package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// DORAByTeam is "DORA by team": the five metrics of the window with their
// benchmark levels, their weekly trends, and the deployments and incidents
// behind them.
func DORAByTeam() *dashboard.DashboardBuilder {
	summary := dq("A", "dora_summary")
	series := dq("A", "dora_series")
	series.Step = "auto"

	b := dashboard.NewDashboardBuilder("DORA by team").
		Uid("deploylens-dora").
		Description("The five DORA metrics of a team, service and environment: the window's figures coloured by DORA's benchmark levels, weekly trends, and the deployments and incidents behind them.").
		Tags([]string{"deploylens", "dora"}).
		Time("now-90d", "now").
		Timezone(common.TimeZoneBrowser).
		Refresh("5m").
		Editable().
		WithVariable(deploylensDatasource()).
		WithVariable(teamVariable()).
		WithVariable(serviceVariable()).
		WithVariable(environmentVariable()).
		Annotation(deploymentAnnotation())

	b = b.WithRow(dashboard.NewRowBuilder("This window").GridPos(at(0, 0, 24, 1)))
	for i, m := range []struct{ title, desc, pattern string }{
		{"Deployment frequency", "Successful deployments per day in the window.", "deployment_frequency|Deployment frequency"},
		{"Lead time for changes", "Median time from a change's first commit to its first successful deployment to the environment.", "lead_time_median|Lead time \\(median\\)"},
		{"Change failure rate", "Share of deployments that failed, were rolled back or caused an incident.", "change_failure_rate|Change failure rate"},
		{"Failed deployment recovery time", "Median time from a failed deployment's detection to recovery.", "recovery_time_median|Recovery time \\(median\\)"},
		{"Rework rate", "Share of deployments that were unplanned: rollbacks, fixes of failed deployments, deployments marked unplanned.", "rework_rate|Rework rate"},
	} {
		w := uint32(5)
		if i == 4 {
			w = 4
		}
		b = b.WithPanel(metricStat(m.title, m.desc, m.pattern, summary, at(uint32(i)*5, 1, w, 4)))
	}
	b = b.WithPanel(stat.NewPanelBuilder().
		Title("DORA benchmark level").
		Description("Each metric's performance level against DORA's published clusters (elite, high, medium, low).").
		Datasource(deploylensDS).
		WithTarget(dq("A", "benchmark")).
		GridPos(at(0, 5, 24, 4)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/.*/")).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		NoValue("not enough data"))

	b = b.WithRow(dashboard.NewRowBuilder("Trends").GridPos(at(0, 9, 24, 1)))
	trends := []struct{ title, desc, pattern string }{
		{"Deployments", "Deployments and successful deployments per day, per step.", "deployments|Deployments|deployment_frequency|Deployment frequency"},
		{"Lead time for changes", "Median and 90th percentile lead time per step.", "lead_time_median|lead_time_p90|Lead time.*"},
		{"Change failure rate", "Change failure rate per step.", "change_failure_rate|Change failure rate"},
		{"Failed deployment recovery time", "Median recovery time per step.", "recovery_time_median|Recovery time \\(median\\)"},
		{"Rework rate", "Rework rate per step.", "rework_rate|Rework rate"},
	}
	for i, m := range trends {
		x, y, w := uint32(i%2)*12, 10+uint32(i/2)*8, uint32(12)
		if i == len(trends)-1 {
			w = 24
		}
		// A minimum interval of a week makes the series' step weekly.
		b = b.WithPanel(trend(m.title, m.desc, m.pattern, series, at(x, y, w, 8)).Interval("1w"))
	}

	b = b.WithRow(dashboard.NewRowBuilder("Deployments and incidents").GridPos(at(0, 34, 24, 1)))
	deploys := deploylensTable("Deployments", "Every deployment of the window, with its failures, rollbacks and canary verdict.", dq("A", "deployments"), at(0, 35, 24, 9))
	deploys = colouredCells(hideColumns(deploys, "text", "tags"), "status", "canary_verdict")
	b = b.WithPanel(deploys)
	b = b.WithPanel(deploylensTable("Incidents", "Incidents opened in the window and the deployment each is attributed to.", dq("A", "incidents"), at(0, 44, 24, 8)))
	return b
}

// deploymentAnnotation marks each deployment on the dashboard's time series.
func deploymentAnnotation() *dashboard.AnnotationQueryBuilder {
	return dashboard.NewAnnotationQueryBuilder().
		Name("Deployments").
		Datasource(deploylensDS).
		Enable(true).
		IconColor("blue").
		Target(dq("Anno", "deployments"))
}
