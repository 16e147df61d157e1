// Package grafana holds the Docker Compose stack of deploylens with
// Grafana; this test checks the references in it that Docker would only
// find wrong at run time, on a machine that has Docker.
package grafana

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func load[T any](t *testing.T, path string) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// serveFlags are the flags `deploylens serve` defines, read from its
// sources (fs.StringVar(&x, "name", …) and the like).
func serveFlags(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../cmd/deploylens/*.go")
	def := regexp.MustCompile(`fs\.\w+Var\([^,]+,\s*"([a-z0-9-]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	if !slices.Contains(out, "http-addr") || !slices.Contains(out, "clickhouse-url") {
		t.Fatalf("could not read serve's flags from cmd/deploylens: %v", out)
	}
	return out
}

func TestComposeStackReferences(t *testing.T) {
	c := load[compose](t, "docker-compose.yml")
	flags := serveFlags(t)

	// Every bind mount exists in the checkout (plugin/dist once `make
	// plugin` ran); every named volume is declared; dependencies exist.
	mounts := map[string]string{}
	for name, svc := range c.Services {
		for _, v := range svc.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			if strings.HasPrefix(src, ".") {
				mounts[dst] = src
				check := src
				if filepath.Base(src) == "dist" {
					check = filepath.Dir(src)
				}
				if _, err := os.Stat(check); err != nil {
					t.Errorf("%s mounts %s, which does not exist: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s uses volume %q, which is not declared", name, src)
			}
		}
		for dep := range svc.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on %q, which is not a service", name, dep)
			}
		}
	}

	// deploylens: only flags and DEPLOYLENS_* variables serve knows.
	dl := c.Services["deploylens"]
	for _, arg := range dl.Command {
		if name, ok := strings.CutPrefix(arg, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			if !slices.Contains(flags, name) {
				t.Errorf("deploylens is given --%s, which serve does not define", name)
			}
		}
	}
	for k := range dl.Environment {
		if name, ok := strings.CutPrefix(k, "DEPLOYLENS_"); ok {
			flag := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			if !slices.Contains(flags, flag) {
				t.Errorf("deploylens is given %s, but serve has no --%s", k, flag)
			}
		}
	}

	// Grafana loads the plugin under its id, unsigned, from plugin/dist.
	var pj struct {
		ID string `json:"id"`
	}
	b, err := os.ReadFile("../../plugin/src/plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	g := c.Services["grafana"]
	if g.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"] != pj.ID {
		t.Errorf("unsigned plugins allowed: %q, plugin id %q", g.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"], pj.ID)
	}
	if src := mounts["/var/lib/grafana/plugins/"+pj.ID]; filepath.Clean(src) != filepath.Clean("../../plugin/dist") {
		t.Errorf("the plugin directory mounts %q, want ../../plugin/dist", src)
	}

	// The provisioned data sources: their types are installed or mounted,
	// and every $VARIABLE they read is in Grafana's environment.
	prov := mounts["/etc/grafana/provisioning"]
	type datasources struct {
		Datasources []struct {
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	dsFile := filepath.Join(prov, "datasources", "datasources.yml")
	ds := load[datasources](t, dsFile)
	for _, d := range ds.Datasources {
		if d.Type != pj.ID && !strings.Contains(g.Environment["GF_INSTALL_PLUGINS"], d.Type) {
			t.Errorf("data source type %s is neither the plugin nor installed (GF_INSTALL_PLUGINS %q)", d.Type, g.Environment["GF_INSTALL_PLUGINS"])
		}
	}
	raw, _ := os.ReadFile(dsFile)
	// Comments aside.
	body := regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(string(raw), "")
	for _, m := range regexp.MustCompile(`\$([A-Z][A-Z0-9_]+)`).FindAllStringSubmatch(body, -1) {
		if _, ok := g.Environment[m[1]]; !ok {
			t.Errorf("%s reads $%s, which Grafana's environment does not set", dsFile, m[1])
		}
	}
	if url := g.Environment["DEPLOYLENS_URL"]; !strings.HasPrefix(url, "http://deploylens:") {
		t.Errorf("DEPLOYLENS_URL %q does not name the deploylens service", url)
	}

	// The dashboards provider reads the folder dashboards/ is mounted at.
	type providers struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	pv := load[providers](t, filepath.Join(prov, "dashboards", "dashboards.yml"))
	if len(pv.Providers) == 0 || filepath.Clean(mounts[pv.Providers[0].Options.Path]) != filepath.Clean("../../dashboards") {
		t.Errorf("the dashboards provider reads %v; dashboards/ is mounted at another path (%v)", pv.Providers, mounts)
	}
}
