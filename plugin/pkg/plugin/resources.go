package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/deploylens/deploylens/plugin/pkg/deploylensapi"
)

// Option is one choice of a template variable or an editor's select.
type Option struct {
	Label string `json:"label"`
	Value string `json:"value"`
	// Description says more, e.g. which team owns a service.
	Description string `json:"description,omitempty"`
}

// CallResource serves the editor's and the variables' lists:
//
//	GET teams                     the teams the token may see
//	GET services?team=T           the services (of team T)
//	GET environments?team=T       the environments deployed to
//	GET changes?team=T            changes deployed in the last 90 days
//	GET query-types               the query types the backend answers
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	if req.Method != http.MethodGet {
		return sendJSON(sender, http.StatusMethodNotAllowed, map[string]string{"error": "only GET is served"})
	}
	if d.configErr != nil {
		return sendJSON(sender, http.StatusBadRequest, map[string]string{"error": "the deploylens data source is misconfigured: " + d.configErr.Error()})
	}
	params := url.Values{}
	if u, err := url.Parse(req.URL); err == nil {
		params = u.Query()
	}
	team := unfiltered(params.Get("team"))
	var (
		opts []Option
		err  error
	)
	switch strings.Trim(req.Path, "/") {
	case "teams":
		opts, err = d.teamOptions(ctx)
	case "services":
		opts, err = d.serviceOptions(ctx, team)
	case "environments":
		opts, err = d.environmentOptions(ctx, team)
	case "changes":
		opts, err = d.changeOptions(ctx, team)
	case "query-types":
		for _, t := range QueryTypes {
			opts = append(opts, Option{Label: string(t), Value: string(t)})
		}
	default:
		return sendJSON(sender, http.StatusNotFound, map[string]string{"error": "no such resource: " + req.Path + " (teams, services, environments, changes, query-types)"})
	}
	if err != nil {
		status, _, msg := explain(err)
		return sendJSON(sender, int(status), map[string]string{"error": msg})
	}
	if opts == nil {
		opts = []Option{}
	}
	return sendJSON(sender, http.StatusOK, opts)
}

func (d *Datasource) teamOptions(ctx context.Context) ([]Option, error) {
	teams, err := d.client.Teams(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(teams))
	for _, t := range teams {
		out = append(out, Option{Label: t.Team, Value: t.Team})
	}
	return out, nil
}

func (d *Datasource) serviceOptions(ctx context.Context, team string) ([]Option, error) {
	services, err := d.client.Services(ctx, team)
	if err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(services))
	for _, s := range services {
		out = append(out, Option{Label: s.Service, Value: s.Service, Description: "team " + s.Team})
	}
	return out, nil
}

// environmentOptions lists the environments the team's deployments went to
// in the last 90 days, with the data source's default first.
func (d *Datasource) environmentOptions(ctx context.Context, team string) ([]Option, error) {
	seen := map[string]bool{d.settings.DefaultEnvironment: true}
	envs := []string{}
	found, err := d.client.Environments(ctx, deploylensapi.Filter{Team: team, From: recentFrom(), To: now()})
	var apiErr *deploylensapi.Error
	if err != nil && !(errors.As(err, &apiErr) && apiErr.NotServed()) {
		return nil, err
	}
	for _, e := range found {
		if e.Environment != "" && !seen[e.Environment] {
			seen[e.Environment] = true
			envs = append(envs, e.Environment)
		}
	}
	slices.Sort(envs)
	out := []Option{{Label: d.settings.DefaultEnvironment, Value: d.settings.DefaultEnvironment, Description: "default"}}
	for _, e := range envs {
		out = append(out, Option{Label: e, Value: e})
	}
	return out, nil
}

// changeOptions lists the changes the team's production deployments of
// the last 90 days shipped, newest first: the choices of a timeline.
func (d *Datasource) changeOptions(ctx context.Context, team string) ([]Option, error) {
	deployments, err := d.client.Deployments(ctx, deploylensapi.Filter{
		Team: team, Environment: d.settings.DefaultEnvironment, From: recentFrom(), To: now(),
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(deployments, func(a, b deploylensapi.Deployment) int { return b.FinishedAt.Compare(a.FinishedAt) })
	seen := map[string]bool{}
	out := []Option{}
	for _, dep := range deployments {
		for _, c := range dep.ChangeIDs {
			if !seen[c] {
				seen[c] = true
				out = append(out, Option{Label: c, Value: c, Description: dep.Service + " " + dep.Version})
			}
		}
	}
	return out, nil
}

func sendJSON(sender backend.CallResourceResponseSender, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sender.Send(&backend.CallResourceResponse{
		Status:  status,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    body,
	})
}
