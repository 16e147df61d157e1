package dashboards_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/dashboards"
	"github.com/deploylens/deploylens/store/storetest"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := storetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCommittedJSONIsCurrent fails when a dashboard's code changed but its
// committed JSON (or the plugin's bundled copy) was not regenerated.
func TestCommittedJSONIsCurrent(t *testing.T) {
	for _, d := range dashboards.All() {
		want, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dashboards.Dirs {
			path := filepath.Join(dir, d.File)
			got, err := os.ReadFile(filepath.Join(root(t), path))
			if err != nil {
				t.Errorf("%s: %v: run `make dashboards`", path, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run `make dashboards` and commit the result", path)
			}
		}
	}
}

// model is a dashboard's JSON as Grafana reads it.
type model map[string]any

func load(t *testing.T) map[string]model {
	t.Helper()
	out := map[string]model{}
	for _, d := range dashboards.All() {
		b, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var m model
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		out[d.File] = m
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// variables returns a dashboard's template variables by name.
func variables(m model) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, v := range list(obj(m["templating"])["list"]) {
		out[obj(v)["name"].(string)] = obj(v)
	}
	return out
}

// walk visits every JSON object of v with the path leading to it.
func walk(v any, path string, visit func(path string, o map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		visit(path, x)
		for k, c := range x {
			walk(c, path+"."+k, visit)
		}
	case []any:
		for i, c := range x {
			walk(c, path+"["+strconv.Itoa(i)+"]", visit)
		}
	}
}

// TestDatasourceReferencesResolve checks that every data source reference
// (panels, targets, annotations, variables) names a data source variable
// of the same plugin type, so the dashboards work whatever the data
// sources are called.
func TestDatasourceReferencesResolve(t *testing.T) {
	for file, m := range load(t) {
		vars := variables(m)
		n := 0
		walk(map[string]any(m), file, func(path string, o map[string]any) {
			ref := obj(o["datasource"])
			if ref == nil {
				return
			}
			n++
			typ, _ := ref["type"].(string)
			uid, _ := ref["uid"].(string)
			name := strings.TrimSuffix(strings.TrimPrefix(uid, "${"), "}")
			v := vars[name]
			if !strings.HasPrefix(uid, "${") || v == nil || v["type"] != "datasource" {
				t.Errorf("%s: data source uid %q is not a data source variable", path, uid)
				return
			}
			if v["query"] != typ {
				t.Errorf("%s: reference of type %s names variable %s of type %v", path, typ, name, v["query"])
			}
		})
		if n == 0 {
			t.Errorf("%s references no data source", file)
		}
	}
}

// builtins are Grafana's own variables and the ClickHouse data source's
// macros.
var builtins = []string{"__all", "__timeFilter", "__timeInterval", "__interval_s", "__interval", "__from", "__to", "__fromTime", "__toTime"}

var varRef = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)

// TestVariablesResolve checks that every $variable a dashboard uses is one
// it declares (or one of Grafana's), and that deploylens variable queries
// are ones the data source answers.
func TestVariablesResolve(t *testing.T) {
	known := regexp.MustCompile(`^\s*(teams|services|environments|changes)\s*(\(\s*\$?[A-Za-z_]*\s*\))?\s*$`)
	for file, m := range load(t) {
		vars := variables(m)
		raw, _ := json.Marshal(m)
		for _, match := range varRef.FindAllStringSubmatch(string(raw), -1) {
			name := match[1] + match[2]
			if vars[name] == nil && !slices.Contains(builtins, name) {
				t.Errorf("%s uses $%s, which it does not declare", file, name)
			}
		}
		for name, v := range vars {
			ds := obj(v["datasource"])
			if v["type"] == "query" && ds["type"] == dashboards.DeploylensType && !known.MatchString(v["query"].(string)) {
				t.Errorf("%s: variable %s's query %q is not one the deploylens data source answers", file, name, v["query"])
			}
		}
	}
}

// TestPluginBundlesEveryDashboard checks plugin.json includes every
// generated dashboard, at the path the build copies it to.
func TestPluginBundlesEveryDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "plugin/src/plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Includes []struct{ Type, Name, Path string }
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	models := load(t)
	for _, d := range dashboards.All() {
		path := "dashboards/" + d.File
		i := slices.IndexFunc(pj.Includes, func(inc struct{ Type, Name, Path string }) bool { return inc.Path == path })
		if i < 0 {
			t.Errorf("plugin.json does not include %s", path)
			continue
		}
		if inc := pj.Includes[i]; inc.Type != "dashboard" || inc.Name != models[d.File]["title"] {
			t.Errorf("plugin.json includes %s as %s %q, want dashboard %q", path, inc.Type, inc.Name, models[d.File]["title"])
		}
	}
	if len(pj.Includes) != len(dashboards.All()) {
		t.Errorf("plugin.json includes %d items, want the %d dashboards", len(pj.Includes), len(dashboards.All()))
	}
}
