package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The Service health queries read the OpenTelemetry Collector exporter's
// tables (migrations/0002_otel.sql) through Grafana's ClickHouse data
// source; $__timeFilter, $__timeInterval and $__interval_s are its macros.
const (
	serviceSpans = "$__timeFilter(Timestamp) AND ServiceName = '${service}' AND SpanKind = 'Server'"

	requestsSQL = `SELECT $__timeInterval(Timestamp) AS time, count() / $__interval_s AS requests
FROM otel_traces
WHERE ` + serviceSpans + `
GROUP BY time
ORDER BY time`

	errorsSQL = `SELECT $__timeInterval(Timestamp) AS time,
       countIf(StatusCode = 'Error') / $__interval_s AS errors,
       countIf(StatusCode = 'Error') / count() AS error_ratio
FROM otel_traces
WHERE ` + serviceSpans + `
GROUP BY time
ORDER BY time`

	latencySQL = `SELECT $__timeInterval(Timestamp) AS time,
       quantile(0.5)(Duration) / 1e6 AS p50,
       quantile(0.9)(Duration) / 1e6 AS p90,
       quantile(0.99)(Duration) / 1e6 AS p99
FROM otel_traces
WHERE ` + serviceSpans + `
GROUP BY time
ORDER BY time`

	operationsSQL = `SELECT SpanName AS operation,
       count() AS requests,
       countIf(StatusCode = 'Error') / count() AS error_ratio,
       quantile(0.5)(Duration) / 1e6 AS p50_ms,
       quantile(0.99)(Duration) / 1e6 AS p99_ms
FROM otel_traces
WHERE ` + serviceSpans + `
GROUP BY operation
ORDER BY p99_ms DESC
LIMIT 20`

	logsBySeveritySQL = `SELECT $__timeInterval(Timestamp) AS time,
       if(SeverityText = '', 'UNSPECIFIED', upper(SeverityText)) AS severity,
       count() AS logs
FROM otel_logs
WHERE $__timeFilter(Timestamp) AND ServiceName = '${service}'
GROUP BY time, severity
ORDER BY time`

	errorLogsSQL = `SELECT Timestamp AS timestamp, Body AS body, SeverityText AS level, TraceId AS traceID, SpanId AS spanID
FROM otel_logs
WHERE $__timeFilter(Timestamp) AND ServiceName = '${service}' AND SeverityNumber >= 17
ORDER BY Timestamp DESC
LIMIT 200`

	servicesSQL = `SELECT DISTINCT ServiceName FROM otel_traces WHERE $__timeFilter(Timestamp) ORDER BY ServiceName`
)

// ServiceHealth is "Service health": a service's requests, errors, latency
// and logs from the OTel tables, with its deployments as annotations.
func ServiceHealth() *dashboard.DashboardBuilder {
	anno := DeploylensQuery{RefID: "Anno", QueryType: "deployments", Service: "$service"}
	serviceVar := dashboard.NewQueryVariableBuilder("service").
		Label("Service").
		Datasource(clickhouseDS).
		Query(dashboard.StringOrMap{Map: map[string]any{
			"rawSql": servicesSQL, "editorType": "sql", "queryType": chTable, "format": chFormat[chTable],
		}}).
		Definition(servicesSQL).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)

	ts := func(title, desc, sql, unit string, pos dashboard.GridPos) *timeseries.PanelBuilder {
		return timeseries.NewPanelBuilder().
			Title(title).
			Description(desc).
			Datasource(clickhouseDS).
			WithTarget(sqlQuery("A", chTimeSeries, sql)).
			GridPos(pos).
			Unit(unit).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
	}

	return dashboard.NewDashboardBuilder("Service health").
		Uid("deploylens-service-health").
		Description("A service's requests, errors, latency percentiles and logs by severity from the OpenTelemetry tables, through Grafana's ClickHouse data source, with deployments from deploylens as annotations.").
		Tags([]string{"deploylens", "opentelemetry", "clickhouse"}).
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		Refresh("1m").
		Editable().
		WithVariable(clickhouseDatasource()).
		WithVariable(deploylensDatasource()).
		WithVariable(serviceVar).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Deployments").
			Datasource(deploylensDS).
			Enable(true).
			IconColor("blue").
			Target(anno)).
		WithPanel(ts("Requests", "Server spans per second.", requestsSQL, "reqps", at(0, 0, 8, 8))).
		WithPanel(ts("Errors", "Server spans with status Error: per second, and as a share of all requests.", errorsSQL, "reqps", at(8, 0, 8, 8)).
			OverrideByName("error_ratio", []dashboard.DynamicConfigValue{
				{Id: "unit", Value: "percentunit"},
				{Id: "custom.axisPlacement", Value: "right"},
			})).
		WithPanel(ts("Latency percentiles", "Median, 90th and 99th percentile duration of server spans.", latencySQL, "ms", at(16, 0, 8, 8))).
		WithPanel(table.NewPanelBuilder().
			Title("Operations").
			Description("The server operations with the slowest 99th percentile.").
			Datasource(clickhouseDS).
			WithTarget(sqlQuery("A", chTable, operationsSQL)).
			GridPos(at(0, 8, 24, 8)).
			OverrideByName("error_ratio", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percentunit"}}).
			OverrideByName("p50_ms", []dashboard.DynamicConfigValue{{Id: "unit", Value: "ms"}}).
			OverrideByName("p99_ms", []dashboard.DynamicConfigValue{{Id: "unit", Value: "ms"}})).
		WithPanel(ts("Logs by severity", "Log records per interval, by severity.", logsBySeveritySQL, "short", at(0, 16, 24, 8)).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))).
		WithPanel(logs.NewPanelBuilder().
			Title("Error logs").
			Description("The latest log records of severity ERROR or worse.").
			Datasource(clickhouseDS).
			WithTarget(sqlQuery("A", chLogs, errorLogsSQL)).
			GridPos(at(0, 24, 24, 10)).
			ShowTime(true).
			WrapLogMessage(true).
			EnableLogDetails(true).
			SortOrder(common.LogsSortOrderDescending))
}
