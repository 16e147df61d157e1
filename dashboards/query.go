package dashboards

import (
	"errors"
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// Data source plugin ids the dashboards use.
const (
	DeploylensType = "deploylens-deploylens-datasource"
	ClickHouseType = "grafana-clickhouse-datasource"
)

// Data source variables: every panel names its data source through one of
// them, so the dashboards work whatever the data sources are called.
const (
	deploylensVar = "datasource"
	clickhouseVar = "clickhouse"
)

func ref(typ, variable string) common.DataSourceRef {
	uid := "${" + variable + "}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// deploylensDS and clickhouseDS are the panels' data source references.
var (
	deploylensDS = ref(DeploylensType, deploylensVar)
	clickhouseDS = ref(ClickHouseType, clickhouseVar)
)

// DeploylensQuery is a query of the deploylens data source, as its query
// editor saves it (plugin/src/types.ts).
type DeploylensQuery struct {
	RefID       string                `json:"refId"`
	Datasource  *common.DataSourceRef `json:"datasource,omitempty"`
	QueryType   string                `json:"queryType"`
	Team        string                `json:"team,omitempty"`
	Service     string                `json:"service,omitempty"`
	Environment string                `json:"environment,omitempty"`
	Step        string                `json:"step,omitempty"`
	ChangeID    string                `json:"changeId,omitempty"`
	Limit       int                   `json:"limit,omitempty"`
}

func (DeploylensQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id.
func (DeploylensQuery) DataqueryType() string { return DeploylensType }

// Validate checks the query names a type.
func (q DeploylensQuery) Validate() error {
	if q.QueryType == "" {
		return errors.New("deploylens query without a queryType")
	}
	return nil
}

// Equals compares two queries.
func (q DeploylensQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(DeploylensQuery)
	return ok && reflect.DeepEqual(q, o)
}

// Build makes DeploylensQuery its own builder.
func (q DeploylensQuery) Build() (variants.Dataquery, error) {
	if q.Datasource == nil {
		ds := deploylensDS
		q.Datasource = &ds
	}
	return q, q.Validate()
}

// ClickHouseQuery is a raw-SQL query of Grafana's official ClickHouse data
// source (grafana/clickhouse-datasource v4: editorType sql).
type ClickHouseQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	EditorType string                `json:"editorType"`
	QueryType  string                `json:"queryType"`
	// Format is the backend's frame format: 0 time series, 1 table, 2 logs.
	Format int    `json:"format"`
	RawSQL string `json:"rawSql"`
}

// ClickHouse query types and the matching formats.
const (
	chTimeSeries = "timeseries"
	chTable      = "table"
	chLogs       = "logs"
)

var chFormat = map[string]int{chTimeSeries: 0, chTable: 1, chLogs: 2}

// sqlQuery makes a ClickHouse raw-SQL query.
func sqlQuery(refID, queryType, sql string) ClickHouseQuery {
	return ClickHouseQuery{RefID: refID, EditorType: "sql", QueryType: queryType, Format: chFormat[queryType], RawSQL: sql}
}

func (ClickHouseQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the ClickHouse plugin id.
func (ClickHouseQuery) DataqueryType() string { return ClickHouseType }

// Validate checks the query has SQL.
func (q ClickHouseQuery) Validate() error {
	if q.RawSQL == "" {
		return errors.New("clickhouse query without rawSql")
	}
	return nil
}

// Equals compares two queries.
func (q ClickHouseQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(ClickHouseQuery)
	return ok && reflect.DeepEqual(q, o)
}

// Build makes ClickHouseQuery its own builder.
func (q ClickHouseQuery) Build() (variants.Dataquery, error) {
	if q.Datasource == nil {
		ds := clickhouseDS
		q.Datasource = &ds
	}
	return q, q.Validate()
}

var (
	_ cog.Builder[variants.Dataquery] = DeploylensQuery{}
	_ cog.Builder[variants.Dataquery] = ClickHouseQuery{}
)
