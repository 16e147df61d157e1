// Package pagerduty receives PagerDuty V3 webhooks on POST /webhooks/pagerduty
// and translates incident events into incidents.
package pagerduty

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "pagerduty"

// SecretFlag is the setting that holds the webhook subscription's secret.
const SecretFlag = "pagerduty-webhook-secret"

// Receiver checks and stores PagerDuty webhook deliveries.
type Receiver struct {
	Writer  *ingest.Writer
	Secret  []byte
	MaxBody int64
}

// Register mounts POST /webhooks/pagerduty.
func (r *Receiver) Register(e gin.IRoutes) {
	e.POST("/webhooks/pagerduty", r.Writer.Handle(Source, r.MaxBody, r.decode))
}

func (r *Receiver) decode(c *gin.Context, body []byte) ([]ingest.Item, error) {
	if err := Verify(r.Secret, c.GetHeader("X-PagerDuty-Signature"), body); err != nil {
		return nil, err
	}
	raw := ingest.Raw{Headers: ingest.RedactHeaders(c.Request.Header), Body: body}
	if r.Writer.Now != nil {
		raw.ReceivedAt = r.Writer.Now().UTC()
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, ingest.BadRequest("the PagerDuty payload is not JSON: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	raw.EventType, raw.DeliveryID = p.Event.EventType, p.Event.ID
	events, outcome, err := Translate(&raw)
	if err != nil {
		return nil, err
	}
	raw.Outcome = outcome
	return []ingest.Item{{Raw: raw, Events: events}}, nil
}

// Verify checks X-PagerDuty-Signature: one or more "v1=<hex HMAC-SHA256 of
// the body>" (several while a secret is rotated), any of which may match.
func Verify(secret []byte, header string, body []byte) error {
	if len(secret) == 0 {
		return ingest.NotConfigured("PagerDuty", SecretFlag)
	}
	if header == "" {
		return ingest.Unauthorized("missing X-PagerDuty-Signature: give deploylens the webhook subscription's signing secret as DEPLOYLENS_PAGERDUTY_WEBHOOK_SECRET")
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	want := m.Sum(nil)
	for _, sig := range strings.Split(header, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(sig), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(hexSig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ingest.Unauthorized("X-PagerDuty-Signature does not match the body: check DEPLOYLENS_PAGERDUTY_WEBHOOK_SECRET")
}

type ref struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

type payload struct {
	Event struct {
		ID           string    `json:"id"`
		EventType    string    `json:"event_type"`
		ResourceType string    `json:"resource_type"`
		OccurredAt   time.Time `json:"occurred_at"`
		Data         struct {
			ID        string    `json:"id"`
			Number    int       `json:"number"`
			Status    string    `json:"status"`
			Title     string    `json:"title"`
			CreatedAt time.Time `json:"created_at"`
			HTMLURL   string    `json:"html_url"`
			Service   *ref      `json:"service"`
			Priority  *ref      `json:"priority"`
			Urgency   string    `json:"urgency"`
			Teams     []ref     `json:"teams"`
		} `json:"data"`
	} `json:"event"`
}

// IncidentID names a PagerDuty incident.
func IncidentID(id string) string { return "pagerduty:" + id }

// Translate turns one delivery into an incident event: triggered opens it,
// resolved resolves it; every incident event refreshes title and severity.
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	var p payload
	if err := json.Unmarshal(raw.Body, &p); err != nil {
		return nil, "", ingest.BadRequest("the PagerDuty payload cannot be read: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	e, d := p.Event, p.Event.Data
	if e.ResourceType != "incident" || !strings.HasPrefix(e.EventType, "incident.") {
		return nil, ingest.OutcomeIgnored, nil
	}
	if e.ID == "" || d.ID == "" || d.Service == nil || d.Service.Summary == "" {
		return nil, "", ingest.BadRequest("the PagerDuty incident event lacks its id or service",
			server.Detail{Field: "event.data.service.summary", Message: "is required"})
	}
	in := &delivery.Incident{ID: IncidentID(d.ID), Title: d.Title, OpenedAt: d.CreatedAt.UTC(), Severity: d.Urgency}
	if d.Priority != nil && d.Priority.Summary != "" {
		in.Severity = d.Priority.Summary
	}
	if e.EventType == "incident.resolved" {
		in.ResolvedAt = e.OccurredAt.UTC()
	}
	at := e.OccurredAt.UTC()
	if at.IsZero() {
		at = raw.ReceivedAt
	}
	ev := delivery.Event{ID: e.ID, Source: Source, ObservedAt: at, Service: d.Service.Summary, Environment: delivery.DefaultEnvironment,
		Incident: in, Attributes: map[string]string{"event_type": e.EventType, "status": d.Status, "url": d.HTMLURL}}
	if len(d.Teams) > 0 {
		ev.Attributes["pagerduty_team"] = d.Teams[0].Summary
	}
	return []delivery.Event{ev}, ingest.OutcomeStored, nil
}
