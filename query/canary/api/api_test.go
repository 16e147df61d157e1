package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// The judge endpoint answers a stored request with the stored verdict: the
// latency metric passes, CPU and the 5xx ratio are high, so the score is
// 1 of 3 and the verdict fail.
func TestJudgeAnswersWithVerdictAndExplanations(t *testing.T) {
	f := newFixture(t)
	req, err := os.ReadFile("testdata/judge_request.json")
	if err != nil {
		t.Fatal(err)
	}
	got := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/judge", req, http.StatusOK)
	pretty, _ := json.MarshalIndent(got, "", "  ")
	const golden = "testdata/judge_response.golden.json"
	if *update {
		if err := os.WriteFile(golden, append(pretty, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./query/canary/api -run TestJudge -update)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(pretty), bytes.TrimSpace(want)) {
		t.Errorf("response differs from %s; run with -update and review the diff:\n%s", golden, pretty)
	}
	if got["verdict"] != "fail" {
		t.Errorf("verdict %v, want fail", got["verdict"])
	}
	classes := map[string]string{}
	for _, m := range got["metrics"].([]any) {
		mm := m.(map[string]any)
		classes[mm["name"].(string)] = mm["classification"].(string)
		ex := mm["explanation"].(map[string]any)
		for _, k := range []string{"estimate", "interval", "p_value", "adjusted_p_value", "n_baseline", "n_canary"} {
			if _, ok := ex[k]; !ok {
				t.Errorf("%s: explanation lacks %s", mm["name"], k)
			}
		}
	}
	if want := map[string]string{"latency_p99_ms": "pass", "cpu_utilization": "high", "http_5xx": "high"}; !maps.Equal(classes, want) {
		t.Errorf("classifications %v, want %v", classes, want)
	}
}

// A bad request is a 400 that names every offending field, before any work.
func TestBadRequestsNameTheField(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, path, body string
		fields           []string
	}{
		{"judge: no metrics", "/api/v1/canary/judge", `{"config":{},"metrics":[]}`, []string{"metrics"}},
		{"judge: confidence level of 1", "/api/v1/canary/judge",
			`{"config":{"confidence_level":1},"metrics":[{"name":"a","baseline":[1],"canary":[2]}]}`, []string{"config.confidence_level"}},
		{"judge: unknown direction and a sample that is not a number", "/api/v1/canary/judge",
			`{"config":{},"metrics":[{"name":"a","baseline":[1],"canary":[2],"direction":"up"},{"name":"b","kind":"ratio","baseline":[3],"canary":[1],"baseline_exposure":[2],"canary_exposure":[1]}]}`,
			[]string{"metrics[0].direction", "metrics[1].baseline_exposure[0]"}},
		{"judge: a string where samples go", "/api/v1/canary/judge", `{"metrics":[{"name":"a","baseline":"1,2","canary":[1]}]}`, []string{"body"}},
		{"judge: unknown field", "/api/v1/canary/judge", `{"metrics":[],"confidence":0.9}`, []string{"confidence"}},
		{"analysis: nothing", "/api/v1/canary/analyses", `{}`,
			[]string{"team", "service", "config", "baseline.resource_attributes", "canary.resource_attributes", "lifetime_seconds"}},
		{"analysis: a bad metric source and judge option", "/api/v1/canary/analyses",
			`{"team":"payments","service":"checkout","baseline":{"resource_attributes":{"service.version":"1"}},"canary":{"resource_attributes":{"service.version":"2"}},"lifetime_seconds":600,
			  "config":{"judge":{"tolerance":-1},"metrics":[{"name":"x","source":"spans"},{"name":"y","source":"metric","direction":"down"}]}}`,
			[]string{"config.metrics[0].source", "config.metrics[1].metric_name", "config.judge.tolerance", "config.metrics[1].direction"}},
		{"analysis: same selectors", "/api/v1/canary/analyses",
			`{"team":"payments","service":"checkout","baseline":{"resource_attributes":{"service.version":"1"}},"canary":{"resource_attributes":{"service.version":"1"}},"lifetime_seconds":600,"config":{"metrics":[{"name":"l","source":"span_latency"}]}}`,
			[]string{"canary.resource_attributes"}},
		{"analysis: too many looks", "/api/v1/canary/analyses",
			`{"team":"payments","service":"checkout","baseline":{"resource_attributes":{"service.version":"1"}},"canary":{"resource_attributes":{"service.version":"2"}},"lifetime_seconds":6000,"interval_seconds":60,"config":{"metrics":[{"name":"l","source":"span_latency"}]}}`,
			[]string{"interval_seconds"}},
		{"analysis: unknown stored config", "/api/v1/canary/analyses",
			`{"team":"payments","service":"checkout","baseline":{"resource_attributes":{"service.version":"1"}},"canary":{"resource_attributes":{"service.version":"2"}},"lifetime_seconds":600,"config_name":"nope"}`,
			[]string{"config_name"}},
		{"config: no team, latency statistic on error logs", "/api/v1/canary/configs/checkout",
			`{"config":{"metrics":[{"name":"e","source":"error_log_rate","statistic":"p99"}]}}`, []string{"team", "config.metrics[0].statistic"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			method := http.MethodPost
			if strings.Contains(c.path, "/configs/") {
				method = http.MethodPut
			}
			body := f.do(t, "read-all", method, c.path, c.body, http.StatusBadRequest)
			got := fields(body)
			for _, want := range c.fields {
				if !slices.Contains(got, want) {
					t.Errorf("400 names %v, want %s among them (%v)", got, want, body["error"])
				}
			}
			if msg, _ := body["error"].(string); !strings.Contains(msg, got[0]) {
				t.Errorf("error %q does not name the field %s", msg, got[0])
			}
		})
	}
}

