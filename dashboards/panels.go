package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

func at(x, y, w, h uint32) dashboard.GridPos { return dashboard.GridPos{X: x, Y: y, W: w, H: h} }

// onlyFields keeps the fields whose display name matches pattern (plus the
// time field): one query feeds several panels, each showing its metrics.
func onlyFields(pattern string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{
		Id:      "filterFieldsByName",
		Options: map[string]any{"include": map[string]any{"pattern": "^(time|" + pattern + ")$"}},
	}
}

// metricStat is a single figure of the window.
func metricStat(title, description, fieldPattern string, target cog.Builder[variants.Dataquery], pos dashboard.GridPos) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(deploylensDS).
		WithTarget(target).
		GridPos(pos).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/^(" + fieldPattern + ")$/")).
		ColorMode(common.BigValueColorModeNone).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValue).
		NoValue("not enough data")
}

// trend is a time series of some of a series query's fields.
func trend(title, description, fieldPattern string, target cog.Builder[variants.Dataquery], pos dashboard.GridPos) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(deploylensDS).
		WithTarget(target).
		GridPos(pos).
		WithTransformation(onlyFields(fieldPattern)).
		SpanNulls(common.BoolOrFloat64{Bool: boolPtr(true)}).
		ShowPoints(common.VisibilityModeAlways).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
}

func boolPtr(b bool) *bool { return &b }

// deploylensTable is a table of one deploylens query.
func deploylensTable(title, description string, target cog.Builder[variants.Dataquery], pos dashboard.GridPos) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(deploylensDS).
		WithTarget(target).
		GridPos(pos).
		Filterable(true)
}

// hideColumns hides a table's columns by field name.
func hideColumns(p *table.PanelBuilder, names ...string) *table.PanelBuilder {
	for _, n := range names {
		p = p.OverrideByName(n, []dashboard.DynamicConfigValue{{Id: "custom.hidden", Value: true}})
	}
	return p
}

// colouredCells colours a table column's cells by its value mappings.
func colouredCells(p *table.PanelBuilder, names ...string) *table.PanelBuilder {
	for _, n := range names {
		p = p.OverrideByName(n, []dashboard.DynamicConfigValue{{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background", "mode": "basic"}}})
	}
	return p
}
