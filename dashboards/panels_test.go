package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/dashboards"
	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
	"github.com/deploylens/deploylens/plugin/pkg/plugin"
)

// TestEveryPanelReturnsData opens each dashboard as Grafana would against
// a real deploylens holding the demo history: it resolves the variables
// through the data sources, then runs every panel's and annotation's
// queries — deploylens ones through the plugin backend, ClickHouse ones
// (with the ClickHouse data source's macros expanded) against deploylens'
// ClickHouse — and requires each to return rows.
func TestEveryPanelReturnsData(t *testing.T) {
	dl := deploylenstest.Start(t)
	demo := deploylenstest.Seed(t, dl)
	deploylenstest.SeedTelemetry(t, dl, "checkout", demo.Now)
	deploylenstest.SeedCanary(t, dl, demo)
	// Service health spans the last 6 hours: a checkout deployment among
	// its telemetry gives its annotation something to mark.
	recent := fmt.Sprintf(`{"type":"deployment","id":"dep-payments-checkout-hotfix","deployment_id":"payments-checkout-hotfix","service":"checkout","environment":"production","status":"success","version":"1.7.1","started_at":%q,"finished_at":%q}`,
		demo.Now.Add(-2*time.Hour).Format(time.RFC3339), demo.Now.Add(-110*time.Minute).Format(time.RFC3339))
	if code, body := dl.Do(t, http.MethodPost, "/api/v1/events", []byte(recent)); code/100 != 2 {
		t.Fatalf("POST a recent deployment: %d %s", code, body)
	}
	p := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken})

	for file, m := range load(t) {
		t.Run(file, func(t *testing.T) {
			from, to := timeRange(t, m, demo.Now)
			vals, unresolved := resolveVariables(t, m, p, dl, from, to)
			checked := 0
			queries := func(where string, targets []any) {
				for _, tg := range targets {
					target := obj(tg)
					name := fmt.Sprintf("%s %s", where, target["refId"])
					t.Run(name, func(t *testing.T) {
						raw, _ := json.Marshal(target)
						for v, why := range unresolved {
							if strings.Contains(string(raw), "$"+v) {
								t.Skipf("variable $%s has no value: %s", v, why)
							}
						}
						switch typ, _ := obj(target["datasource"])["type"].(string); typ {
						case dashboards.DeploylensType:
							runDeploylens(t, p, interpolate(target, vals), from, to)
						case dashboards.ClickHouseType:
							runClickHouse(t, dl, interpolate(target, vals)["rawSql"].(string), from, to)
						default:
							t.Errorf("data source type %q", typ)
						}
					})
					checked++
				}
			}
			for _, pn := range list(m["panels"]) {
				panel := obj(pn)
				if panel["type"] == "row" {
					continue
				}
				queries(fmt.Sprintf("panel %s", panel["title"]), list(panel["targets"]))
			}
			for _, a := range list(obj(m["annotations"])["list"]) {
				if target := obj(a)["target"]; target != nil {
					queries(fmt.Sprintf("annotation %s", obj(a)["name"]), []any{target})
				}
			}
			if checked == 0 {
				t.Fatal("no queries")
			}
		})
	}
}

// timeRange is the dashboard's default range, relative to now.
func timeRange(t *testing.T, m model, now time.Time) (time.Time, time.Time) {
	t.Helper()
	tr := obj(m["time"])
	from, _ := tr["from"].(string)
	d, err := parseRelative(strings.TrimPrefix(from, "now-"))
	if err != nil || tr["to"] != "now" {
		t.Fatalf("time range %v: %v", tr, err)
	}
	return now.Add(-d), now.Add(time.Hour)
}

