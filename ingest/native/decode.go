package native

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// MaxEvents bounds the events of one request.
const MaxEvents = 10000

// maxDetails bounds the field errors reported for one request.
const maxDetails = 50

// Decode splits a request body into events and translates each; a request
// with one bad event is refused whole, naming every bad field it can.
func Decode(body []byte, headers map[string]string, now func() time.Time) ([]ingest.Item, error) {
	received := time.Now().UTC()
	if now != nil {
		received = now().UTC()
	}
	msgs, wires := strictLines(body)
	if msgs == nil {
		var err error
		if msgs, err = split(body); err != nil {
			return nil, err
		}
	}
	items := make([]ingest.Item, len(msgs))
	var bad *ingest.RequestError
	for i, msg := range msgs {
		prefix := ""
		if len(msgs) > 1 {
			prefix = fmt.Sprintf("[%d].", i)
		}
		var ev delivery.Event
		var typ string
		var errs []delivery.FieldError
		if wires != nil {
			ev, typ, errs = checkEvent(&wires[i], received)
		} else {
			ev, typ, errs = decodeEvent(msg, received)
		}
		if len(errs) > 0 {
			if bad == nil {
				bad = ingest.BadRequest("")
			}
			bad.Events++
			for _, e := range errs {
				if len(bad.Details) < maxDetails {
					bad.Details = append(bad.Details, server.Detail{Field: prefix + e.Field, Message: e.Message})
				}
			}
			continue
		}
		items[i] = ingest.Item{
			Raw:    ingest.Raw{ReceivedAt: received, EventType: typ, DeliveryID: ev.ID, Headers: headers, Body: msg},
			Events: []delivery.Event{ev},
		}
	}
	if bad != nil {
		if len(msgs) > 1 {
			bad.Msg = fmt.Sprintf("%d of %d events are not valid v1 events; nothing was stored", bad.Events, len(msgs))
		} else {
			bad.Msg = "the event is not a valid v1 event; nothing was stored"
		}
		bad.Events = len(msgs)
		return nil, bad
	}
	return items, nil
}

// Translate re-reads one stored native event (replay).
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	ev, _, errs := decodeEvent(raw.Body, raw.ReceivedAt)
	if len(errs) > 0 {
		return nil, "", ingest.Invalid("the stored event is not a valid v1 event", "", errs)
	}
	return []delivery.Event{ev}, ingest.OutcomeStored, nil
}

// strictLines is the common case read in one pass: NDJSON (or a single
// object) whose every non-blank line is one event the strict reader takes.
// It returns the lines, sharing body's memory, and their events read; nil
// for anything else, which split and unmarshalWire then read (or refuse,
// naming the field) as before.
func strictLines(body []byte) ([]json.RawMessage, []wireEvent) {
	n := min(bytes.Count(body, []byte{'\n'})+1, MaxEvents)
	msgs := make([]json.RawMessage, 0, n)
	wires := make([]wireEvent, 0, n)
	for line := range lines(body) {
		if line[0] != '{' || len(msgs) == MaxEvents {
			return nil, nil
		}
		wires = append(wires, wireEvent{})
		if jsonv2.Unmarshal(line, &wires[len(wires)-1], strict) != nil {
			return nil, nil
		}
		msgs = append(msgs, json.RawMessage(line[:len(line):len(line)]))
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	return msgs, wires
}

// jsonSpace is JSON's whitespace; bytes.TrimSpace would also take \v, \f
// and Unicode spaces, which JSON refuses.
const jsonSpace = " \t\r\n"

// lines yields the non-blank lines of body, trimmed, sharing its memory.
func lines(body []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line, body = body[:i], body[i+1:]
			} else {
				body = nil
			}
			if line = bytes.Trim(line, jsonSpace); len(line) > 0 && !yield(line) {
				return
			}
		}
	}
}

// splitLines is NDJSON's fast path: when every non-blank line holds one
// JSON object, the objects are the lines (sharing body's memory), found
// with one validating scan rather than a decoder's copy. It returns nil for
// anything else (an object over several lines, two on one line, a syntax
// error), which the decoder then reads or reports.
func splitLines(body []byte) []json.RawMessage {
	var msgs []json.RawMessage
	for line := range lines(body) {
		if line[0] != '{' || !json.Valid(line) {
			return nil
		}
		msgs = append(msgs, json.RawMessage(line[:len(line):len(line)]))
		if len(msgs) > MaxEvents {
			break
		}
	}
	return msgs
}

