package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

// Every route the server of role "all" serves is in the OpenAPI document, and
// the document names no route that does not exist.
func TestEveryRouteIsDocumented(t *testing.T) {
	st := storetest.Store(t)
	ctx := context.Background()
	mig := &migrations.Migrator{Conn: st.Conn}
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	f := &serveFlags{}
	if err := f.flagSet(io.Discard).Parse(nil); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, stop, err := f.buildServer(ctx, st, mig, auth.NewTokens(st.Conn, 0), log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var spec struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", spec.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)|\*([A-Za-z_]+)`)
	served := map[string]bool{}
	for _, r := range srv.Engine.Routes() {
		if r.Path == "/openapi.json" || r.Path == "/docs" {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1$2}")
		key := strings.ToLower(r.Method) + " " + path
		served[key] = true
		if _, ok := spec.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is served but not in server/openapi.json", r.Method, path)
		}
	}
	for path, ops := range spec.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !served[method+" "+path] {
				t.Errorf("server/openapi.json documents %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
}
