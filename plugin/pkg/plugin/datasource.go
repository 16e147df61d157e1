// Package plugin is the deploylens data source's backend: it answers
// Grafana's QueryData, CheckHealth and CallResource calls by calling the
// deploylens query API with the data source's URL and read token.
package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// ID is the plugin id Grafana knows the data source by.
const ID = "deploylens-deploylens-datasource"

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured deploylens data source. Grafana makes a new
// one whenever the data source's settings change.
type Datasource struct {
	settings Settings
	client   *deploylensapi.Client
	// configErr is why the settings cannot be used; every call reports it.
	configErr error
}

// NewDatasource is the instance factory given to the SDK. Bad settings do
// not fail it: the health check and every query report them instead, so an
// admin sees the problem on the data source page.
func NewDatasource(ctx context.Context, inst backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	s, err := LoadSettings(inst)
	if err == nil {
		err = s.Validate()
	}
	d := &Datasource{settings: s, configErr: err}
	if err == nil {
		d.client, d.configErr = newClient(ctx, s, inst)
	}
	return d, nil
}

// Dispose releases nothing: the HTTP client's idle connections close on
// their own.
func (d *Datasource) Dispose() {}
