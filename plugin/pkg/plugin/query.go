package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// QueryType names what a panel asks for. The frontend's QueryType enum
// (src/types.ts) holds the same strings.
type QueryType string

const (
	QueryDORASummary    QueryType = "dora_summary"
	QueryDORASeries     QueryType = "dora_series"
	QueryBenchmark      QueryType = "benchmark"
	QueryWaits          QueryType = "waits"
	QueryTopWaits       QueryType = "top_waits"
	QueryWaitingShare   QueryType = "waiting_share"
	QueryChangeTimeline QueryType = "change_timeline"
	QueryDeployments    QueryType = "deployments"
	QueryCanary         QueryType = "canary_analyses"
	QueryIncidents      QueryType = "incidents"
)

// QueryTypes lists every query type, in the order the editor offers them.
var QueryTypes = []QueryType{
	QueryDORASummary, QueryDORASeries, QueryBenchmark, QueryWaits, QueryTopWaits,
	QueryWaitingShare, QueryChangeTimeline, QueryDeployments, QueryCanary, QueryIncidents,
}

// Query is a panel's query as the query editor saves it. Template variables
// are already replaced by the frontend.
type Query struct {
	QueryType   QueryType `json:"queryType"`
	Team        string    `json:"team"`
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	// Step of DORA series: auto (from the panel's interval), day, week, month.
	Step string `json:"step"`
	// ChangeID is the change whose timeline is shown.
	ChangeID string `json:"changeId"`
	// DeploymentID narrows canary analyses to one deployment's.
	DeploymentID string `json:"deploymentId"`
	// Limit caps top waits (default 10).
	Limit int `json:"limit"`
}

// allValues are what Grafana sends for a multi-value variable set to All
// when no custom all value is configured; they mean "no filter".
func unfiltered(s string) string {
	switch strings.TrimSpace(s) {
	case "", "$__all", "*", "All", "all":
		return ""
	}
	return strings.TrimSpace(s)
}

// parseQuery reads a query and fills its defaults.
func (d *Datasource) parseQuery(q backend.DataQuery) (Query, error) {
	var m Query
	if err := json.Unmarshal(q.JSON, &m); err != nil {
		return m, fmt.Errorf("the query cannot be read: %v", err)
	}
	if q.QueryType != "" {
		m.QueryType = QueryType(q.QueryType)
	}
	if m.QueryType == "" {
		m.QueryType = QueryDORASummary
	}
	known := false
	for _, t := range QueryTypes {
		known = known || t == m.QueryType
	}
	if !known {
		names := make([]string, len(QueryTypes))
		for i, t := range QueryTypes {
			names[i] = string(t)
		}
		return m, fmt.Errorf("query type %q is not one of %s", m.QueryType, strings.Join(names, ", "))
	}
	m.Team, m.Service = unfiltered(m.Team), unfiltered(m.Service)
	m.Environment = unfiltered(m.Environment)
	if m.Environment == "" {
		m.Environment = d.settings.DefaultEnvironment
	}
	if m.Limit <= 0 {
		m.Limit = 10
	}
	if m.QueryType == QueryDORASeries {
		step, err := seriesStep(m.Step, q.Interval, q.TimeRange.Duration())
		if err != nil {
			return m, err
		}
		m.Step = step
	}
	if m.QueryType == QueryChangeTimeline && strings.TrimSpace(m.ChangeID) == "" {
		return m, errors.New("the change timeline needs a change id: set Change in the query editor, e.g. to $change")
	}
	return m, nil
}

// maxSeriesPoints is the most steps deploylens answers in one series.
const maxSeriesPoints = 400

// seriesStep turns the editor's step into the API's: "auto" picks the
// smallest of day, week and month that is at least the panel's interval
// (so a panel's "min interval" of 1w gives weekly points) and keeps the
// range within deploylens' limit of points.
func seriesStep(step string, interval, span time.Duration) (string, error) {
	const day = 24 * time.Hour
	switch step {
	case "day", "week", "month":
		return step, nil
	case "", "auto":
		switch {
		case interval <= day && span <= maxSeriesPoints*day:
			return "day", nil
		case interval <= 7*day && span <= maxSeriesPoints*7*day:
			return "week", nil
		}
		return "month", nil
	}
	return "", fmt.Errorf("step %q is not one of auto, day, week, month", step)
}

// QueryData runs each query of a panel.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	out := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		out.Responses[q.RefID] = d.query(ctx, q)
	}
	return out, nil
}