func parseRelative(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		var n int
		_, err := fmt.Sscanf(s, "%dd", &n)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

// resolveVariables gives each variable the value a user would pick:
// the first option its data source lists, All where the variable offers it
// (except team, which picks a team so that team-scoped lists are
// exercised), and the data source variables nothing (references are
// checked by TestDatasourceReferencesResolve).
func resolveVariables(t *testing.T, m model, p *deploylenstest.Plugin, dl *deploylenstest.Server, from, to time.Time) (vals, unresolved map[string]string) {
	t.Helper()
	vals, unresolved = map[string]string{}, map[string]string{}
	for _, v := range list(obj(m["templating"])["list"]) {
		v := obj(v)
		name := v["name"].(string)
		if v["type"] != "query" {
			continue
		}
		if v["includeAll"] == true && name != "team" {
			vals[name] = v["allValue"].(string)
			continue
		}
		var options []string
		switch obj(v["datasource"])["type"] {
		case dashboards.DeploylensType:
			var why string
			options, why = deploylensOptions(t, p, interpolateString(v["query"].(string), vals))
			if why != "" {
				unresolved[name] = why
				continue
			}
		case dashboards.ClickHouseType:
			options = clickhouseColumn(t, dl, interpolateString(obj(v["query"])["rawSql"].(string), vals), from, to)
		}
		if len(options) == 0 {
			t.Fatalf("variable %s has no options", name)
		}
		vals[name] = options[0]
	}
	return vals, unresolved
}

var variableQuery = regexp.MustCompile(`^(teams|services|environments|changes)(?:\((.*)\))?$`)

// deploylensOptions answers a variable query as the frontend's
// metricFindQuery does: through the plugin's resources. why says why not
// when deploylens does not serve what the resource needs.
func deploylensOptions(t *testing.T, p *deploylenstest.Plugin, q string) (options []string, why string) {
	t.Helper()
	mm := variableQuery.FindStringSubmatch(q)
	if mm == nil {
		t.Fatalf("variable query %q", q)
	}
	path := mm[1]
	if mm[2] != "" {
		path += "?team=" + mm[2]
	}
	code, body := p.Resource(t, path)
	if code == http.StatusNotFound && strings.Contains(string(body), "does not serve") {
		return nil, string(body)
	}
	if code != http.StatusOK {
		t.Fatalf("variable query %s: %d %s", q, code, body)
	}
	var opts []plugin.Option
	if err := json.Unmarshal(body, &opts); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out, ""
}

func interpolateString(s string, vals map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		mm := varRef.FindStringSubmatch(ref)
		if v, ok := vals[mm[1]+mm[2]]; ok {
			return v
		}
		return ref
	})
}

// interpolate replaces variables in every string of a target.
func interpolate(target map[string]any, vals map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range target {
		if s, ok := v.(string); ok {
			v = interpolateString(s, vals)
		}
		out[k] = v
	}
	return out
}

func runDeploylens(t *testing.T, p *deploylenstest.Plugin, target map[string]any, from, to time.Time) {
	t.Helper()
	qt, _ := target["queryType"].(string)
	refID, _ := target["refId"].(string)
	res := p.QueryData(t, deploylenstest.Query{RefID: refID, QueryType: qt, JSON: target, From: from, To: to, Interval: time.Hour})[refID]
	if res.Error != nil {
		t.Errorf("%s: %v", qt, res.Error)
		return
	}
	rows := 0
	for _, f := range res.Frames {
		rows += f.Rows()
	}
	if rows == 0 {
		t.Errorf("%s: no rows", qt)
	}
}

// The ClickHouse data source's macros, expanded as it expands them.
var (
	timeFilter   = regexp.MustCompile(`\$__timeFilter\(([^)]+)\)`)
	timeInterval = regexp.MustCompile(`\$__timeInterval\(([^)]+)\)`)
)

const intervalSeconds = 60

func expandMacros(sql string, from, to time.Time) string {
	sql = timeFilter.ReplaceAllString(sql, fmt.Sprintf("$1 >= toDateTime(%d) AND $1 <= toDateTime(%d)", from.Unix(), to.Unix()))
	sql = timeInterval.ReplaceAllString(sql, fmt.Sprintf("toStartOfInterval(toDateTime($1), INTERVAL %d second)", intervalSeconds))
	return strings.ReplaceAll(sql, "$__interval_s", fmt.Sprint(intervalSeconds))
}

func runClickHouse(t *testing.T, dl *deploylenstest.Server, sql string, from, to time.Time) {
	t.Helper()
	rows, err := dl.Store.Conn.Query(context.Background(), expandMacros(sql, from, to))
	if err != nil {
		t.Errorf("%v\n%s", err, sql)
		return
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Error(err)
	}
	if n == 0 {
		t.Errorf("no rows\n%s", sql)
	}
}

// clickhouseColumn runs a variable query and returns its first column.
func clickhouseColumn(t *testing.T, dl *deploylenstest.Server, sql string, from, to time.Time) []string {
	t.Helper()
	rows, err := dl.Store.Conn.Query(context.Background(), expandMacros(sql, from, to))
	if err != nil {
		t.Fatalf("variable query %s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
