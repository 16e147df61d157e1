package receivers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/receivers"
)

// Webhook secrets of the security tests.
var secrets = receivers.Config{GitHubSecret: "gh-secret", GitLabToken: "gl-token", PagerDutySecret: "pd-secret", OpsgenieToken: "og-token"}

func hmacHex(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func testdata(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// webhook is one signed source: a real delivery and how to authenticate it.
type webhook struct {
	source, path, body string
	// auth returns the headers that authenticate body with secret.
	auth func(secret, body string) map[string]string
	// headers are the rest of a delivery's headers (event type, id).
	headers map[string]string
	secret  string
	// tamper alters the delivery's meaning, for sources whose credential
	// is an HMAC of the body; nil for a shared token repeated in a header
	// (GitLab, Opsgenie), which covers no body.
	tamper func(body string) string
}

func replacing(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func webhooks(t *testing.T) []webhook {
	return []webhook{
		{source: "github", path: "/webhooks/github", body: testdata(t, "github/testdata/deployment_status.created.json"),
			auth: func(s, b string) map[string]string {
				return map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(s, b)}
			},
			headers: map[string]string{"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			secret:  secrets.GitHubSecret, tamper: replacing(`"environment": "production"`, `"environment": "staging"`)},
		{source: "pagerduty", path: "/webhooks/pagerduty", body: testdata(t, "pagerduty/testdata/incident.triggered.json"),
			auth: func(s, b string) map[string]string {
				return map[string]string{"X-PagerDuty-Signature": "v1=" + hmacHex(s, b)}
			},
			secret: secrets.PagerDutySecret, tamper: replacing(`"incident.triggered"`, `"incident.resolved"`)},
		{source: "gitlab", path: "/webhooks/gitlab", body: testdata(t, "gitlab/testdata/deployment.json"),
			auth:    func(s, _ string) map[string]string { return map[string]string{"X-Gitlab-Token": s} },
			headers: map[string]string{"X-Gitlab-Event": "Deployment Hook", "X-Gitlab-Event-UUID": "13792a34-cac6-4fda-95a8-c58e00a3954e"},
			secret:  secrets.GitLabToken},
		{source: "opsgenie", path: "/webhooks/opsgenie", body: testdata(t, "opsgenie/testdata/create.json"),
			auth:   func(s, _ string) map[string]string { return map[string]string{"X-Opsgenie-Token": s} },
			secret: secrets.OpsgenieToken},
	}
}

func merged(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Webhooks authenticate by their own signature or token, never by a
// bearer token. Every forgery is refused with 401 and leaves no row; the
// genuine delivery is stored; the same delivery sent again is acknowledged
// and stored once.
func TestWebhookSignatures(t *testing.T) {
	h := startWith(t, secrets)
	admin, _, err := h.tokens.Create(context.Background(), "admin", auth.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range webhooks(t) {
		t.Run(w.source, func(t *testing.T) {
			good := w.auth(w.secret, w.body)
			credential := func(hdr map[string]string) (string, string) {
				for k, v := range hdr {
					return k, v
				}
				return "", ""
			}
			name, value := credential(good)
			forgeries := []struct {
				name    string
				headers map[string]string
				body    string
				bearer  string
			}{
				{"missing header", nil, w.body, ""},
				{"wrong secret", w.auth("not-the-secret", w.body), w.body, ""},
				{"truncated", map[string]string{name: value[:len(value)-8]}, w.body, ""},
				{"empty", map[string]string{name: ""}, w.body, ""},
				{"an admin bearer token instead", nil, w.body, admin},
			}
			if w.tamper != nil {
				other := w.tamper(w.body)
				if other == w.body {
					t.Fatal("tamper left the payload as it was")
				}
				forgeries = append(forgeries,
					struct {
						name    string
						headers map[string]string
						body    string
						bearer  string
					}{"signature of a different body", w.auth(w.secret, w.body), other, ""},
					struct {
						name    string
						headers map[string]string
						body    string
						bearer  string
					}{"signature with a changed scheme", map[string]string{name: strings.Replace(value, "=", "1=", 1)}, w.body, ""},
				)
			}
			for _, f := range forgeries {
				code, body := h.post(t, w.path, f.bearer, merged(w.headers, f.headers), f.body)
				if code != 401 {
					t.Errorf("%s: %d %s, want 401", f.name, code, body)
				}
				if n := h.Count(t, "SELECT count() FROM raw_events WHERE source = ?", w.source); n != 0 {
					t.Fatalf("%s: %d raw copies stored after a refused delivery", f.name, n)
				}
			}
			for i, want := range []ingest.Result{{Accepted: 1, Events: 1}, {Duplicates: 1}} {
				code, body := h.post(t, w.path, "", merged(w.headers, good), w.body)
				var got ingest.Result
				_ = json.Unmarshal([]byte(body), &got)
				if code != 200 || got != want {
					t.Fatalf("delivery %d: %d %s, want 200 %+v", i+1, code, body, want)
				}
			}
			if n := h.Count(t, "SELECT count() FROM raw_events WHERE source = ?", w.source); n != 1 {
				t.Fatalf("%d raw copies after a delivery and its replay, want 1", n)
			}
		})
	}
	for _, table := range []string{"deployments", "incidents"} {
		if n := h.Count(t, "SELECT count() FROM "+table+" FINAL"); n != 2 {
			t.Errorf("%s holds %d rows, want the 2 genuine deliveries' entities", table, n)
		}
	}
}

// The signature covers the body, not GitHub's X-GitHub-Delivery header: a
// captured delivery replayed under a new id is acknowledged and its raw
// copy kept again, but the entities it names are keyed by their own ids and
// stay one row each. SECURITY.md lists this.
func TestGitHubReplayUnderANewDeliveryIDStoresNoNewEntity(t *testing.T) {
	h := startWith(t, secrets)
	w := webhooks(t)[0]
	for i, id := range []string{"delivery-1", "delivery-2-replayed"} {
		hdr := merged(w.headers, w.auth(w.secret, w.body), map[string]string{"X-GitHub-Delivery": id})
		if code, body := h.post(t, w.path, "", hdr, w.body); code != 200 {
			t.Fatalf("delivery %d: %d %s", i+1, code, body)
		}
	}
	if n := h.Count(t, "SELECT count() FROM raw_events WHERE source = 'github'"); n != 2 {
		t.Errorf("%d raw copies, want 2 (one per delivery id)", n)
	}
	if n := h.Count(t, "SELECT count() FROM deployments_current"); n != 1 {
		t.Errorf("%d deployments, want 1: a replay must not add an entity", n)
	}
}

// nested is a JSON object holding an array nested depth deep.
func nested(depth int) string {
	return `{"id":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}

// Deeply nested JSON is refused with a 400 naming the problem by every
// receiver, authenticated so that the decoder is what refuses it, and
// nothing is stored; the server survives it.
func TestDeeplyNestedJSONIsRefused(t *testing.T) {
	h := startWith(t, secrets)
	body := nested(100000)
	cases := []struct {
		name, path, token string
		headers           map[string]string
	}{
		{"native events", "/api/v1/events", h.ingestToken, nil},
		{"CDEvents, structured", "/api/v1/cdevents", h.ingestToken, map[string]string{"Content-Type": "application/cloudevents+json"}},
		{"CDEvents, batch", "/api/v1/cdevents", h.ingestToken, map[string]string{"Content-Type": "application/cloudevents-batch+json"}},
	}
	for _, w := range webhooks(t) {
		cases = append(cases, struct {
			name, path, token string
			headers           map[string]string
		}{w.source + " webhook", w.path, "", merged(w.headers, w.auth(w.secret, body))})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := h.post(t, tc.path, tc.token, tc.headers, body)
			if code != 400 {
				t.Fatalf("%d %s, want 400", code, resp)
			}
			if !strings.Contains(resp, "depth") && !strings.Contains(resp, "nest") {
				t.Errorf("the answer does not name the nesting: %s", resp)
			}
		})
	}
	if n := h.Count(t, "SELECT count() FROM raw_events"); n != 0 {
		t.Errorf("%d raw copies stored from nested bodies", n)
	}
	if code, resp := h.post(t, "/api/v1/events", h.ingestToken, nil, deployment); code != 200 {
		t.Fatalf("the receivers do not work after the nested bodies: %d %s", code, resp)
	}
}

// An ingest token scoped to teams writes only their events: an event of
// another team, or of no team the catalog can name, refuses the whole
// request with 403 naming the event's team field, before the duplicate
// lookup. A token for every team, and webhooks, write any team.
func TestScopedIngestTokenWritesOnlyItsTeams(t *testing.T) {
	catalog := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(catalog, []byte("services:\n  checkout: payments\n  search-api: search\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := secrets
	cfg.CatalogFile = catalog
	h := startWith(t, cfg)
	scoped, _, err := h.tokens.Create(context.Background(), "ci-payments", auth.RoleIngest, []string{"payments"})
	if err != nil {
		t.Fatal(err)
	}
	dep := func(id, extra string) string {
		return `{"id":"` + id + `","type":"deployment","deployment_id":"` + id + `","finished_at":"2026-03-02T11:05:00Z","status":"success"` + extra + `}`
	}
	for _, tc := range []struct {
		name, token, body string
		want              int
		field             string
	}{
		{"own team from the catalog", scoped, dep("d-1", `,"service":"checkout"`), 200, ""},
		{"own team named", scoped, dep("d-2", `,"service":"new-svc","team":"payments"`), 200, ""},
		{"other team named", scoped, dep("d-3", `,"service":"checkout","team":"search"`), 403, "team"},
		{"other team from the catalog", scoped, dep("d-4", `,"service":"search-api"`), 403, "team"},
		{"no team known", scoped, dep("d-5", `,"service":"unknown-svc"`), 403, "team"},
		{"one bad of two", scoped, "[" + dep("d-6", `,"service":"checkout"`) + "," + dep("d-7", `,"service":"search-api"`) + "]", 403, "[1].team"},
		{"another team's delivery sent again", scoped, `{"id":"d-8","type":"deployment","deployment_id":"d-8","service":"search-api","finished_at":"2026-03-02T11:05:00Z","status":"success"}`, 403, "team"},
		{"token for every team", h.ingestToken, dep("d-9", `,"service":"search-api"`), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "another team's delivery sent again" {
				if code, body := h.post(t, "/api/v1/events", h.ingestToken, nil, tc.body); code != 200 {
					t.Fatalf("first delivery by the all-teams token: %d %s", code, body)
				}
			}
			code, body := h.post(t, "/api/v1/events", tc.token, nil, tc.body)
			if code != tc.want {
				t.Fatalf("%d %s, want %d", code, body, tc.want)
			}
			if tc.field != "" && !strings.Contains(body, `"field":"`+tc.field+`"`) {
				t.Errorf("the 403 does not name %s: %s", tc.field, body)
			}
		})
	}
	var ids []string
	for _, r := range h.Query(t, "SELECT deployment_id FROM deployments_current ORDER BY deployment_id") {
		ids = append(ids, r["deployment_id"].(string))
	}
	if got := strings.Join(ids, ","); got != "d-1,d-2,d-8,d-9" {
		t.Errorf("stored deployments %s, want d-1,d-2,d-8,d-9", got)
	}
}
