package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// Settings is a data source's configuration: the URL field of Grafana's
// data source page, jsonData, and the token kept in secureJsonData.
type Settings struct {
	URL string `json:"-"`
	// DefaultEnvironment is used by queries that name none.
	DefaultEnvironment string `json:"defaultEnvironment"`
	// BenchmarkYear picks the DORA clusters levels are judged against
	// ("2023", "2024"); empty means the server's default.
	BenchmarkYear string `json:"benchmarkYear"`
	// Token is a deploylens read token (secureJsonData.token).
	Token string `json:"-"`
}

// DefaultEnvironment is DESIGN.md §5's default environment.
const DefaultEnvironment = "production"

// LoadSettings reads a data source's settings.
func LoadSettings(s backend.DataSourceInstanceSettings) (Settings, error) {
	var out Settings
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &out); err != nil {
			return out, fmt.Errorf("the data source's JSON settings cannot be read: %w", err)
		}
	}
	out.URL = strings.TrimSpace(s.URL)
	out.Token = strings.TrimSpace(s.DecryptedSecureJSONData["token"])
	if out.DefaultEnvironment == "" {
		out.DefaultEnvironment = DefaultEnvironment
	}
	return out, nil
}

// Validate says, in one sentence an admin can act on, what is missing.
func (s Settings) Validate() error {
	if s.URL == "" {
		return fmt.Errorf("the URL is empty: set it to the address of deploylens' HTTP listener, e.g. http://deploylens:8080")
	}
	if s.Token == "" {
		return fmt.Errorf("the token is empty: create a read token with `deploylens token create --role read --name grafana` and paste it into the Token field")
	}
	switch s.BenchmarkYear {
	case "", "2023", "2024":
	default:
		return fmt.Errorf("benchmark year %q is not one of 2023, 2024", s.BenchmarkYear)
	}
	return nil
}

// newClient returns the API client for these settings, using Grafana's
// HTTP client options (proxy, TLS, timeouts) of the data source.
func newClient(ctx context.Context, s Settings, inst backend.DataSourceInstanceSettings) (*deploylensapi.Client, error) {
	opts, err := inst.HTTPClientOptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("http client options: %w", err)
	}
	hc, err := httpclient.New(opts)
	if err != nil {
		return nil, fmt.Errorf("http client: %w", err)
	}
	return deploylensapi.New(s.URL, s.Token, hc)
}
