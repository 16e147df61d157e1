package api

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/server"
)

// Every canary route is in server/openapi.json and every canary path there
// is served (cmd/deploylens checks the whole server once Register is mounted).
func TestCanaryRoutesAreDocumented(t *testing.T) {
	s := server.New(server.Options{})
	(&API{}).Register(s)
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI, &spec); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	served := map[string]bool{}
	for _, r := range s.Engine.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/canary") {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		served[strings.ToLower(r.Method)+" "+path] = true
		if _, ok := spec.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is served but not documented", r.Method, path)
		}
	}
	for path, ops := range spec.Paths {
		if !strings.HasPrefix(path, "/api/v1/canary") {
			continue
		}
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("%s %s is documented but not served", method, path)
			}
		}
	}
}
