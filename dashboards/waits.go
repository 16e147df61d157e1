package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
)

// WhereWeWait is "Where we wait": lead time split into named segments,
// the stages that wait longest, the waiting share over time, and one
// change's waterfall.
func WhereWeWait() *dashboard.DashboardBuilder {
	change := dq("A", "change_timeline")
	change.Team, change.Service = "", ""
	change.ChangeID = "$change"
	top := dq("A", "top_waits")
	top.Limit = 10

	return dashboard.NewDashboardBuilder("Where we wait").
		Uid("deploylens-waits").
		Description("Where a change sits waiting on its way to production: every second of lead time in one named segment, waiting or active.").
		Tags([]string{"deploylens", "waits"}).
		Time("now-30d", "now").
		Timezone(common.TimeZoneBrowser).
		Refresh("5m").
		Editable().
		WithVariable(deploylensDatasource()).
		WithVariable(teamVariable()).
		WithVariable(serviceVariable()).
		WithVariable(environmentVariable()).
		WithVariable(deploylensVariable("change", "Change", "changes($team)", false)).
		Annotation(deploymentAnnotation()).
		WithPanel(barchart.NewPanelBuilder().
			Title("Lead time by segment").
			Description("Total time changes spent in each segment of lead time, waiting segments and active ones.").
			Datasource(deploylensDS).
			WithTarget(dq("A", "waits")).
			GridPos(at(0, 0, 14, 10)).
			WithTransformation(onlyFields("segment|Segment|total|Total time")).
			XField("segment").
			Orientation(common.VizOrientationHorizontal).
			ShowValue(common.VisibilityModeAuto)).
		WithPanel(piechart.NewPanelBuilder().
			Title("Waiting vs active").
			Description("Share of lead time in which nothing worked on a change.").
			Datasource(deploylensDS).
			WithTarget(dq("A", "waits")).
			GridPos(at(14, 0, 10, 10)).
			WithTransformation(dashboard.DataTransformerConfig{
				Id: "groupBy",
				Options: map[string]any{"fields": map[string]any{
					"state": map[string]any{"operation": "groupby", "aggregations": []string{}},
					"total": map[string]any{"operation": "aggregate", "aggregations": []string{"sum"}},
				}},
			}).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Values(true).Calcs([]string{"lastNotNull"}).Fields("")).
			PieType(piechart.PieChartTypeDonut).
			Unit("s")).
		WithPanel(deploylensTable("Top waits", "The ten pipeline stages whose queues and hand-offs kept changes waiting longest.", top, at(0, 10, 12, 10))).
		WithPanel(trend("Waiting share of lead time", "Per week, the share of lead time spent waiting.", "waiting_share|Waiting share of lead time", dq("A", "waiting_share"), at(12, 10, 12, 10)).
			Min(0).Max(1)).
		WithPanel(deploylensTable("Segments", "Each segment's total and median time per change.", dq("A", "waits"), at(0, 20, 24, 8))).
		WithPanel(dashboard.NewPanelBuilder().
			Type("traces").
			Title("Change waterfall: $change").
			Description("One change's lead time as a waterfall: each span is a segment, its state tag says waiting or active.").
			Datasource(deploylensDS).
			WithTarget(change).
			GridPos(at(0, 28, 24, 14)))
}