// split returns the JSON values of a body: one object, an array of objects,
// or objects one a line (NDJSON).
func split(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimLeft(body, jsonSpace)
	if len(trimmed) == 0 {
		return nil, ingest.BadRequest("the body is empty", server.Detail{Field: "body", Message: "send a JSON object, an array of them, or NDJSON"})
	}
	var msgs []json.RawMessage
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &msgs); err != nil {
			return nil, syntaxError(err, "")
		}
		if len(msgs) == 0 {
			return nil, ingest.BadRequest("the array holds no events", server.Detail{Field: "body", Message: "send at least one event"})
		}
	case '{':
		if msgs = splitLines(trimmed); msgs != nil {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for {
			var m json.RawMessage
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, syntaxError(err, fmt.Sprintf("[%d]", len(msgs)))
			}
			msgs = append(msgs, m)
			if len(msgs) > MaxEvents {
				break
			}
		}
	default:
		return nil, ingest.BadRequest("the body is not JSON", server.Detail{Field: "body", Message: "send a JSON object, an array of them, or NDJSON"})
	}
	if len(msgs) > MaxEvents {
		return nil, ingest.BadRequest(fmt.Sprintf("more than %d events in one request", MaxEvents), server.Detail{Field: "body", Message: "split the events over several requests"})
	}
	return msgs, nil
}

func syntaxError(err error, where string) error {
	field := "body"
	if where != "" {
		field = where
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return ingest.BadRequest("the body is not valid JSON", server.Detail{Field: field, Message: fmt.Sprintf("%v at byte %d", syn, syn.Offset)})
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return ingest.BadRequest("the body is not a JSON object or array of objects", server.Detail{Field: field, Message: "each event must be a JSON object"})
	}
	return ingest.BadRequest("the body is not valid JSON", server.Detail{Field: field, Message: err.Error()})
}

// wireEvent is a v1 event as sent. Pointers tell a field that was given
// from one that was not.
type wireEvent struct {
	ID          *string           `json:"id"`
	Type        *string           `json:"type"`
	Team        *string           `json:"team"`
	Service     *string           `json:"service"`
	Environment *string           `json:"environment"`
	Time        *string           `json:"time"`
	Attributes  map[string]string `json:"attributes"`

	ChangeID      *string  `json:"change_id" types:"change"`
	Repo          *string  `json:"repo" types:"change,deployment"`
	Title         *string  `json:"title" types:"change,incident"`
	Author        *string  `json:"author" types:"change"`
	Branch        *string  `json:"branch" types:"change,deployment"`
	BaseBranch    *string  `json:"base_branch" types:"change"`
	FirstCommitAt *string  `json:"first_commit_at" types:"change"`
	OpenedAt      *string  `json:"opened_at" types:"change,incident"`
	FirstReviewAt *string  `json:"first_review_at" types:"change"`
	ApprovedAt    *string  `json:"approved_at" types:"change"`
	MergedAt      *string  `json:"merged_at" types:"change"`
	MergeCommit   *string  `json:"merge_commit" types:"change"`
	Commits       []string `json:"commits" types:"change,deployment"`
	Labels        []string `json:"labels" types:"change"`

	Pipeline   *string  `json:"pipeline" types:"pipeline_stage"`
	RunID      *string  `json:"run_id" types:"pipeline_stage"`
	Stage      *string  `json:"stage" types:"pipeline_stage"`
	Kind       *string  `json:"kind" types:"pipeline_stage"`
	QueuedAt   *string  `json:"queued_at" types:"pipeline_stage"`
	StartedAt  *string  `json:"started_at" types:"pipeline_stage,deployment"`
	FinishedAt *string  `json:"finished_at" types:"pipeline_stage,deployment"`
	Result     *string  `json:"result" types:"pipeline_stage"`
	Commit     *string  `json:"commit" types:"pipeline_stage,deployment"`
	ChangeIDs  []string `json:"change_ids" types:"pipeline_stage,deployment"`

	DeploymentID *string `json:"deployment_id" types:"deployment"`
	Version      *string `json:"version" types:"deployment"`
	Status       *string `json:"status" types:"deployment"`
	RollbackOf   *string `json:"rollback_of" types:"deployment"`
	Unplanned    *bool   `json:"unplanned" types:"deployment"`

	IncidentID         *string `json:"incident_id" types:"incident"`
	Severity           *string `json:"severity" types:"incident"`
	ResolvedAt         *string `json:"resolved_at" types:"incident"`
	CausedByDeployment *string `json:"caused_by_deployment" types:"incident"`
}

// typedFields lists, per struct field index, the JSON name and the event
// types it belongs to (nil: every type).
var typedFields = func() []struct {
	name  string
	types []string
} {
	t := reflect.TypeOf(wireEvent{})
	out := make([]struct {
		name  string
		types []string
	}, t.NumField())
	for i := range out {
		f := t.Field(i)
		out[i].name = f.Tag.Get("json")
		if ty := f.Tag.Get("types"); ty != "" {
			out[i].types = strings.Split(ty, ",")
		}
	}
	return out
}()

