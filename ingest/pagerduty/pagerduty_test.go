package pagerduty

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
)

func ts(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t.UTC() }

func TestTranslate(t *testing.T) {
	tests := []struct {
		file string
		want delivery.Event
	}{
		{"incident.triggered.json", delivery.Event{ID: "5ac64822-4adc-4fda-ade0-410becf0de4f", Source: Source, ObservedAt: ts("2020-10-02T18:45:22.169Z"),
			Service: "API Service", Environment: "production",
			Attributes: map[string]string{"event_type": "incident.triggered", "status": "triggered", "url": "https://acme.pagerduty.com/incidents/PGR0VU2", "pagerduty_team": "Engineering"},
			Incident:   &delivery.Incident{ID: "pagerduty:PGR0VU2", Severity: "P1", Title: "A little bump in the road", OpenedAt: ts("2020-04-09T15:16:27Z")}}},
		{"incident.resolved.json", delivery.Event{ID: "6bd3e7c1-0d1e-4b5a-9c7e-3f2a1b0c9d8e", Source: Source, ObservedAt: ts("2020-10-02T19:30:00Z"),
			Service: "API Service", Environment: "production",
			Attributes: map[string]string{"event_type": "incident.resolved", "status": "resolved", "url": "https://acme.pagerduty.com/incidents/PGR0VU2", "pagerduty_team": "Engineering"},
			Incident: &delivery.Incident{ID: "pagerduty:PGR0VU2", Severity: "P1", Title: "A little bump in the road", OpenedAt: ts("2020-04-09T15:16:27Z"),
				ResolvedAt: ts("2020-10-02T19:30:00Z")}}},
	}
	for _, tt := range tests {
		body, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		evs, outcome, err := Translate(&ingest.Raw{Body: body})
		if err != nil || outcome != ingest.OutcomeStored || len(evs) != 1 {
			t.Fatalf("%s: %v %v %v", tt.file, evs, outcome, err)
		}
		if !reflect.DeepEqual(evs[0], tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, evs[0], tt.want)
		}
	}
	if evs, outcome, _ := Translate(&ingest.Raw{Body: []byte(`{"event":{"id":"x","event_type":"service.updated","resource_type":"service"}}`)}); len(evs) != 0 || outcome != ingest.OutcomeIgnored {
		t.Errorf("service event: %v %v", evs, outcome)
	}
}

type nop struct{ n int }

func (c *nop) Commit(_ context.Context, rows ...commit.Rows) error {
	for _, r := range rows {
		c.n += r.Len()
	}
	return nil
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignature(t *testing.T) {
	body, _ := os.ReadFile("testdata/incident.triggered.json")
	tests := []struct {
		name, secret, header string
		status               int
	}{
		{"good", "k", sign("k", body), 200},
		{"one of two during rotation", "k", sign("old", body) + ", " + sign("k", body), 200},
		{"bad", "k", sign("other", body), 401},
		{"not hex", "k", "v1=zz", 401},
		{"missing", "k", "", 401},
		{"not configured", "", sign("k", body), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &nop{}
			e := gin.New()
			(&Receiver{Writer: &ingest.Writer{Committer: c}, Secret: []byte(tt.secret)}).Register(e)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/pagerduty", strings.NewReader(string(body)))
			if tt.header != "" {
				req.Header.Set("X-PagerDuty-Signature", tt.header)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != tt.status || (c.n > 0) != (tt.status == 200) {
				t.Fatalf("%d %s (%d rows), want %d", w.Code, w.Body, c.n, tt.status)
			}
			if tt.status == 503 && !strings.Contains(w.Body.String(), "DEPLOYLENS_PAGERDUTY_WEBHOOK_SECRET") {
				t.Errorf("does not name the setting: %s", w.Body)
			}
		})
	}
}