// A read token scoped to one team neither starts nor reads another team's
// analyses or configs.
func TestTeamScopeIsEnforced(t *testing.T) {
	f := newFixture(t)
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.4.0", perMinute: 20, medianMS: 80, sigma: 0.3}, 1)
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.5.0", perMinute: 20, medianMS: 80, sigma: 0.3}, 2)
	an := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", analysisRequest("payments", checkoutConfig()), http.StatusCreated)
	id := an["id"].(string)
	f.do(t, "read-pay", http.MethodPut, "/api/v1/canary/configs/checkout", map[string]any{"team": "payments", "config": checkoutConfig()}, http.StatusOK)
	for _, c := range []struct {
		name, who, method, path string
		body                    any
		status                  int
		field                   string
	}{
		{"own analysis", "read-pay", http.MethodGet, "/api/v1/canary/analyses/" + id, nil, http.StatusOK, ""},
		{"another team's analysis", "read-search", http.MethodGet, "/api/v1/canary/analyses/" + id, nil, http.StatusForbidden, "team"},
		{"any team's with an all-teams token", "read-all", http.MethodGet, "/api/v1/canary/analyses/" + id, nil, http.StatusOK, ""},
		{"an analysis that does not exist", "read-pay", http.MethodGet, "/api/v1/canary/analyses/ca_nope", nil, http.StatusNotFound, "id"},
		{"start one for another team", "read-search", http.MethodPost, "/api/v1/canary/analyses", analysisRequest("payments", checkoutConfig()), http.StatusForbidden, "team"},
		{"another team's config", "read-search", http.MethodGet, "/api/v1/canary/configs/checkout", nil, http.StatusForbidden, "name"},
		{"overwrite another team's config", "read-search", http.MethodPut, "/api/v1/canary/configs/checkout", map[string]any{"team": "search", "config": checkoutConfig()}, http.StatusForbidden, "name"},
		{"use another team's config", "read-search", http.MethodPost, "/api/v1/canary/analyses",
			func() map[string]any {
				r := analysisRequest("search", nil)
				delete(r, "config")
				r["config_name"] = "checkout"
				return r
			}(), http.StatusForbidden, "config_name"},
		{"an ingest token cannot judge", "ingest", http.MethodPost, "/api/v1/canary/judge", `{}`, http.StatusForbidden, ""},
		{"no token", "", http.MethodGet, "/api/v1/canary/analyses/" + id, nil, http.StatusUnauthorized, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := f.do(t, c.who, c.method, c.path, c.body, c.status)
			if c.field != "" && c.status != http.StatusOK && !slices.Contains(fields(body), c.field) {
				t.Errorf("%d names %v, want %s", c.status, fields(body), c.field)
			}
		})
	}
	list := f.do(t, "read-search", http.MethodGet, "/api/v1/canary/analyses?deployment_id=dep-42", nil, http.StatusOK)
	if n := len(list["analyses"].([]any)); n != 0 {
		t.Errorf("another team's token lists %d analyses of dep-42, want 0", n)
	}
	list = f.do(t, "read-pay", http.MethodGet, "/api/v1/canary/analyses?deployment_id=dep-42", nil, http.StatusOK)
	if n := len(list["analyses"].([]any)); n != 1 {
		t.Errorf("the owner lists %d analyses of dep-42, want 1", n)
	}
}