var typeNames = []string{string(delivery.TypeChange), string(delivery.TypeStage), string(delivery.TypeDeployment), string(delivery.TypeIncident)}

// decodeEvent reads and checks one event; received is the ObservedAt of an
// event that gives no time at all.
func decodeEvent(msg []byte, received time.Time) (delivery.Event, string, []delivery.FieldError) {
	var w wireEvent
	if err := unmarshalWire(msg, &w); err != nil {
		return delivery.Event{}, "", []delivery.FieldError{*err}
	}
	return checkEvent(&w, received)
}

// checkEvent validates one event as read and translates it.
func checkEvent(w *wireEvent, received time.Time) (delivery.Event, string, []delivery.FieldError) {
	v := validator{}
	ev := delivery.Event{
		ID:          v.required("id", w.ID),
		Source:      Source,
		Team:        v.name("team", w.Team),
		Service:     v.name("service", w.Service),
		Environment: v.name("environment", w.Environment),
		Attributes:  w.Attributes,
	}
	if ev.Environment == "" {
		ev.Environment = delivery.DefaultEnvironment
	}
	typ := v.required("type", w.Type)
	if typ != "" && !contains(typeNames, typ) {
		v.add("type", fmt.Sprintf("%q is not one of %s", typ, strings.Join(typeNames, ", ")))
	}
	if typ != "" && contains(typeNames, typ) {
		v.foreignFields(w, typ)
	}
	given := v.time("time", w.Time)
	switch delivery.Type(typ) {
	case delivery.TypeChange:
		c := &delivery.Change{
			ID: v.required("change_id", w.ChangeID), Repo: str(w.Repo), Title: str(w.Title), Author: str(w.Author),
			Branch: str(w.Branch), BaseBranch: str(w.BaseBranch),
			FirstCommitAt: v.time("first_commit_at", w.FirstCommitAt), OpenedAt: v.time("opened_at", w.OpenedAt),
			FirstReviewAt: v.time("first_review_at", w.FirstReviewAt), ApprovedAt: v.time("approved_at", w.ApprovedAt),
			MergedAt: v.time("merged_at", w.MergedAt), MergeCommit: str(w.MergeCommit),
			Commits: v.list("commits", w.Commits), Labels: v.list("labels", w.Labels),
		}
		ev.Change = c
		ev.ObservedAt = delivery.Latest(c.FirstCommitAt, c.OpenedAt, c.FirstReviewAt, c.ApprovedAt, c.MergedAt)
	case delivery.TypeStage:
		s := &delivery.PipelineStage{
			Pipeline: v.required("pipeline", w.Pipeline), RunID: v.required("run_id", w.RunID), Stage: v.required("stage", w.Stage),
			Kind:     delivery.StageKind(v.enum("kind", w.Kind, kinds)),
			QueuedAt: v.time("queued_at", w.QueuedAt), StartedAt: v.time("started_at", w.StartedAt), FinishedAt: v.time("finished_at", w.FinishedAt),
			Result: delivery.StageResult(v.enum("result", w.Result, results)),
			Commit: str(w.Commit), ChangeIDs: v.list("change_ids", w.ChangeIDs),
		}
		if s.Kind == "" {
			s.Kind = delivery.KindOther
		}
		ev.Stage = s
		ev.ObservedAt = delivery.Latest(s.QueuedAt, s.StartedAt, s.FinishedAt)
	case delivery.TypeDeployment:
		d := &delivery.Deployment{
			ID: v.required("deployment_id", w.DeploymentID), Version: str(w.Version), Commit: str(w.Commit),
			Branch: str(w.Branch), Repo: str(w.Repo),
			StartedAt: v.time("started_at", w.StartedAt), FinishedAt: v.time("finished_at", w.FinishedAt),
			Status:     delivery.DeploymentStatus(v.enum("status", w.Status, statuses)),
			RollbackOf: str(w.RollbackOf), Unplanned: w.Unplanned != nil && *w.Unplanned,
			ChangeIDs: v.list("change_ids", w.ChangeIDs), Commits: v.list("commits", w.Commits),
		}
		v.required("service", w.Service)
		if w.FinishedAt == nil {
			v.add("finished_at", "is required")
		}
		if w.Status == nil {
			v.add("status", "is required")
		}
		if !d.StartedAt.IsZero() && !d.FinishedAt.IsZero() && d.FinishedAt.Before(d.StartedAt) {
			v.add("finished_at", "is before started_at")
		}
		ev.Deployment = d
		ev.ObservedAt = delivery.Latest(d.StartedAt, d.FinishedAt)
	case delivery.TypeIncident:
		in := &delivery.Incident{
			ID: v.required("incident_id", w.IncidentID), Severity: str(w.Severity), Title: str(w.Title),
			OpenedAt: v.time("opened_at", w.OpenedAt), ResolvedAt: v.time("resolved_at", w.ResolvedAt),
			CausedByDeployment: str(w.CausedByDeployment),
		}
		v.required("service", w.Service)
		if !in.OpenedAt.IsZero() && !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.OpenedAt) {
			v.add("resolved_at", "is before opened_at")
		}
		ev.Incident = in
		ev.ObservedAt = delivery.Latest(in.OpenedAt, in.ResolvedAt)
	}
	if !given.IsZero() {
		ev.ObservedAt = given
	}
	if ev.ObservedAt.IsZero() {
		ev.ObservedAt = received
	}
	return ev, typ, v.errs
}

