package github

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
)

type recorder struct {
	mu   sync.Mutex
	rows int
}

func (r *recorder) Commit(_ context.Context, rows ...commit.Rows) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range rows {
		r.rows += x.Len()
	}
	return nil
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignature(t *testing.T) {
	body := load(t, "deployment.created.json")
	tests := []struct {
		name      string
		secret    string
		signature string
		status    int
		errorHas  string
	}{
		{"good", "s3cret", sign("s3cret", body), 200, ""},
		{"signed with another secret", "s3cret", sign("other", body), 401, "does not match"},
		{"missing", "s3cret", "", 401, "missing X-Hub-Signature-256"},
		{"sha1 only", "s3cret", "sha1=abc", 401, "sha256="},
		{"garbage", "s3cret", "sha256=zz", 401, "does not match"},
		{"secret not configured", "", sign("s3cret", body), 503, "DEPLOYLENS_GITHUB_WEBHOOK_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			(&Receiver{Writer: &ingest.Writer{Committer: rec}, Secret: []byte(tt.secret)}).Register(e)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/github", strings.NewReader(string(body)))
			req.Header.Set("X-GitHub-Event", "deployment")
			req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			req.Header.Set("Content-Type", "application/json")
			if tt.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.errorHas) {
				t.Fatalf("%d %s, want %d containing %q", w.Code, w.Body, tt.status, tt.errorHas)
			}
			if stored := rec.rows > 0; stored != (tt.status == 200) {
				t.Errorf("stored %d rows with status %d", rec.rows, w.Code)
			}
		})
	}
}

func TestOversizeBodyIs413(t *testing.T) {
	rec := &recorder{}
	e := gin.New()
	(&Receiver{Writer: &ingest.Writer{Committer: rec}, Secret: []byte("s"), MaxBody: 100}).Register(e)
	body := load(t, "push.json")
	req := httptest.NewRequest(http.MethodPost, "/webhooks/github", strings.NewReader(string(body)))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sign("s", body))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || rec.rows != 0 {
		t.Fatalf("%d %s (%d rows)", w.Code, w.Body, rec.rows)
	}
}

func TestFormEncodedPayload(t *testing.T) {
	body := "payload=" + strings.ReplaceAll(string(load(t, "ping.json")), "\n", "")
	raw := &ingest.Raw{EventType: "ping", Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: []byte(body)}
	if string(payload(raw))[0] != '{' {
		t.Errorf("payload not extracted from the form")
	}
}
