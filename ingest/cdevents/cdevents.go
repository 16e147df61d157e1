// Package cdevents receives CDEvents (0.3, 0.4 and the 0.5/0.6 drafts) as
// CloudEvents on POST /api/v1/cdevents, in binary, structured or batch
// mode, and translates changes, pipeline and task runs, builds, test runs,
// service deployments and incidents into delivery entities. Event types it
// does not translate are kept raw and acknowledged.
package cdevents

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	ce "github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "cdevents"

// Receiver stores CDEvents.
type Receiver struct {
	Writer  *ingest.Writer
	MaxBody int64
}

// Register mounts POST /cdevents on an authenticated (ingest role) group.
func (r *Receiver) Register(g gin.IRoutes) {
	g.POST("/cdevents", r.Writer.Handle(Source, r.MaxBody, func(c *gin.Context, body []byte) ([]ingest.Item, error) {
		return Decode(c.Request, body, r.Writer)
	}))
}

// Decode reads the CloudEvents of a request — binary mode (ce-* headers),
// structured (application/cloudevents+json), batch
// (application/cloudevents-batch+json), or a bare CDEvent posted as JSON —
// and translates each. Each raw copy is the event in structured mode.
func Decode(r *http.Request, body []byte, w *ingest.Writer) ([]ingest.Item, error) {
	events, err := cloudEvents(r, body)
	if err != nil {
		return nil, err
	}
	headers := ingest.RedactHeaders(r.Header)
	for k := range headers {
		if strings.HasPrefix(k, "ce-") { // now part of the structured copy
			delete(headers, k)
		}
	}
	items := make([]ingest.Item, 0, len(events))
	var bad *ingest.RequestError
	for i := range events {
		structured, err := json.Marshal(&events[i])
		if err != nil {
			return nil, ingest.BadRequest("a CloudEvent cannot be encoded: " + err.Error())
		}
		raw := ingest.Raw{EventType: events[i].Type(), DeliveryID: deliveryID(&events[i]), Headers: headers, Body: structured}
		if w != nil && w.Now != nil {
			raw.ReceivedAt = w.Now().UTC()
		}
		evs, outcome, err := translate(&events[i], raw.DeliveryID, raw.ReceivedAt)
		if err != nil {
			if bad == nil {
				bad = ingest.BadRequest("a CDEvent is not valid; nothing was stored")
			}
			if re, ok := err.(*ingest.RequestError); ok {
				for _, d := range re.Details {
					if len(events) > 1 {
						d.Field = "[" + strconv.Itoa(i) + "]." + d.Field
					}
					bad.Details = append(bad.Details, d)
				}
			}
			continue
		}
		raw.Outcome = outcome
		items = append(items, ingest.Item{Raw: raw, Events: evs})
	}
	if bad != nil {
		bad.Events = len(events)
		return nil, bad
	}
	return items, nil
}

// deliveryID keys a CloudEvent: CloudEvents make source + id unique.
func deliveryID(e *ce.Event) string { return e.Source() + " " + e.ID() }

func cloudEvents(r *http.Request, body []byte) ([]ce.Event, error) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	ct := r.Header.Get("Content-Type")
	switch {
	case cehttp.IsHTTPBatch(r.Header):
		evs, err := cehttp.NewEventsFromHTTPRequest(req)
		if err != nil {
			return nil, invalid(err)
		}
		if len(evs) == 0 {
			return nil, ingest.BadRequest("the batch holds no CloudEvents", server.Detail{Field: "body", Message: "send at least one event"})
		}
		return evs, validate(evs)
	case r.Header.Get("ce-specversion") == "" && !strings.HasPrefix(ct, ce.ApplicationCloudEventsJSON):
		// A bare CDEvent (context + subject) without a CloudEvents envelope.
		e, err := fromCDEvent(body)
		if err != nil {
			return nil, err
		}
		return []ce.Event{*e}, nil
	default:
		e, err := cehttp.NewEventFromHTTPRequest(req)
		if err != nil {
			return nil, invalid(err)
		}
		return []ce.Event{*e}, validate([]ce.Event{*e})
	}
}

func validate(evs []ce.Event) error {
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			return invalid(err)
		}
	}
	return nil
}

func invalid(err error) error {
	return ingest.BadRequest("the request is not a valid CloudEvent: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
}

// fromCDEvent wraps a bare CDEvent in the CloudEvent its context describes.
func fromCDEvent(body []byte) (*ce.Event, error) {
	var doc cdevent
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, ingest.BadRequest("the body is neither a CloudEvent nor a CDEvent: "+err.Error(),
			server.Detail{Field: "body", Message: "send ce-* headers (binary mode), application/cloudevents+json or a CDEvent"})
	}
	var errs []server.Detail
	for f, v := range map[string]string{"context.id": doc.Context.ID, "context.source": doc.Context.Source, "context.type": doc.Context.Type} {
		if v == "" {
			errs = append(errs, server.Detail{Field: f, Message: "is required"})
		}
	}
	if len(errs) > 0 {
		return nil, ingest.BadRequest("the CDEvent lacks required context fields", errs...)
	}
	e := ce.New()
	e.SetID(doc.Context.ID)
	e.SetSource(doc.Context.Source)
	e.SetType(doc.Context.Type)
	if t, ok := doc.timestamp(); ok {
		e.SetTime(t)
	}
	if err := e.SetData(ce.ApplicationJSON, json.RawMessage(body)); err != nil {
		return nil, invalid(err)
	}
	return &e, nil
}
