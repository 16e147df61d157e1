// Package opsgenie receives Opsgenie alert webhooks (the Webhook
// integration) on POST /webhooks/opsgenie and translates created and closed
// alerts into incidents.
package opsgenie

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "opsgenie"

// TokenFlag is the setting that holds the token Opsgenie sends.
const TokenFlag = "opsgenie-webhook-token"

// TokenHeader is the custom header to add in the Opsgenie webhook
// integration, with the token as its value.
const TokenHeader = "X-Opsgenie-Token"

// Receiver checks and stores Opsgenie webhook deliveries.
type Receiver struct {
	Writer  *ingest.Writer
	Token   []byte
	MaxBody int64
}

// Register mounts POST /webhooks/opsgenie.
func (r *Receiver) Register(e gin.IRoutes) {
	e.POST("/webhooks/opsgenie", r.Writer.Handle(Source, r.MaxBody, r.decode))
}

func (r *Receiver) decode(c *gin.Context, body []byte) ([]ingest.Item, error) {
	if err := Verify(r.Token, c.GetHeader(TokenHeader)); err != nil {
		return nil, err
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, ingest.BadRequest("the Opsgenie payload is not JSON: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	raw := ingest.Raw{EventType: p.Action, DeliveryID: p.deliveryID(body), Headers: ingest.RedactHeaders(c.Request.Header), Body: body}
	if r.Writer.Now != nil {
		raw.ReceivedAt = r.Writer.Now().UTC()
	}
	events, outcome, err := Translate(&raw)
	if err != nil {
		return nil, err
	}
	raw.Outcome = outcome
	return []ingest.Item{{Raw: raw, Events: events}}, nil
}

// Verify compares the token header in constant time.
func Verify(token []byte, got string) error {
	return sharedToken.Verify(token, got)
}

var sharedToken = ingest.SharedToken{Source: "Opsgenie", Flag: TokenFlag, Header: TokenHeader,
	HowToSend: "add it as a custom header of the Opsgenie webhook integration, with the value of"}

type payload struct {
	Action string `json:"action"`
	Alert  struct {
		AlertID   string            `json:"alertId"`
		Message   string            `json:"message"`
		Tags      []string          `json:"tags"`
		Entity    string            `json:"entity"`
		CreatedAt int64             `json:"createdAt"`
		UpdatedAt int64             `json:"updatedAt"`
		Priority  string            `json:"priority"`
		Team      string            `json:"team"`
		Details   map[string]string `json:"details"`
	} `json:"alert"`
}

// deliveryID: Opsgenie sends no delivery id; an alert's action at one
// update time is one delivery, and retries repeat it.
func (p *payload) deliveryID(body []byte) string {
	if p.Alert.AlertID != "" {
		return fmt.Sprintf("%s:%s:%d", p.Alert.AlertID, p.Action, p.Alert.UpdatedAt)
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// epoch reads Opsgenie's times, which come in ms (createdAt) or ns (updatedAt).
func epoch(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v > 1e17:
		return time.Unix(0, v).UTC()
	case v > 1e14:
		return time.UnixMicro(v).UTC()
	case v > 1e11:
		return time.UnixMilli(v).UTC()
	}
	return time.Unix(v, 0).UTC()
}

// service is the alert's service: details.service, a "service:<name>" tag,
// or the entity.
func (p *payload) service() string {
	if s := p.Alert.Details["service"]; s != "" {
		return s
	}
	for _, t := range p.Alert.Tags {
		if s, ok := strings.CutPrefix(t, "service:"); ok && s != "" {
			return s
		}
	}
	return p.Alert.Entity
}

// Translate turns Create into an opened incident and Close into a resolved
// one; other actions (acknowledge, notes, ...) are kept raw and ignored.
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	var p payload
	if err := json.Unmarshal(raw.Body, &p); err != nil {
		return nil, "", ingest.BadRequest("the Opsgenie payload cannot be read: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	if p.Action != "Create" && p.Action != "Close" {
		return nil, ingest.OutcomeIgnored, nil
	}
	if p.Alert.AlertID == "" {
		return nil, "", ingest.BadRequest("the Opsgenie alert has no alertId", server.Detail{Field: "alert.alertId", Message: "is required"})
	}
	svc := p.service()
	if svc == "" {
		return nil, "", ingest.BadRequest("the Opsgenie alert names no service",
			server.Detail{Field: "alert.details.service", Message: `set the alert's details.service, a "service:<name>" tag or its entity`})
	}
	in := &delivery.Incident{ID: "opsgenie:" + p.Alert.AlertID, Title: p.Alert.Message, Severity: p.Alert.Priority, OpenedAt: epoch(p.Alert.CreatedAt)}
	at := delivery.Latest(epoch(p.Alert.UpdatedAt), in.OpenedAt)
	if p.Action == "Close" {
		in.ResolvedAt = at
		if in.ResolvedAt.IsZero() {
			in.ResolvedAt = raw.ReceivedAt
		}
	}
	if at.IsZero() {
		at = raw.ReceivedAt
	}
	ev := delivery.Event{ID: raw.DeliveryID, Source: Source, ObservedAt: at, Service: svc, Environment: delivery.DefaultEnvironment,
		Incident: in, Attributes: map[string]string{"action": p.Action}}
	if ev.ID == "" {
		ev.ID = p.deliveryID(raw.Body)
	}
	if p.Alert.Team != "" {
		ev.Attributes["opsgenie_team"] = p.Alert.Team
	}
	return []delivery.Event{ev}, ingest.OutcomeStored, nil
}
