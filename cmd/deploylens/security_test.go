package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/query/api"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// Webhook secrets of the secured server.
const (
	githubSecret    = "gh-secret-of-the-security-tests"
	gitlabToken     = "gl-token-of-the-security-tests"
	pagerdutySecret = "pd-secret-of-the-security-tests"
	opsgenieToken   = "og-token-of-the-security-tests"
	// ingestMax is --ingest-max-body-bytes of the secured server.
	ingestMax = 1 << 20
)

// secured is a whole deploylens server assembled from serve's flags, as
// `deploylens serve` assembles it, listening on a real TCP port, with
// tokens of every role and of two teams.
type secured struct {
	url, grpcAddr string
	st            *store.Store
	srv           *server.Server
	tokens        map[string]string
}

// startSecured builds and starts the server; extra are more serve flags.
func startSecured(t *testing.T, extra ...string) *secured {
	t.Helper()
	ctx := context.Background()
	st := storetest.Store(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mig := &migrations.Migrator{Conn: st.Conn, Log: quiet}
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	grpcAddr := freeAddr(t)
	args := append([]string{"--http-addr", "127.0.0.1:0", "--grpc-addr", grpcAddr,
		"--github-webhook-secret", githubSecret, "--gitlab-webhook-token", gitlabToken,
		"--pagerduty-webhook-secret", pagerdutySecret, "--opsgenie-webhook-token", opsgenieToken,
		"--ingest-max-body-bytes", "1048576", "--commit-max-delay", "5ms"}, extra...)
	var f serveFlags
	if err := parseFlags(f.flagSet(io.Discard), args); err != nil {
		t.Fatal(err)
	}
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(st.Conn, 0) // revocations take effect at once
	srv, stop, err := f.buildServer(ctx, st, mig, tokens, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		stop()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-served
		stop()
	})
	s := &secured{url: "http://" + srv.Addr(), grpcAddr: grpcAddr, st: st, srv: srv, tokens: map[string]string{}}
	for _, tok := range []struct {
		name    string
		role    auth.Role
		teams   []string
		revoked bool
	}{
		{"admin", auth.RoleAdmin, nil, false},
		{"read-pay", auth.RoleRead, []string{"payments"}, false},
		{"read-search", auth.RoleRead, []string{"search"}, false},
		{"read-all", auth.RoleRead, []string{"*"}, false},
		{"ingest-pay", auth.RoleIngest, []string{"payments"}, false},
		{"ingest-search", auth.RoleIngest, []string{"search"}, false},
		{"ingest-all", auth.RoleIngest, []string{"*"}, false},
		{"revoked-admin", auth.RoleAdmin, nil, true},
		{"revoked-read", auth.RoleRead, []string{"payments"}, true},
		{"revoked-ingest", auth.RoleIngest, []string{"payments"}, true},
	} {
		plain, created, err := tokens.Create(ctx, tok.name, tok.role, tok.teams)
		if err != nil {
			t.Fatal(err)
		}
		if tok.revoked {
			if err := tokens.Revoke(ctx, created.ID); err != nil {
				t.Fatal(err)
			}
		}
		s.tokens[tok.name] = plain
	}
	return s
}

// freeAddr is a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// request is one HTTP request of the tests.
type request struct {
	method, path, body string
	header             map[string]string
}

// withAuth returns r sending authorization as its Authorization header
// ("" sends none).
func (r request) withAuth(authorization string) request {
	h := map[string]string{}
	for k, v := range r.header {
		h[k] = v
	}
	if authorization != "" {
		h["Authorization"] = authorization
	}
	r.header = h
	return r
}

// noRedirects answers a redirect with itself, so that tests see what the
// server said (a sign-in's 303 and its cookie).
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends r and returns the status, headers and body.
func (s *secured) do(t *testing.T, r request) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, s.url+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// as sends r with a token of the secured server.
func (s *secured) as(t *testing.T, who string, r request) (int, string) {
	t.Helper()
	code, _, body := s.do(t, r.withAuth("Bearer "+s.tokens[who]))
	return code, body
}

// must sends r as admin and fails unless it succeeds.
func (s *secured) must(t *testing.T, r request) string {
	t.Helper()
	code, body := s.as(t, "admin", r)
	if code/100 != 2 {
		t.Fatalf("%s %s: %d %s", r.method, r.path, code, body)
	}
	return body
}

