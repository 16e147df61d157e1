package receivers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/ingesttest"
	"github.com/deploylens/deploylens/ingest/receivers"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type harness struct {
	*ingesttest.Env
	url          string
	ingestToken  string
	readToken    string
	in           *receivers.Ingest
	githubSecret string
	tokens       *auth.Tokens
}

// start runs a real server (server.New + receivers.Register) over a fresh
// database on the embedded engine.
func start(t *testing.T, catalogFile string) *harness {
	t.Helper()
	return startWith(t, receivers.Config{GitHubSecret: "gh-secret", GitLabToken: "gl-token", CatalogFile: catalogFile})
}

// startWith is start with the receivers configured by cfg.
func startWith(t *testing.T, cfg receivers.Config) *harness {
	t.Helper()
	conn := storetest.Open(t)
	ingesttest.Migrate(t, conn)
	tokens := auth.NewTokens(conn, 0)
	srv := server.New(server.Options{Authenticator: tokens, Logger: quiet})
	cfg.CatalogTTL, cfg.Log = time.Minute, quiet
	cfg.Commit.MaxDelay = 5 * time.Millisecond
	in, err := receivers.Register(context.Background(), srv, conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Engine)
	t.Cleanup(func() { hs.Close(); in.Close() })
	ctx := context.Background()
	ingestTok, _, err := tokens.Create(ctx, "ci", auth.RoleIngest, nil)
	if err != nil {
		t.Fatal(err)
	}
	readTok, _, err := tokens.Create(ctx, "grafana", auth.RoleRead, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Env: &ingesttest.Env{Conn: conn, Writer: in.Writer, Committer: in.Committer, Catalog: in.Catalog},
		url: hs.URL, ingestToken: ingestTok, readToken: readTok, in: in, githubSecret: cfg.GitHubSecret, tokens: tokens}
}

