package archive_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/deploylens/deploylens/store/storetest"
)

// TestPluginJSONFollowsGrafanasSchema holds plugin/src/plugin.json to the
// rules of Grafana's plugin.json schema
// (docs/sources/developers/plugins/plugin.schema.json), restated: no
// properties the schema does not define, the required ones present, and
// the patterns and enums of id, type, info and dependencies.
func TestPluginJSONFollowsGrafanasSchema(t *testing.T) {
	root, err := storetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "plugin", "src", "plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pj map[string]any
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatalf("plugin.json is not JSON: %v", err)
	}
	properties := []string{"$schema", "alerting", "annotations", "autoEnabled", "backend", "builtIn", "category",
		"dependencies", "enterpriseFeatures", "executable", "hideFromList", "id", "includes", "info", "logs",
		"metrics", "name", "pascalName", "preload", "queryOptions", "routes", "skipDataQuery", "state",
		"streaming", "tracing", "type"}
	for k := range pj {
		if !slices.Contains(properties, k) {
			t.Errorf("property %q is not in the schema", k)
		}
	}
	for _, k := range []string{"type", "name", "id", "info", "dependencies"} {
		if _, ok := pj[k]; !ok {
			t.Errorf("required property %q is missing", k)
		}
	}
	match := func(what, pattern string, v any) {
		s, _ := v.(string)
		if !regexp.MustCompile(pattern).MatchString(s) {
			t.Errorf("%s %q does not match %s", what, s, pattern)
		}
	}
	match("id", `^[0-9a-z]+\-([0-9a-z]+\-)?(app|panel|datasource|secretsmanager|transformer)$`, pj["id"])
	match("type", `^(app|datasource|panel|renderer|secretsmanager|transformer)$`, pj["type"])

	info, _ := pj["info"].(map[string]any)
	for _, k := range []string{"logos", "version", "updated", "keywords"} {
		if _, ok := info[k]; !ok {
			t.Errorf("info.%s is required", k)
		}
	}
	for k := range info {
		if !slices.Contains([]string{"author", "build", "description", "keywords", "links", "logos", "screenshots", "updated", "version"}, k) {
			t.Errorf("info.%s is not in the schema", k)
		}
	}
	if kw, _ := info["keywords"].([]any); len(kw) == 0 {
		t.Error("info.keywords needs at least one keyword")
	}
	logos, _ := info["logos"].(map[string]any)
	for _, k := range []string{"small", "large"} {
		p, _ := logos[k].(string)
		if _, err := os.Stat(filepath.Join(root, "plugin", "src", p)); p == "" || err != nil {
			t.Errorf("info.logos.%s %q is not a file under plugin/src", k, p)
		}
	}
	match("info.updated", `^(\d{4}-\d{2}-\d{2}|\%TODAY\%)$`, info["updated"])
	match("info.version", `^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)|(\%VERSION\%)$`, info["version"])

	deps, _ := pj["dependencies"].(map[string]any)
	match("dependencies.grafanaDependency", `^(<=|>=|<|>|=|~|\^)?([0-9]+)(\.[0-9x\*]+)(\.[0-9x\*]+)?(\s(<=|>=|<|=>)?([0-9]+)(\.[0-9x]+)(\.[0-9x]+))?$`, deps["grafanaDependency"])

	if pj["alerting"] == true && pj["backend"] != true {
		t.Error("alerting requires backend")
	}
	if pj["backend"] == true {
		match("executable", `^gpx_[a-z_]+$`, pj["executable"])
	}
	incs, _ := pj["includes"].([]any)
	for _, inc := range incs {
		m, _ := inc.(map[string]any)
		match("includes[].type", `^(dashboard|page|panel|datasource|secretsmanager)$`, m["type"])
		if p, _ := m["path"].(string); m["type"] == "dashboard" {
			if _, err := os.Stat(filepath.Join(root, "plugin", "src", p)); err != nil {
				t.Errorf("included dashboard %s: %v", p, err)
			}
		}
	}
}
