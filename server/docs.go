package server

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the API's OpenAPI 3 document.
//
//go:embed openapi.json
var OpenAPI []byte

func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", OpenAPI)
}

type docOperation struct {
	Method, Path, Summary string
	Params                []string
	Responses             []string
	Public                bool
}

// docsPage renders the OpenAPI document as one self-contained page: no
// scripts or assets from elsewhere, so it works offline.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deploylens API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{margin-bottom:.2rem} .op{border:1px solid #d8dde6;border-radius:6px;margin:.8rem 0;padding:.6rem .9rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.get{color:#0a7d32}.post{color:#8a5a00}.put{color:#1f5fbf}.delete{color:#b3261e}
code{font-family:ui-monospace,monospace} small{color:#5b6475}
</style></head><body>
<h1>deploylens API</h1><p>{{.Description}}</p>
<p><small>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {{.Version}}).</small></p>
{{range .Ops}}<div class="op"><span class="m {{.Method}}">{{.Method}}</span> <code>{{.Path}}</code>{{if .Public}} <small>(no token)</small>{{end}}
<div>{{.Summary}}</div>{{if .Params}}<small>parameters: {{range $i, $p := .Params}}{{if $i}}, {{end}}<code>{{$p}}</code>{{end}}</small><br>{{end}}
<small>responses: {{range $i, $r := .Responses}}{{if $i}}, {{end}}{{$r}}{{end}}</small></div>
{{end}}</body></html>`))

func serveDocs(c *gin.Context) {
	var spec struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Description string `json:"description"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			Summary    string                      `json:"summary"`
			Parameters []struct{ Name, In string } `json:"parameters"`
			Responses  map[string]json.RawMessage  `json:"responses"`
			Security   *[]any                      `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &spec); err != nil {
		Error(c, http.StatusInternalServerError, "the OpenAPI document is invalid: "+err.Error())
		return
	}
	var ops []docOperation
	for path, methods := range spec.Paths {
		for method, op := range methods {
			d := docOperation{Method: method, Path: path, Summary: op.Summary, Public: op.Security != nil && len(*op.Security) == 0}
			for _, p := range op.Parameters {
				d.Params = append(d.Params, p.Name+" ("+p.In+")")
			}
			for code := range op.Responses {
				d.Responses = append(d.Responses, code)
			}
			sort.Strings(d.Responses)
			ops = append(ops, d)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = docsPage.Execute(c.Writer, map[string]any{"Description": spec.Info.Description, "Version": spec.OpenAPI, "Ops": ops})
}
