package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

func str(s string) *string { return &s }

func query(s string) dashboard.StringOrMap { return dashboard.StringOrMap{String: &s} }

func option(text, value string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: &text},
		Value: dashboard.StringOrArrayOfString{String: &value},
	}
}

// allValue is what a variable set to All sends; the backend reads it as
// "no filter".
const allValue = "*"

// deploylensDatasource picks the deploylens data source.
func deploylensDatasource() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(deploylensVar).
		Label("deploylens").
		Type(DeploylensType)
}

// clickhouseDatasource picks Grafana's ClickHouse data source pointed at
// deploylens' ClickHouse.
func clickhouseDatasource() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(clickhouseVar).
		Label("ClickHouse").
		Type(ClickHouseType)
}

// deploylensVariable is a list filled by the deploylens data source's
// variable queries (plugin/src/variables.ts): teams, services($team),
// environments($team).
func deploylensVariable(name, label, q string, includeAll bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(deploylensDS).
		Query(query(q)).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if includeAll {
		v = v.IncludeAll(true).AllValue(allValue).Current(option("All", "$__all"))
	}
	return v
}

func teamVariable() *dashboard.QueryVariableBuilder {
	return deploylensVariable("team", "Team", "teams", true)
}

func serviceVariable() *dashboard.QueryVariableBuilder {
	return deploylensVariable("service", "Service", "services($team)", true)
}

func environmentVariable() *dashboard.QueryVariableBuilder {
	return deploylensVariable("environment", "Environment", "environments($team)", false).
		Current(option("production", "production"))
}

// dq is a deploylens query filtered by the team, service and environment
// variables.
func dq(refID, queryType string) DeploylensQuery {
	return DeploylensQuery{
		RefID: refID, QueryType: queryType,
		Team: "$team", Service: "$service", Environment: "$environment",
	}
}
