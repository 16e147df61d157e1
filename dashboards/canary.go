package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// CanaryVerdicts is "Canary verdicts": each analysis with the reasons for
// its verdict, and each deployment with the verdict that gated it.
func CanaryVerdicts() *dashboard.DashboardBuilder {
	analyses := deploylensTable("Analyses", "Every canary analysis of the window: its verdict, score and the reasons that decided it.", dq("A", "canary_analyses"), at(0, 8, 24, 10))
	analyses = colouredCells(analyses, "verdict")
	deploys := deploylensTable("Deployments and their canary verdicts", "Deployments of the window with the canary verdict that gated them, and whether they failed or were rolled back.", dq("A", "deployments"), at(0, 18, 24, 9))
	deploys = colouredCells(hideColumns(deploys, "text", "tags", "changes", "incidents"), "status", "canary_verdict")

	return dashboard.NewDashboardBuilder("Canary verdicts").
		Uid("deploylens-canary").
		Description("Automated canary analyses per deployment: verdicts, scores and the reasons behind them.").
		Tags([]string{"deploylens", "canary"}).
		Time("now-30d", "now").
		Timezone(common.TimeZoneBrowser).
		Refresh("1m").
		Editable().
		WithVariable(deploylensDatasource()).
		WithVariable(teamVariable()).
		WithVariable(serviceVariable()).
		WithVariable(environmentVariable()).
		Annotation(deploymentAnnotation()).
		WithPanel(stat.NewPanelBuilder().
			Title("Analyses").
			Description("Canary analyses started in the window.").
			Datasource(deploylensDS).
			WithTarget(dq("A", "canary_analyses")).
			GridPos(at(0, 0, 8, 8)).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"count"}).Fields("/^(analysis_id|Analysis)$/")).
			ColorMode(common.BigValueColorModeNone).
			GraphMode(common.BigValueGraphModeNone)).
		WithPanel(piechart.NewPanelBuilder().
			Title("Verdicts").
			Description("How the window's analyses ended: pass, marginal, fail or inconclusive.").
			Datasource(deploylensDS).
			WithTarget(dq("A", "canary_analyses")).
			GridPos(at(8, 0, 16, 8)).
			WithTransformation(dashboard.DataTransformerConfig{
				Id: "groupBy",
				Options: map[string]any{"fields": map[string]any{
					"verdict":     map[string]any{"operation": "groupby", "aggregations": []string{}},
					"analysis_id": map[string]any{"operation": "aggregate", "aggregations": []string{"count"}},
				}},
			}).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Values(true).Calcs([]string{"lastNotNull"}).Fields("")).
			PieType(piechart.PieChartTypePie)).
		WithPanel(analyses).
		WithPanel(deploys)
}