func (d *Datasource) query(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	if d.configErr != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, "the deploylens data source is misconfigured: "+d.configErr.Error())
	}
	m, err := d.parseQuery(q)
	if err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error())
	}
	f := deploylensapi.Filter{Team: m.Team, Service: m.Service, Environment: m.Environment, From: q.TimeRange.From, To: q.TimeRange.To}
	frames, err := d.frames(ctx, m, f)
	if err != nil {
		return errorResponse(err)
	}
	for _, fr := range frames {
		fr.RefID = q.RefID
	}
	return backend.DataResponse{Frames: frames}
}

// frames calls the endpoint behind a query type and shapes its answer.
func (d *Datasource) frames(ctx context.Context, m Query, f deploylensapi.Filter) (data.Frames, error) {
	c := d.client
	switch m.QueryType {
	case QueryDORASummary:
		r, err := c.DORA(ctx, f, d.settings.BenchmarkYear)
		return data.Frames{doraSummaryFrame(r)}, err
	case QueryBenchmark:
		r, err := c.DORA(ctx, f, d.settings.BenchmarkYear)
		return data.Frames{benchmarkFrame(r)}, err
	case QueryDORASeries:
		r, err := c.DORASeries(ctx, f, m.Step)
		return data.Frames{doraSeriesFrame(r)}, err
	case QueryWaits:
		r, err := c.Waits(ctx, f)
		return data.Frames{waitSegmentsFrame(r)}, err
	case QueryTopWaits:
		r, err := c.Waits(ctx, f)
		return data.Frames{topWaitsFrame(r, m.Limit)}, err
	case QueryWaitingShare:
		r, err := c.Waits(ctx, f)
		return data.Frames{waitingShareFrame(r)}, err
	case QueryChangeTimeline:
		r, err := c.Timeline(ctx, m.ChangeID, m.Environment)
		return data.Frames{timelineFrame(r)}, err
	case QueryDeployments:
		r, err := c.Deployments(ctx, f)
		return data.Frames{deploymentsFrame(r)}, err
	case QueryCanary:
		r, err := d.canaryAnalyses(ctx, f, strings.TrimSpace(m.DeploymentID))
		return data.Frames{canaryFrame(r)}, err
	case QueryIncidents:
		r, err := c.Incidents(ctx, f)
		return data.Frames{incidentsFrame(r)}, err
	}
	return nil, fmt.Errorf("query type %q has no handler", m.QueryType)
}

// maxCanaryDeployments bounds the deployments whose analyses one query
// gathers.
const maxCanaryDeployments = 200

// canaryAnalyses are one deployment's analyses, or those of every
// deployment that finished in the window (deploylens lists analyses per
// deployment), newest first.
func (d *Datasource) canaryAnalyses(ctx context.Context, f deploylensapi.Filter, deploymentID string) ([]deploylensapi.CanaryAnalysis, error) {
	if deploymentID != "" {
		return d.client.CanaryAnalyses(ctx, deploymentID)
	}
	deployments, err := d.client.Deployments(ctx, f)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(deployments, func(a, b deploylensapi.Deployment) int { return b.FinishedAt.Compare(a.FinishedAt) })
	if len(deployments) > maxCanaryDeployments {
		deployments = deployments[:maxCanaryDeployments]
	}
	var out []deploylensapi.CanaryAnalysis
	for _, dep := range deployments {
		as, err := d.client.CanaryAnalyses(ctx, dep.DeploymentID)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// errorResponse turns an API error into a panel error that says what to do.
func errorResponse(err error) backend.DataResponse {
	status, src, msg := explain(err)
	return backend.ErrDataResponseWithSource(status, src, msg)
}

// explain turns an error of the deploylens API into a status, its source
// and one sentence saying what to do: the panels' and the editor's errors.
func explain(err error) (backend.Status, backend.ErrorSource, string) {
	var apiErr *deploylensapi.Error
	switch {
	case deploylensapi.IsUnreachable(err):
		return backend.StatusBadGateway, backend.ErrorSourceDownstream, err.Error()
	case errors.As(err, &apiErr):
		msg := apiErr.Error()
		switch {
		case apiErr.NotServed():
			msg = fmt.Sprintf("this deploylens does not serve %s: upgrade deploylens, or point the data source at a process running the query role", apiErr.Path)
		case apiErr.Status == http.StatusUnauthorized:
			msg += ": the data source's token is invalid or revoked; create a new read token"
		}
		return backend.Status(apiErr.Status), backend.ErrorSourceDownstream, msg
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return backend.StatusTimeout, backend.ErrorSourceDownstream, "deploylens did not answer in time: " + err.Error()
	}
	return backend.StatusInternal, backend.ErrorSourcePlugin, err.Error()
}