// strict is the fast path's reading of an event: one pass, exact member
// names, no unknown or repeated member, valid UTF-8. Whatever it accepts,
// encoding/json reads to the same wireEvent (FuzzStrictAgrees).
var strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// unmarshalWire reads one event. Well-formed events take the strict fast
// path; anything it refuses is read again by encoding/json, which accepts
// what v1 events always accepted (names in any case, repeated members) and
// words the error that names the field.
func unmarshalWire(msg []byte, w *wireEvent) *delivery.FieldError {
	if jsonv2.Unmarshal(msg, w, strict) == nil {
		return nil
	}
	*w = wireEvent{}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(w); err != nil {
		fe := decodeError(err)
		return &fe
	}
	if dec.More() {
		return &delivery.FieldError{Field: "body", Message: "one JSON object per event"}
	}
	return nil
}

func decodeError(err error) delivery.FieldError {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return delivery.FieldError{Field: "body", Message: "an event must be a JSON object"}
		}
		return delivery.FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type), typ.Value)}
	case errors.As(err, &syn):
		return delivery.FieldError{Field: "body", Message: fmt.Sprintf("not valid JSON: %v at byte %d", syn, syn.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return delivery.FieldError{Field: f, Message: "is not a field of v1 events"}
	}
	return delivery.FieldError{Field: "body", Message: err.Error()}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array of strings"
	case reflect.Map:
		return "an object of strings"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

var (
	kinds    = enumOf(delivery.StageKinds)
	results  = enumOf(delivery.StageResults)
	statuses = []string{string(delivery.StatusSuccess), string(delivery.StatusFailure)}
)

func enumOf[T ~string](vals []T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// Limits of one value.
const (
	maxID   = 512
	maxName = 256
)

type validator struct{ errs []delivery.FieldError }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, delivery.FieldError{Field: field, Message: msg})
}

func (v *validator) required(field string, s *string) string {
	if s == nil || strings.TrimSpace(*s) == "" {
		v.add(field, "is required")
		return ""
	}
	if len(*s) > maxID {
		v.add(field, fmt.Sprintf("is longer than %d bytes", maxID))
	}
	return *s
}

func (v *validator) name(field string, s *string) string {
	if s == nil {
		return ""
	}
	if len(*s) > maxName {
		v.add(field, fmt.Sprintf("is longer than %d bytes", maxName))
	}
	return strings.TrimSpace(*s)
}

func (v *validator) enum(field string, s *string, allowed []string) string {
	if s == nil || *s == "" {
		return ""
	}
	if !contains(allowed, *s) {
		v.add(field, fmt.Sprintf("%q is not one of %s", *s, strings.Join(allowed, ", ")))
		return ""
	}
	return *s
}

func (v *validator) time(field string, s *string) time.Time {
	if s == nil || *s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		v.add(field, fmt.Sprintf("%q is not an RFC 3339 time such as 2026-03-09T14:05:06Z", *s))
		return time.Time{}
	}
	if !ingest.InStorableRange(t) {
		v.add(field, fmt.Sprintf("%q is outside 1970-01-01 to 2262-01-01", *s))
		return time.Time{}
	}
	return t.UTC()
}

func (v *validator) list(field string, l []string) []string {
	for i, s := range l {
		if strings.TrimSpace(s) == "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
	}
	return l
}

// foreignFields names the fields given that belong to other event types.
func (v *validator) foreignFields(w *wireEvent, typ string) {
	rv := reflect.ValueOf(w).Elem()
	for i, f := range typedFields {
		if f.types == nil || contains(f.types, typ) {
			continue
		}
		if fv := rv.Field(i); !fv.IsNil() {
			v.add(f.name, fmt.Sprintf("is not a field of %s events", typ))
		}
	}
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