func hmacSHA256(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func readTestdata(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Payments' data, which the tests try to reach with other teams' tokens.
var (
	canaryConfig    = `{"metrics":[{"name":"latency_p50","source":"span_latency","statistic":"p50","direction":"increase"}]}`
	analysisRequest = `{"team":"payments","service":"checkout","environment":"production","deployment_id":"d-1",
	  "config":` + canaryConfig + `,
	  "baseline":{"resource_attributes":{"service.version":"1.4.0"}},"canary":{"resource_attributes":{"service.version":"1.5.0"}},
	  "start":"2026-03-02T10:00:00Z","lifetime_seconds":1800,"interval_seconds":600}`
	paymentsEvents = `[
	  {"id":"ev-c-1","type":"change","team":"payments","service":"checkout","change_id":"c-1","repo":"acme/shop","first_commit_at":"2026-03-01T09:00:00Z","merged_at":"2026-03-02T09:00:00Z","merge_commit":"abc123"},
	  {"id":"ev-d-1","type":"deployment","service":"checkout","deployment_id":"d-1","commit":"abc123","finished_at":"2026-03-02T10:00:00Z","status":"success","change_ids":["c-1"]},
	  {"id":"ev-i-1","type":"incident","service":"checkout","incident_id":"i-1","opened_at":"2026-03-02T11:00:00Z"}]`
)

// seed stores, as admin, a catalog of two teams and payments' change,
// deployment, incident, canary config and analysis; it returns the
// analysis' id.
func (s *secured) seed(t *testing.T) string {
	t.Helper()
	s.must(t, request{method: "PUT", path: "/api/v1/catalog/services/checkout", body: `{"team":"payments"}`})
	s.must(t, request{method: "PUT", path: "/api/v1/catalog/services/search-api", body: `{"team":"search"}`})
	s.must(t, request{method: "POST", path: "/api/v1/events", body: paymentsEvents})
	s.must(t, request{method: "PUT", path: "/api/v1/canary/configs/payments-latency", body: `{"team":"payments","config":` + canaryConfig + `}`})
	var an struct{ ID string }
	if err := json.Unmarshal([]byte(s.must(t, request{method: "POST", path: "/api/v1/canary/analyses", body: analysisRequest})), &an); err != nil || an.ID == "" {
		t.Fatalf("analysis: %v %+v", err, an)
	}
	return an.ID
}

// access is who may call a route.
type access string

const (
	anyone    access = "anyone"
	signed    access = "signed" // a signed webhook delivery; bearer tokens do not count
	readers   access = "read"   // read tokens (admin holds every role)
	ingesters access = "ingest"
	admins    access = "admin"
	// signInForm takes a read token in a form and keeps it in a cookie for
	// the HTML pages.
	signInForm access = "sign-in form"
)

// scope is how a token of another team is kept from payments' data.
type scope string

const (
	noTeamData scope = ""          // the answer holds no team's data
	forbidden  scope = "forbidden" // 403
	filtered   scope = "filtered"  // an answer without payments in it
)

// bodyKind is how a route reads its body, for the hostile-body tests.
type bodyKind string

const (
	noBody      bodyKind = ""
	jsonBody    bodyKind = "json"    // server.BindJSON, capped at server.MaxJSONBody
	eventBody   bodyKind = "events"  // ingest.ReadBody, gzip, capped at --ingest-max-body-bytes
	otlpBody    bodyKind = "otlp"    // ingest.ReadBody, gzip or zstd, then OTLP
	remoteWrite bodyKind = "promrw"  // snappy
	signedBody  bodyKind = "webhook" // ingest.ReadBody, then the signature
)

// route is a served route's row in the security table: who may call it,
// a request for payments' data that the right token makes successfully,
// how another team is kept out, and the query parameters whose values
// reach the store.
type route struct {
	access access
	req    request
	scope  scope
	// foreign, when set, is what another team's token tries instead of req.
	foreign *request
	params  []string
	body    bodyKind
}

// securityTable has a row for every route `serve` mounts, by gin's method
// and path. A route without a row fails TestEveryRouteNeedsTheRightTokenAndTeam:
// adding an endpoint means saying here who may call it.
func securityTable(t *testing.T, analysisID string) map[string]route {
	webhookReq := func(path, body string, header map[string]string) request {
		return request{method: "POST", path: path, body: body, header: header}
	}
	github := readTestdata(t, "ingest/github/testdata/deployment_status.created.json")
	pagerduty := readTestdata(t, "ingest/pagerduty/testdata/incident.triggered.json")
	cdevent := strings.ReplaceAll(readTestdata(t, "ingest/cdevents/testdata/service_deployed_0.4.0.json"), "mySubject123", "checkout")
	rows := map[string]route{
		"GET /healthz":      {access: anyone, req: request{method: "GET", path: "/healthz"}},
		"GET /readyz":       {access: anyone, req: request{method: "GET", path: "/readyz"}},
		"GET /metrics":      {access: anyone, req: request{method: "GET", path: "/metrics"}},
		"GET /openapi.json": {access: anyone, req: request{method: "GET", path: "/openapi.json"}},
		"GET /docs":         {access: anyone, req: request{method: "GET", path: "/docs"}},

		"GET /api/v1/teams":    {access: readers, req: request{method: "GET", path: "/api/v1/teams"}, scope: filtered},
		"GET /api/v1/services": {access: readers, req: request{method: "GET", path: "/api/v1/services"}, scope: filtered, params: []string{"team"}},
		"PUT /api/v1/catalog/services/:name": {access: admins, body: jsonBody,
			req: request{method: "PUT", path: "/api/v1/catalog/services/checkout", body: `{"team":"payments"}`}},
		"DELETE /api/v1/catalog/services/:name": {access: admins, req: request{method: "DELETE", path: "/api/v1/catalog/services/retired"}},

		"GET /api/v1/changes/:change_id/timeline": {access: readers, scope: forbidden, params: []string{"environment"},
			req: request{method: "GET", path: "/api/v1/changes/c-1/timeline"}},

		"POST /api/v1/canary/judge": {access: readers, body: jsonBody,
			req: request{method: "POST", path: "/api/v1/canary/judge", body: readTestdata(t, "query/canary/api/testdata/judge_request.json")}},
		"POST /api/v1/canary/analyses": {access: readers, scope: forbidden, body: jsonBody,
			req: request{method: "POST", path: "/api/v1/canary/analyses", body: analysisRequest},
			// Naming its own team to read payments' telemetry.
			foreign: &request{method: "POST", path: "/api/v1/canary/analyses", body: strings.Replace(analysisRequest, `"team":"payments"`, `"team":"search"`, 1)}},
		"GET /api/v1/canary/analyses": {access: readers, scope: filtered, params: []string{"deployment_id"},
			req: request{method: "GET", path: "/api/v1/canary/analyses?deployment_id=d-1"}},
		"GET /api/v1/canary/analyses/:id": {access: readers, scope: forbidden,
			req: request{method: "GET", path: "/api/v1/canary/analyses/" + analysisID}},
		"PUT /api/v1/canary/configs/:name": {access: readers, scope: forbidden, body: jsonBody,
			req: request{method: "PUT", path: "/api/v1/canary/configs/payments-latency", body: `{"team":"payments","config":` + canaryConfig + `}`}},
		"GET /api/v1/canary/configs/:name": {access: readers, scope: forbidden,
			req: request{method: "GET", path: "/api/v1/canary/configs/payments-latency"}},

		"POST /api/v1/events": {access: ingesters, scope: forbidden, body: eventBody,
			req: request{method: "POST", path: "/api/v1/events", body: paymentsEvents}},
		"POST /api/v1/cdevents": {access: ingesters, scope: forbidden, body: eventBody,
			req: request{method: "POST", path: "/api/v1/cdevents", body: cdevent, header: map[string]string{"Content-Type": "application/json"}}},
		"POST /v1/traces": {access: ingesters, body: otlpBody,
			req: request{method: "POST", path: "/v1/traces", body: `{"resourceSpans":[]}`, header: map[string]string{"Content-Type": "application/json"}}},
		"POST /v1/logs": {access: ingesters, body: otlpBody,
			req: request{method: "POST", path: "/v1/logs", body: `{"resourceLogs":[]}`, header: map[string]string{"Content-Type": "application/json"}}},
		"POST /v1/metrics": {access: ingesters, body: otlpBody,
			req: request{method: "POST", path: "/v1/metrics", body: `{"resourceMetrics":[]}`, header: map[string]string{"Content-Type": "application/json"}}},
		"POST /api/v1/write": {access: ingesters, body: remoteWrite,
			req: request{method: "POST", path: "/api/v1/write", body: "\x00", header: map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}}},

		"GET /api/v1/reviews/weekly": {access: readers, scope: forbidden, params: []string{"team", "week", "environment"},
			req: request{method: "GET", path: "/api/v1/reviews/weekly?team=payments&week=2026-W10"}},
		"GET /reviews": {access: readers, scope: filtered, params: []string{"environment"},
			req: request{method: "GET", path: "/reviews"}},
		"GET /reviews/weekly/:team/:week": {access: readers, scope: forbidden, params: []string{"environment"},
			req: request{method: "GET", path: "/reviews/weekly/payments/2026-W10"}},
		"POST /reviews": {access: signInForm,
			req: request{method: "POST", path: "/reviews", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}},

		"POST /webhooks/github": {access: signed, body: signedBody, req: webhookReq("/webhooks/github", github, map[string]string{
			"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "sec-1", "X-Hub-Signature-256": "sha256=" + hmacSHA256(githubSecret, github)})},
		"POST /webhooks/gitlab": {access: signed, body: signedBody, req: webhookReq("/webhooks/gitlab", readTestdata(t, "ingest/gitlab/testdata/deployment.json"), map[string]string{
			"X-Gitlab-Event": "Deployment Hook", "X-Gitlab-Token": gitlabToken})},
		"POST /webhooks/pagerduty": {access: signed, body: signedBody, req: webhookReq("/webhooks/pagerduty", pagerduty, map[string]string{
			"X-PagerDuty-Signature": "v1=" + hmacSHA256(pagerdutySecret, pagerduty)})},
		"POST /webhooks/opsgenie": {access: signed, body: signedBody, req: webhookReq("/webhooks/opsgenie", readTestdata(t, "ingest/opsgenie/testdata/create.json"), map[string]string{
			"X-Opsgenie-Token": opsgenieToken})},
	}
	// The delivery metrics API declares its parameters: each endpoint that
	// takes a team answers 403 for a team outside the token's scope.
	for path, params := range api.Parameters {
		if strings.Contains(path, "{") || !slices.Contains(params, "team") {
			continue // rows of their own above
		}
		if _, ok := rows["GET "+path]; !ok {
			rows["GET "+path] = route{access: readers, scope: forbidden, params: params,
				req: request{method: "GET", path: path + "?team=payments"}}
		}
	}
	return rows
}

// servedRoutes runs f for every route the secured server serves with its
// row, failing for routes without a row and rows without a route.
func servedRoutes(t *testing.T, s *secured, rows map[string]route, f func(t *testing.T, key string, r route)) {
	t.Helper()
	unserved := map[string]bool{}
	for k := range rows {
		unserved[k] = true
	}
	for _, gr := range s.srv.Engine.Routes() {
		key := gr.Method + " " + gr.Path
		delete(unserved, key)
		r, ok := rows[key]
		if !ok {
			t.Errorf("%s has no row in securityTable (cmd/deploylens/security_test.go): add one saying which token may call it", key)
			continue
		}
		t.Run(key, func(t *testing.T) { f(t, key, r) })
	}
	for k := range unserved {
		t.Errorf("securityTable has a row for %s, which is not served", k)
	}
}

// Authorization headers that must never authenticate.
func malformedAuthorizations(s *secured) map[string]string {
	admin := s.tokens["admin"]
	id := strings.SplitN(strings.TrimPrefix(admin, "dlk_"), "_", 2)[0]
	return map[string]string{
		"scheme without token":      "Bearer",
		"empty token":               "Bearer ",
		"basic credentials":         "Basic YWRtaW46YWRtaW4=",
		"prefix only":               "Bearer dlk_",
		"unknown id":                "Bearer dlk_000000000000_secret",
		"known id, wrong secret":    "Bearer dlk_" + id + "_not-the-secret",
		"truncated admin token":     "Bearer " + admin[:len(admin)-1],
		"admin token with a suffix": "Bearer " + admin + "x",
		"token in the wrong place":  admin,
		"SQL in the id":             "Bearer dlk_' OR 1=1 --_x",
		"10 000 characters":         "Bearer " + strings.Repeat("A", 10000),
		"admin token twice":         "Bearer " + admin + ", Bearer " + admin,
	}
}

// Every served route refuses a request without a valid token (401), with a
// token of the wrong role (403), and with a token of another team when it
// holds team data (403, or a listing without that team); the right token
// gets its answer. Webhooks accept their signature only, never a token.
func TestEveryRouteNeedsTheRightTokenAndTeam(t *testing.T) {
	s := startSecured(t)
	analysisID := s.seed(t)
	rows := securityTable(t, analysisID)
	malformed := malformedAuthorizations(s)
	sent, routes := 0, 0
	servedRoutes(t, s, rows, func(t *testing.T, key string, r route) {
		routes++
		expect := func(what string, req request, want int) string {
			t.Helper()
			sent++
			code, _, body := s.do(t, req)
			if want == 2 && code/100 != 2 || want != 2 && code != want {
				t.Errorf("%s: %d %.300s, want %s", what, code, body, map[int]string{2: "2xx", 401: "401", 403: "403"}[want])
			}
			return body
		}
		bearer := func(who string) string { return "Bearer " + s.tokens[who] }
		switch r.access {
		case anyone:
			expect("no token", r.req, 2)
			return
		case signInForm:
			form := func(token string) request {
				req := r.req
				req.body = url.Values{"token": {token}, "next": {"/reviews"}}.Encode()
				return req
			}
			expect("no token", form(""), 400)
			expect("a token that is none", form("dlk_000000000000_secret"), 401)
			expect("revoked-read", form(s.tokens["revoked-read"]), 401)
			expect("ingest token", form(s.tokens["ingest-all"]), 403)
			code, header, _ := s.do(t, form(s.tokens["read-pay"]))
			if code != http.StatusSeeOther || !strings.Contains(header.Get("Set-Cookie"), server.SessionCookie+"=") {
				t.Errorf("read-pay: %d with Set-Cookie %q, want 303 setting %s", code, header.Get("Set-Cookie"), server.SessionCookie)
			}
			return
		case signed:
			unsigned := r.req
			unsigned.header = map[string]string{}
			for k, v := range r.req.header {
				if !strings.Contains(strings.ToLower(k), "signature") && !strings.Contains(strings.ToLower(k), "token") {
					unsigned.header[k] = v
				}
			}
			expect("no signature", unsigned, 401)
			expect("an admin token instead of a signature", unsigned.withAuth(bearer("admin")), 401)
			expect("signed", r.req, 2)
			return
		}
		expect("no token", r.req, 401)
		for name, h := range malformed {
			expect("malformed: "+name, r.req.withAuth(h), 401)
		}
		for _, who := range []string{"revoked-admin", "revoked-read", "revoked-ingest"} {
			expect(who, r.req.withAuth(bearer(who)), 401)
		}
		right, otherTeam := map[access]string{readers: "read-pay", ingesters: "ingest-pay", admins: "admin"}[r.access], ""
		switch r.access {
		case readers:
			expect("ingest token", r.req.withAuth(bearer("ingest-all")), 403)
			otherTeam = "read-search"
		case ingesters:
			expect("read token", r.req.withAuth(bearer("read-all")), 403)
			otherTeam = "ingest-search"
		case admins:
			expect("read token", r.req.withAuth(bearer("read-all")), 403)
			expect("ingest token", r.req.withAuth(bearer("ingest-all")), 403)
		}
		body := expect(right, r.req.withAuth(bearer(right)), 2)
		switch r.scope {
		case forbidden:
			foreign := r.req
			if r.foreign != nil {
				foreign = *r.foreign
			}
			expect(otherTeam+" (another team)", foreign.withAuth(bearer(otherTeam)), 403)
		case filtered:
			if !strings.Contains(body, "payments") {
				t.Fatalf("the answer to %s does not show payments' data, so the filter cannot be checked: %.300s", right, body)
			}
			if other := expect(otherTeam+" (another team)", r.req.withAuth(bearer(otherTeam)), 2); strings.Contains(other, "payments") || strings.Contains(other, "checkout") {
				t.Errorf("%s sees payments' data: %.300s", otherTeam, other)
			}
		}
	})
	t.Logf("%d requests to %d routes", sent, routes)
	t.Run("OTLP/gRPC", func(t *testing.T) {
		conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		export := func(authorization string) codes.Code {
			ctx := context.Background()
			if authorization != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authorization)
			}
			_, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequest())
			return status.Code(err)
		}
		cases := map[string]codes.Code{"": codes.Unauthenticated}
		for _, h := range malformed {
			cases[h] = codes.Unauthenticated
		}
		for who, want := range map[string]codes.Code{"revoked-ingest": codes.Unauthenticated, "revoked-admin": codes.Unauthenticated,
			"read-all": codes.PermissionDenied, "ingest-pay": codes.OK, "admin": codes.OK} {
			cases["Bearer "+s.tokens[who]] = want
		}
		for h, want := range cases {
			if got := export(h); got != want {
				t.Errorf("authorization %.40q: %s, want %s", h, got, want)
			}
		}
	})
}

// Values an attacker puts in a filter: SQL, quotes of every kind,
// backslashes (ClickHouse's string escape), NUL, placeholders.
var hostileValues = []string{
	`' OR 1=1 --`,
	`x'); DROP TABLE deployments; --`,
	`\' UNION SELECT secret_hash FROM api_tokens --`,
	`\`,
	`a\`,
	`a\tb`, // read as a tab unless escaped: a silent mis-lookup
	`\\'`,
	"\x00",
	"payments\x00' OR '1'='1",
	"’ OR ‘1’=‘1",
	"payments OR 1",
	`{team:String}`,
	`%27 OR %271%27=%271`,
	`payments"; SELECT 1; --`,
	"\t\n\r",
	strings.Repeat("A", 4000),
}

// The rows of the tables an attack would alter or empty.
func tableCounts(t *testing.T, s *secured) map[string]uint64 {
	t.Helper()
	rows, err := s.st.Conn.Query(context.Background(), "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]uint64{}
	for _, n := range names {
		var c uint64
		if err := s.st.Conn.QueryRow(context.Background(), "SELECT count() FROM `"+n+"`").Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

var pathParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// Hostile values in every filter parameter and path parameter of every GET
// endpoint are answered 2xx, 3xx or 4xx, never 5xx, and leave every table as it
// was: no value is spliced into SQL.
func TestHostileFilterValuesNeverReachSQL(t *testing.T) {
	s := startSecured(t)
	analysisID := s.seed(t)
	rows := securityTable(t, analysisID)
	before := tableCounts(t, s)
	if before["deployments"] == 0 || before["api_tokens"] == 0 {
		t.Fatalf("nothing seeded to lose: %v", before)
	}
	tried := 0
	servedRoutes(t, s, rows, func(t *testing.T, key string, r route) {
		if r.req.method != "GET" || r.access == anyone || r.access == signed {
			return
		}
		base, err := url.Parse(r.req.path)
		if err != nil {
			t.Fatal(err)
		}
		segments := strings.Split(strings.SplitN(key, " ", 2)[1], "/")
		type target struct{ name, segment string }
		var targets []target
		for _, p := range r.params {
			targets = append(targets, target{name: p})
		}
		for i, seg := range segments {
			if m := pathParam.FindStringSubmatch(seg); m != nil {
				targets = append(targets, target{name: m[1], segment: strings.Split(base.Path, "/")[i]})
			}
		}
		for _, tg := range targets {
			for _, v := range hostileValues {
				u := *base
				if tg.segment != "" {
					u.RawPath = strings.Replace(base.EscapedPath(), "/"+tg.segment, "/"+url.PathEscape(v), 1)
					u.Path, _ = url.PathUnescape(u.RawPath)
				} else {
					q := u.Query()
					q.Set(tg.name, v)
					u.RawQuery = q.Encode()
				}
				req := r.req
				req.path = u.String()
				code, _, body := s.do(t, req.withAuth("Bearer "+s.tokens["admin"]))
				tried++
				if code >= 500 || code == 0 {
					t.Errorf("%s=%q: %d %.300s", tg.name, v, code, body)
				}
				var e map[string]any
				if strings.HasPrefix(base.Path, "/api/") && json.Unmarshal([]byte(body), &e) != nil {
					t.Errorf("%s=%q: the answer is not JSON: %.200s", tg.name, v, body)
				}
			}
		}
	})
	if tried < 100 {
		t.Fatalf("only %d hostile requests were sent", tried)
	}
	if after := tableCounts(t, s); !maps.Equal(before, after) {
		t.Fatalf("the tables changed under hostile filters:\nbefore %v\nafter  %v", before, after)
	}
	t.Logf("%d hostile requests, tables intact: %v", tried, before)
}

func gzipOf(b []byte) string {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.String()
}

// nestedJSON is an object holding an array nested depth deep.
func nestedJSON(depth int) string {
	return `{"id":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}

// hostileBody is a body a route must refuse, and with what status.
type hostileBody struct {
	name   string
	body   string
	header map[string]string
	want   int
}

// hostileBodies are, per way of reading a body, the bodies that must be
// refused: bodies past the cap as sent, compression bombs past it once
// decompressed (10 MB of zeros in about 10 KB), and JSON nested past any
// decoder's depth limit.
func hostileBodies(t *testing.T) map[bodyKind][]hostileBody {
	zeros := make([]byte, 10<<20)
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zstdBomb := string(zw.EncodeAll(zeros, nil))
	zw.Close()
	gzipBomb := gzipOf(zeros)
	nested := nestedJSON(100000)
	oversize := func(n int) string { return `{"id":"` + strings.Repeat("a", n) + `"}` }
	jsonType := map[string]string{"Content-Type": "application/json"}
	gzipJSON := map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}
	return map[bodyKind][]hostileBody{
		jsonBody: {
			{"nested 100 000 deep", nested, jsonType, 400},
			{"one byte past server.MaxJSONBody", oversize(server.MaxJSONBody), jsonType, 413},
		},
		eventBody: {
			{"nested 100 000 deep", nested, jsonType, 400},
			{"past --ingest-max-body-bytes", oversize(ingestMax), jsonType, 413},
			{"gzip bomb", gzipBomb, gzipJSON, 413},
		},
		otlpBody: {
			{"nested 100 000 deep", nested, jsonType, 400},
			{"past --ingest-max-body-bytes", oversize(ingestMax), jsonType, 413},
			{"gzip bomb", gzipBomb, gzipJSON, 413},
			{"zstd bomb", zstdBomb, map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "zstd"}, 413},
		},
		remoteWrite: {
			{"snappy bomb", string(snappy.Encode(nil, zeros)), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}, 413},
			{"past --ingest-max-body-bytes", oversize(ingestMax), map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}, 413},
		},
		signedBody: { // refused before the signature is checked
			{"past --ingest-max-body-bytes", oversize(ingestMax), jsonType, 413},
			{"gzip bomb", gzipBomb, gzipJSON, 413},
		},
	}
}

// Every route that reads a body refuses oversize bodies and compression
// bombs with 413 and deeply nested JSON with 400, stores nothing of them,
// and keeps serving.
func TestHostileBodiesAreRefused(t *testing.T) {
	s := startSecured(t)
	rows := securityTable(t, "no-analysis")
	bodies := hostileBodies(t)
	servedRoutes(t, s, rows, func(t *testing.T, key string, r route) {
		if r.body == noBody {
			if r.req.body != "" {
				t.Fatalf("%s sends a body but has no body kind", key)
			}
			return
		}
		for _, h := range bodies[r.body] {
			req := r.req
			req.body, req.header = h.body, merge(r.req.header, h.header)
			code, _, body := s.do(t, req.withAuth("Bearer "+s.tokens["admin"]))
			if code != h.want {
				t.Errorf("%s: %d %.300s, want %d", h.name, code, body, h.want)
			}
			if h.want == 400 && !strings.Contains(body, "depth") && !strings.Contains(body, "nest") {
				t.Errorf("%s: the answer does not name the nesting: %.300s", h.name, body)
			}
		}
	})
	for table, n := range tableCounts(t, s) {
		if n != 0 && table != "api_tokens" && table != "deploylens_schema_migrations" {
			t.Errorf("%s holds %d rows after hostile bodies", table, n)
		}
	}
	if code, _ := s.as(t, "admin", request{method: "GET", path: "/api/v1/teams"}); code != 200 {
		t.Fatalf("the server does not answer after the hostile bodies: %d", code)
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// rawConn is a client that writes a request at its own pace on a real TCP
// connection.
type rawConn struct {
	c   net.Conn
	got []byte // what the server sent while the client was still writing
}

func (s *secured) dial(t *testing.T) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c: c}
}

// dribble writes b a piece at a time, pausing between pieces, and returns
// how many bytes were written before the server closed the connection.
func (r *rawConn) dribble(b string, piece int, pause time.Duration) int {
	for i := 0; i < len(b); i += piece {
		if r.closed() {
			return i
		}
		if _, err := r.c.Write([]byte(b[i:min(i+piece, len(b))])); err != nil {
			return i
		}
		time.Sleep(pause)
	}
	return len(b)
}

// closed reports whether the server has closed the connection, without
// waiting for it, keeping what it answered.
func (r *rawConn) closed() bool {
	_ = r.c.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer r.c.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	for {
		n, err := r.c.Read(buf)
		r.got = append(r.got, buf[:n]...)
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ne) && ne.Timeout():
			return false
		default:
			return true
		}
	}
}

// response reads what the server answers until it closes the connection
// (waiting at most limit): its status line, "" if it answered nothing.
func (r *rawConn) response(limit time.Duration) (status string, closed bool) {
	_ = r.c.SetReadDeadline(time.Now().Add(limit))
	rest, err := io.ReadAll(r.c)
	var ne net.Error
	closed = !(errors.As(err, &ne) && ne.Timeout())
	status, _, _ = strings.Cut(string(append(r.got, rest...)), "\r\n")
	return status, closed
}

// A client that sends its headers, or its body, slower than the serve
// timeouts allow is disconnected (with 408 once the headers are in), and
// what it sent is not stored; a client that sends at once is served, and
// an idle keep-alive connection is closed.
func TestSlowClientsAreDisconnected(t *testing.T) {
	s := startSecured(t, "--http-read-header-timeout", "300ms", "--http-read-timeout", "1s",
		"--http-write-timeout", "40s", "--http-idle-timeout", "1s")
	ingestAuth := "Authorization: Bearer " + s.tokens["admin"] + "\r\n"
	event := `{"id":"slow-1","type":"deployment","service":"checkout","deployment_id":"slow-1","finished_at":"2026-03-02T11:05:00Z","status":"success"}`
	post := func(path, body string, length int) string {
		return "POST " + path + " HTTP/1.1\r\nHost: deploylens\r\n" + ingestAuth +
			"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n" + body
	}
	for _, tc := range []struct {
		name string
		// send writes the request; it returns how much of it was written.
		send       func(r *rawConn) (written, total int)
		wantStatus []string // "": disconnected without an answer
		wantCut    bool     // the server closed before the client finished
	}{
		{"headers one byte every 50 ms", func(r *rawConn) (int, int) {
			req := "GET /healthz HTTP/1.1\r\nHost: deploylens\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n"
			return r.dribble(req, 1, 50*time.Millisecond), len(req)
		}, []string{"", "HTTP/1.1 400 Bad Request"}, true}, // which depends on where in a line the timeout falls
		{"event body stalls after 10 bytes", func(r *rawConn) (int, int) {
			req := post("/api/v1/events", event[:10], len(event))
			return r.dribble(req, len(req), 0), len(req)
		}, []string{"HTTP/1.1 408 Request Timeout"}, false},
		{"event body one byte every 100 ms", func(r *rawConn) (int, int) {
			req := post("/api/v1/events", event, len(event))
			head := len(req) - len(event)
			r.dribble(req[:head], head, 0)
			return head + r.dribble(event, 1, 100*time.Millisecond), len(req)
		}, []string{"HTTP/1.1 408 Request Timeout"}, true},
		{"JSON API body stalls", func(r *rawConn) (int, int) {
			req := strings.Replace(post("/api/v1/catalog/services/slow", `{"team":`, 30), "POST", "PUT", 1)
			return r.dribble(req, len(req), 0), len(req)
		}, []string{"HTTP/1.1 408 Request Timeout"}, false},
		{"prompt client", func(r *rawConn) (int, int) {
			prompt := strings.ReplaceAll(event, "slow-1", "prompt-1")
			req := post("/api/v1/events", prompt, len(prompt)) + "GET /healthz HTTP/1.1\r\nHost: deploylens\r\nConnection: close\r\n\r\n"
			return r.dribble(req, len(req), 0), len(req)
		}, []string{"HTTP/1.1 200 OK"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.dial(t)
			written, total := tc.send(r)
			if cut := written < total; cut != tc.wantCut {
				t.Errorf("wrote %d of %d bytes before the server closed; want cut off: %v", written, total, tc.wantCut)
			}
			status, closed := r.response(10 * time.Second)
			if !slices.Contains(tc.wantStatus, status) {
				t.Errorf("answer %q, want one of %q", status, tc.wantStatus)
			}
			if !closed {
				t.Error("the connection is still open 10 s later")
			}
		})
	}
	if n := countRows(t, s, "SELECT count() FROM raw_events WHERE delivery_id = 'slow-1'"); n != 0 {
		t.Errorf("%d rows stored from the slow clients' bodies", n)
	}
	if n := countRows(t, s, "SELECT count() FROM raw_events WHERE delivery_id = 'prompt-1'"); n != 1 {
		t.Errorf("the prompt client's event was stored %d times, want 1", n)
	}
	t.Run("idle keep-alive connection", func(t *testing.T) {
		r := s.dial(t)
		r.dribble("GET /healthz HTTP/1.1\r\nHost: deploylens\r\n\r\n", 100, 0)
		status, closed := r.response(10 * time.Second)
		if status != "HTTP/1.1 200 OK" || !closed {
			t.Errorf("answer %q, closed %v; want 200 then the idle connection closed", status, closed)
		}
	})
}

func countRows(t *testing.T, s *secured, query string) uint64 {
	t.Helper()
	var n uint64
	if err := s.st.Conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// With --rate-limit, a token gets exactly its burst, then 429 with
// Retry-After and an error naming the limit; its OTLP/gRPC calls spend the
// same budget; other tokens, public endpoints and webhooks (which carry no
// token) are unaffected; the refusals are counted in /metrics.
func TestPerTokenRateLimit(t *testing.T) {
	const burst = 5
	// One request per 10 s: no refill while the test runs.
	s := startSecured(t, "--rate-limit", "0.1", "--rate-burst", strconv.Itoa(burst))
	teams := request{method: "GET", path: "/api/v1/teams"}
	var statuses []int
	for range burst + 3 {
		code, header, body := s.do(t, teams.withAuth("Bearer "+s.tokens["read-pay"]))
		statuses = append(statuses, code)
		if code != 429 {
			continue
		}
		if secs, err := strconv.Atoi(header.Get("Retry-After")); err != nil || secs < 1 || secs > 10 {
			t.Errorf("Retry-After %q, want 1 to 10 seconds", header.Get("Retry-After"))
		}
		var e server.ErrorBody
		if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, "--rate-limit") || !strings.Contains(e.Error, "bursts of 5") {
			t.Errorf("429 body %s does not name the limit", body)
		}
	}
	if want := []int{200, 200, 200, 200, 200, 429, 429, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if code, _ := s.as(t, "read-search", teams); code != 200 {
		t.Errorf("another token: %d, want 200", code)
	}
	for range burst + 1 {
		if code, _, _ := s.do(t, request{method: "GET", path: "/healthz"}); code != 200 {
			t.Errorf("/healthz: %d, want 200", code)
		}
	}
	github := securityTable(t, "")["POST /webhooks/github"].req
	for range burst + 1 {
		if code, _, body := s.do(t, github); code != 200 {
			t.Errorf("webhook: %d %s, want 200", code, body)
		}
	}

	// ingest-pay spends 3 of its requests over HTTP, 2 over gRPC, then is refused on both.
	traces := securityTable(t, "")["POST /v1/traces"].req
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.tokens["ingest-pay"])
	export := func() error {
		_, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequest())
		return err
	}
	for i := range 3 {
		if code, body := s.as(t, "ingest-pay", traces); code != 200 {
			t.Fatalf("HTTP export %d: %d %s", i+1, code, body)
		}
	}
	for i := range 2 {
		if err := export(); err != nil {
			t.Fatalf("gRPC export %d: %v", i+1, err)
		}
	}
	err = export()
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("gRPC past the burst: %v (retry info %v), want RESOURCE_EXHAUSTED with a retry delay", err, retry)
	}
	if code, body := s.as(t, "ingest-pay", traces); code != 429 {
		t.Errorf("HTTP after the gRPC calls spent the budget: %d %s, want 429", code, body)
	}

	_, _, metrics := s.do(t, request{method: "GET", path: "/metrics"})
	if !strings.Contains(metrics, "deploylens_rate_limited_requests_total 5\n") {
		t.Errorf("/metrics does not count the 5 refusals:\n%s", grepLines(metrics, "rate_limited"))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The timeout and rate-limit flags refuse values that would leave the
// server unprotected or cut legitimate requests, saying which flag to fix.
func TestTimeoutAndRateFlagsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--rate-limit", "20", "--rate-burst", "40"}, ""},
		{[]string{"--http-read-timeout", "0s"}, "--http-read-timeout must be positive, e.g. 2m0s"},
		{[]string{"--http-read-header-timeout", "3m"}, "--http-read-header-timeout 3m0s must be at most --http-read-timeout 2m0s"},
		{[]string{"--http-write-timeout", "2m"}, "--http-write-timeout 2m0s must exceed --http-read-timeout plus --query-timeout (2m30s)"},
		{[]string{"--query-timeout", "5m"}, "--http-write-timeout 5m0s must exceed --http-read-timeout plus --query-timeout (7m0s)"},
		{[]string{"--rate-limit", "-1"}, "--rate-limit -1 must be a number of requests per second, or 0 for no limit"},
		{[]string{"--rate-limit", "5", "--rate-burst", "0"}, "--rate-burst 0 must be at least 1 when --rate-limit is set"},
	} {
		var f serveFlags
		if err := parseFlags(f.flagSet(io.Discard), tc.args); err != nil {
			t.Fatal(err)
		}
		err := f.validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
