package deploylenstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"

	"github.com/deploylens/deploylens/plugin/pkg/plugin"
)

// Plugin is one data source of the deploylens plugin backend, which the
// SDK's test harness serves over the plugin protocol (gRPC), as Grafana
// talks to it.
type Plugin struct {
	tp       *datasourcetest.TestPlugin
	settings *backend.DataSourceInstanceSettings
}

var (
	instances atomic.Int64
	serveOnce sync.Once
	served    *datasourcetest.TestPlugin
	serveErr  error
)

// serve starts the backend once per test binary, as Grafana starts one
// plugin process for all its data sources (the SDK's metrics allow one).
func serve() (*datasourcetest.TestPlugin, error) {
	serveOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			serveErr = err
			return
		}
		addr := ln.Addr().String()
		ln.Close()
		tp, err := datasourcetest.Manage(plugin.NewDatasource, datasourcetest.ManageOpts{Address: addr})
		if err != nil {
			serveErr = fmt.Errorf("serve the plugin: %w", err)
			return
		}
		served = &tp
	})
	return served, serveErr
}

// Settings are a data source's settings as Grafana sends them.
type Settings struct {
	URL   string
	Token string
	// JSONData is the data source's jsonData; nil is {}.
	JSONData map[string]any
}

// StartPlugin configures a new data source of the plugin backend, served
// on a loopback port.
func StartPlugin(tb testing.TB, s Settings) *Plugin {
	tb.Helper()
	tp, err := serve()
	if err != nil {
		tb.Fatal(err)
	}
	if s.JSONData == nil {
		s.JSONData = map[string]any{}
	}
	jsonData, _ := json.Marshal(s.JSONData)
	n := instances.Add(1)
	secure := map[string]string{}
	if s.Token != "" {
		secure["token"] = s.Token
	}
	return &Plugin{tp: tp, settings: &backend.DataSourceInstanceSettings{
		ID: n, UID: fmt.Sprintf("deploylens-test-%d", n),
		Name: "deploylens", Type: plugin.ID, URL: s.URL, JSONData: jsonData,
		DecryptedSecureJSONData: secure, Updated: time.Now(),
	}}
}

func (p *Plugin) pluginContext() backend.PluginContext {
	return backend.PluginContext{OrgID: 1, PluginID: plugin.ID, DataSourceInstanceSettings: p.settings}
}

// CheckHealth is the data source page's "Save & test".
func (p *Plugin) CheckHealth(tb testing.TB) *backend.CheckHealthResult {
	tb.Helper()
	res, err := p.tp.Client.CheckHealth(context.Background(), &backend.CheckHealthRequest{PluginContext: p.pluginContext()})
	if err != nil {
		tb.Fatalf("CheckHealth: %v", err)
	}
	return res
}

// Query is one panel query: its JSON model, time range and interval.
type Query struct {
	RefID     string
	QueryType string
	JSON      map[string]any
	From, To  time.Time
	Interval  time.Duration
}

// QueryData runs queries as a panel does and returns the responses by refId.
func (p *Plugin) QueryData(tb testing.TB, queries ...Query) backend.Responses {
	tb.Helper()
	req := &backend.QueryDataRequest{PluginContext: p.pluginContext()}
	for _, q := range queries {
		if q.RefID == "" {
			q.RefID = "A"
		}
		if q.Interval == 0 {
			q.Interval = time.Hour
		}
		model := map[string]any{"refId": q.RefID}
		for k, v := range q.JSON {
			model[k] = v
		}
		if q.QueryType != "" {
			model["queryType"] = q.QueryType
		}
		raw, _ := json.Marshal(model)
		req.Queries = append(req.Queries, backend.DataQuery{
			RefID: q.RefID, QueryType: q.QueryType, JSON: raw, Interval: q.Interval, MaxDataPoints: 1000,
			TimeRange: backend.TimeRange{From: q.From, To: q.To},
		})
	}
	res, err := p.tp.Client.QueryData(context.Background(), req)
	if err != nil {
		tb.Fatalf("QueryData: %v", err)
	}
	return res.Responses
}

// Resource calls a resource (teams, services?team=…) and returns the
// status and body.
func (p *Plugin) Resource(tb testing.TB, path string) (int, []byte) {
	tb.Helper()
	var res *backend.CallResourceResponse
	route, _, _ := strings.Cut(path, "?")
	err := p.tp.Client.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: p.pluginContext(), Path: route, Method: "GET", URL: path,
	}, backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error {
		res = r
		return nil
	}))
	if err != nil {
		tb.Fatalf("CallResource %s: %v", path, err)
	}
	if res == nil {
		tb.Fatalf("CallResource %s: no response", path)
	}
	return res.Status, res.Body
}
