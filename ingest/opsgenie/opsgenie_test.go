package opsgenie

import (
	"context"
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

func TestTranslate(t *testing.T) {
	opened := time.UnixMilli(1517922600139).UTC()
	tests := []struct {
		file string
		want delivery.Event
	}{
		{"create.json", delivery.Event{ID: "d", Source: Source, ObservedAt: opened, Service: "checkout", Environment: "production",
			Attributes: map[string]string{"action": "Create", "opsgenie_team": "payments-oncall"},
			Incident:   &delivery.Incident{ID: "opsgenie:8418d193-2dab-4490-b331-8c02cdd196b7-1517922600139", Severity: "P2", Title: "checkout: error rate above 5%", OpenedAt: opened}}},
		{"close.json", delivery.Event{ID: "d", Source: Source, ObservedAt: time.Unix(1517926200, 0).UTC(), Service: "checkout", Environment: "production",
			Attributes: map[string]string{"action": "Close", "opsgenie_team": "payments-oncall"},
			Incident: &delivery.Incident{ID: "opsgenie:8418d193-2dab-4490-b331-8c02cdd196b7-1517922600139", Severity: "P2", Title: "checkout: error rate above 5%",
				OpenedAt: opened, ResolvedAt: time.Unix(1517926200, 0).UTC()}}},
	}
	for _, tt := range tests {
		body, _ := os.ReadFile("testdata/" + tt.file)
		evs, outcome, err := Translate(&ingest.Raw{DeliveryID: "d", Body: body})
		if err != nil || outcome != ingest.OutcomeStored || len(evs) != 1 {
			t.Fatalf("%s: %v %v %v", tt.file, evs, outcome, err)
		}
		if !reflect.DeepEqual(evs[0], tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, evs[0], tt.want)
		}
	}
}

type nop struct{ n int }

func (c *nop) Commit(_ context.Context, rows ...commit.Rows) error {
	for _, r := range rows {
		c.n += r.Len()
	}
	return nil
}

func TestToken(t *testing.T) {
	body, _ := os.ReadFile("testdata/create.json")
	for _, tt := range []struct {
		name, token, sent string
		status            int
	}{{"good", "tk", "tk", 200}, {"bad", "tk", "nope", 401}, {"missing", "tk", "", 401}, {"not configured", "", "tk", 503}} {
		t.Run(tt.name, func(t *testing.T) {
			c := &nop{}
			e := gin.New()
			(&Receiver{Writer: &ingest.Writer{Committer: c}, Token: []byte(tt.token)}).Register(e)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/opsgenie", strings.NewReader(string(body)))
			if tt.sent != "" {
				req.Header.Set(TokenHeader, tt.sent)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != tt.status || (c.n > 0) != (tt.status == 200) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}
