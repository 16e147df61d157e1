// Package canary holds example integrations of deploylens' canary API; this
// test keeps them in step with the API and the CLI.
package canary

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/deploylens/deploylens/query/canary/analysis"
)

// The Argo Rollouts AnalysisTemplate posts, with its args filled in, a
// request the analyses endpoint accepts, and its conditions name the
// fields and verdicts the endpoint answers with.
func TestArgoAnalysisTemplateSendsAValidRequest(t *testing.T) {
	raw, err := os.ReadFile("analysis-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Args []struct {
				Name string `yaml:"name"`
			} `yaml:"args"`
			Metrics []struct {
				Name             string `yaml:"name"`
				SuccessCondition string `yaml:"successCondition"`
				FailureCondition string `yaml:"failureCondition"`
				Provider         struct {
					Web *struct {
						Method   string         `yaml:"method"`
						URL      string         `yaml:"url"`
						JSONPath string         `yaml:"jsonPath"`
						JSONBody map[string]any `yaml:"jsonBody"`
						Headers  []struct {
							Key   string `yaml:"key"`
							Value string `yaml:"value"`
						} `yaml:"headers"`
					} `yaml:"web"`
				} `yaml:"provider"`
			} `yaml:"metrics"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatalf("analysis-template.yaml: %v", err)
	}
	if tpl.APIVersion != "argoproj.io/v1alpha1" || tpl.Kind != "AnalysisTemplate" || len(tpl.Spec.Metrics) != 1 {
		t.Fatalf("not one AnalysisTemplate metric: %s %s, %d metrics", tpl.APIVersion, tpl.Kind, len(tpl.Spec.Metrics))
	}
	m := tpl.Spec.Metrics[0]
	web := m.Provider.Web
	if web == nil || web.Method != "POST" || !strings.HasSuffix(web.URL, "/api/v1/canary/analyses") {
		t.Fatalf("web provider must POST to /api/v1/canary/analyses: %+v", web)
	}
	auth := false
	for _, h := range web.Headers {
		auth = auth || h.Key == "Authorization" && strings.HasPrefix(h.Value, "Bearer {{args.")
	}
	if !auth {
		t.Error("no Authorization: Bearer header from an arg")
	}
	declared := map[string]bool{}
	for _, a := range tpl.Spec.Args {
		declared[a.Name] = true
	}
	// Fill the args in as Argo would, then decode as the endpoint does.
	argRef := regexp.MustCompile(`\{\{args\.([a-z0-9-]+)\}\}`)
	fill := func(s string) string {
		return argRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := argRef.FindStringSubmatch(ref)[1]
			if !declared[name] {
				t.Errorf("%s is not a declared arg", ref)
			}
			return "x-" + name
		})
	}
	fill(web.URL)
	body, _ := json.Marshal(web.JSONBody)
	var req analysis.Request
	dec := json.NewDecoder(strings.NewReader(fill(string(body))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("jsonBody is not an analysis request: %v", err)
	}
	req.Config = &analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Source: analysis.SourceSpanLatency}}}
	req.ConfigName = "" // resolved by the server
	if err := req.Validate(); err != nil {
		t.Errorf("jsonBody does not validate: %v", err)
	}
	if req.LookbackSeconds < req.LifetimeSeconds+analysis.DefaultSettle.Seconds() {
		t.Errorf("lookback_seconds %v < lifetime_seconds %v + the settle time: the answer would not carry the verdict", req.LookbackSeconds, req.LifetimeSeconds)
	}
	for _, cond := range []string{m.SuccessCondition, m.FailureCondition} {
		for _, ref := range regexp.MustCompile(`result\.([a-z_]+) == "([a-z]+)"`).FindAllStringSubmatch(cond, -1) {
			switch ref[1] {
			case "status":
				if !slicesContains([]string{"running", "completed", "failed"}, ref[2]) {
					t.Errorf("%s: no status %q", cond, ref[2])
				}
			case "verdict":
				if !slicesContains([]string{"pass", "marginal", "fail", "inconclusive"}, ref[2]) {
					t.Errorf("%s: no verdict %q", cond, ref[2])
				}
			default:
				t.Errorf("%s: the analysis has no field %q", cond, ref[1])
			}
		}
	}
	if !strings.Contains(m.SuccessCondition, `result.verdict == "pass"`) || !strings.Contains(m.FailureCondition, `result.verdict == "fail"`) {
		t.Errorf("conditions must promote on pass and abort on fail: %q / %q", m.SuccessCondition, m.FailureCondition)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The GitHub Actions example runs `deploylens canary run` with flags the
// command has, and branches on the exit codes it documents.
func TestGitHubActionsStepUsesTheCommandAsDocumented(t *testing.T) {
	raw, err := os.ReadFile("github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				If   string            `yaml:"if"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("github-actions.yml: %v", err)
	}
	src, err := os.ReadFile("../../cmd/deploylens/canary.go")
	if err != nil {
		t.Fatal(err)
	}
	var run string
	var env map[string]string
	conds := map[string]bool{}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Run, "deploylens canary run") {
				run, env = s.Run, s.Env
			}
			if s.If != "" {
				conds[s.If] = true
			}
		}
	}
	if run == "" {
		t.Fatal("no step runs `deploylens canary run`")
	}
	for _, f := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(run, -1) {
		if !strings.Contains(string(src), `"`+f[1]+`", `) {
			t.Errorf("--%s is not a flag of deploylens canary run", f[1])
		}
	}
	for _, v := range []string{"DEPLOYLENS_URL", "DEPLOYLENS_TOKEN"} {
		if _, ok := env[v]; !ok {
			t.Errorf("the step does not set %s (the --url/--token environment fallbacks)", v)
		}
	}
	for _, want := range []string{"exit_code == '0'", "exit_code == '1'"} {
		found := false
		for c := range conds {
			found = found || strings.Contains(c, want)
		}
		if !found {
			t.Errorf("no step branches on %s", want)
		}
	}
}