func (h *harness) post(t *testing.T, path, token string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const deployment = `{"id":"e2e-1","type":"deployment","service":"checkout","deployment_id":"d-100","finished_at":"2026-03-02T11:05:00Z","status":"success","change_ids":["acme/shop#42"]}`

func TestEndToEndNativeEvents(t *testing.T) {
	h := start(t, "")
	if code, body := h.post(t, "/api/v1/events", "", nil, deployment); code != 401 {
		t.Errorf("without a token: %d %s", code, body)
	}
	if code, body := h.post(t, "/api/v1/events", h.readToken, nil, deployment); code != 403 {
		t.Errorf("with a read token: %d %s", code, body)
	}
	code, body := h.post(t, "/api/v1/events", h.ingestToken, nil, deployment)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var res ingest.Result
	_ = json.Unmarshal([]byte(body), &res)
	if res.Accepted != 1 || res.Events != 1 {
		t.Errorf("result %s", body)
	}
	// Acknowledged means stored: readable at once.
	d := h.One(t, "SELECT * FROM deployments_current WHERE deployment_id = 'd-100'")
	ingesttest.Subset(t, "deployment", d, map[string]any{"service": "checkout", "status": "success", "finished_at": "2026-03-02T11:05:00Z"})
	raw := h.One(t, "SELECT headers FROM raw_events WHERE delivery_id = 'e2e-1'")
	if hdr := raw["headers"].(map[string]string); hdr["authorization"] != ingest.Redacted {
		t.Errorf("raw headers not redacted: %v", hdr)
	}
	if code, body := h.post(t, "/api/v1/events", h.ingestToken, nil, deployment); code != 200 || !strings.Contains(body, `"duplicates":1`) {
		t.Errorf("re-delivery: %d %s", code, body)
	}
}

func TestEndToEndBadInputIsNotStored(t *testing.T) {
	h := start(t, "")
	tests := []struct {
		name, path, body string
		headers          map[string]string
		status           int
		field            string
	}{
		{"malformed JSON", "/api/v1/events", `{"id":`, nil, 400, "[0]"},
		{"missing field", "/api/v1/events", `{"id":"x","type":"deployment","service":"s","deployment_id":"d","status":"success"}`, nil, 400, "finished_at"},
		{"one bad of two", "/api/v1/events", "[" + deployment + `,{"id":"y","type":"incident","incident_id":"i"}]`, nil, 400, "[1].service"},
		{"bad enum", "/api/v1/events", `{"id":"x","type":"deployment","service":"s","deployment_id":"d","finished_at":"2026-03-02T11:05:00Z","status":"done"}`, nil, 400, "status"},
		{"bad CloudEvent", "/api/v1/cdevents", `{"specversion":"1.0"}`, map[string]string{"Content-Type": "application/cloudevents+json"}, 400, "body"},
		{"unsigned GitHub", "/webhooks/github", `{}`, map[string]string{"X-GitHub-Event": "push"}, 401, ""},
		{"wrong GitLab token", "/webhooks/gitlab", `{}`, map[string]string{"X-Gitlab-Token": "nope"}, 401, ""},
		{"unconfigured PagerDuty", "/webhooks/pagerduty", `{}`, map[string]string{"X-PagerDuty-Signature": "v1=00"}, 503, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := h.post(t, tt.path, h.ingestToken, tt.headers, tt.body)
			if code != tt.status {
				t.Fatalf("%d %s, want %d", code, body, tt.status)
			}
			var e server.ErrorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
				t.Fatalf("not the error envelope: %s", body)
			}
			if tt.field != "" && (len(e.Details) == 0 || e.Details[0].Field != tt.field) {
				t.Errorf("details %v do not name %q", e.Details, tt.field)
			}
		})
	}
	for _, table := range []string{"raw_events", "deployments", "incidents"} {
		if n := h.Count(t, "SELECT count() FROM "+table); n != 0 {
			t.Errorf("%s holds %d rows after refused requests", table, n)
		}
	}
	big := `{"id":"x","type":"change","change_id":"c","title":"` + strings.Repeat("a", ingest.DefaultMaxBody) + `"}`
	if code, _ := h.post(t, "/api/v1/events", h.ingestToken, nil, big); code != 413 {
		t.Errorf("oversize body: %d", code)
	}
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestEndToEndGitHubWithCatalogAndReplay(t *testing.T) {
	catalog := t.TempDir() + "/catalog.yaml"
	if err := os.WriteFile(catalog, []byte("services:\n  Hello-World: octo-team\n  search:\n    team: discovery\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := start(t, catalog)
	body, err := os.ReadFile("../github/testdata/deployment_status.created.json")
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "a1b2", "X-Hub-Signature-256": sign(h.githubSecret, string(body))}
	for i := 0; i < 2; i++ {
		if code, resp := h.post(t, "/webhooks/github", "", hdr, string(body)); code != 200 {
			t.Fatalf("delivery %d: %d %s", i, code, resp)
		}
	}
	want := map[string]any{"team": "octo-team", "service": "Hello-World", "environment": "production", "status": "success",
		"commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "finished_at": "2019-05-15T15:20:55Z", "events": uint64(1)}
	ingesttest.Subset(t, "deployment", h.One(t, "SELECT * FROM deployments_current"), want)
	raw := h.One(t, "SELECT source, event_type, delivery_id, team, headers, outcome FROM raw_events")
	ingesttest.Subset(t, "raw", raw, map[string]any{"source": "github", "event_type": "deployment_status", "delivery_id": "a1b2", "team": "octo-team", "outcome": "stored"})
	if sig := raw["headers"].(map[string]string)["x-hub-signature-256"]; sig != ingest.Redacted {
		t.Errorf("signature kept in the raw copy: %q", sig)
	}

	// Replay rebuilds the entity rows from the raw copy.
	if err := h.Conn.Exec(context.Background(), "TRUNCATE TABLE deployments"); err != nil {
		t.Fatal(err)
	}
	r := &ingest.Replayer{Conn: h.Conn, Writer: h.Writer, Translators: receivers.Translators()}
	st, err := r.Replay(context.Background(), ingest.ReplayFilter{Source: "github"})
	if err != nil || st.Deliveries != 1 || st.Events != 1 {
		t.Fatalf("replay: %+v %v", st, err)
	}
	ingesttest.Subset(t, "replayed deployment", h.One(t, "SELECT * FROM deployments_current"), want)

	// Metrics count accepted and duplicate deliveries per source.
	res, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	m, _ := io.ReadAll(res.Body)
	for _, line := range []string{`deploylens_ingest_events_total{outcome="accepted",source="github"} 1`, `deploylens_ingest_events_total{outcome="duplicate",source="github"} 1`} {
		if !strings.Contains(string(m), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
