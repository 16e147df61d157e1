package cdevents

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
)

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// binary sends a CDEvent in CloudEvents binary mode: context in ce-* headers.
func binary(t testing.TB, body []byte) *http.Request {
	var doc cdevent
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/v1/cdevents", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("ce-specversion", "1.0")
	r.Header.Set("ce-id", doc.Context.ID)
	r.Header.Set("ce-source", doc.Context.Source)
	r.Header.Set("ce-type", doc.Context.Type)
	r.Header.Set("ce-time", doc.Context.Timestamp)
	return r
}

// structured wraps a CDEvent in a structured-mode CloudEvent.
func structured(t testing.TB, body []byte) map[string]any {
	var doc cdevent
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"specversion": "1.0", "id": doc.Context.ID, "source": doc.Context.Source, "type": doc.Context.Type,
		"time": doc.Context.Timestamp, "datacontenttype": "application/json", "data": json.RawMessage(body)}
}

const (
	id     = "271069a8-fc18-44f1-b38f-9d70a1695819"
	source = "/event/source/123"
	at     = "2023-03-20T14:27:05.315384Z"
)

func event(typ string, f func(e *delivery.Event)) delivery.Event {
	e := delivery.Event{ID: source + " " + id, Source: Source, ObservedAt: ts(at), Attributes: map[string]string{"cdevents_type": typ}}
	f(&e)
	return e
}

func TestTranslateConformanceExamples(t *testing.T) {
	const artifact = "pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
	const digest = "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
	incident := func(typ string, f func(in *delivery.Incident)) []delivery.Event {
		e := delivery.Event{ID: "/monitoring/prod1 F4BD2B55-B6F6-4F44-AF72-BD2D0E7A8708", Source: Source, ObservedAt: ts("2022-11-11T13:52:20.079Z"),
			Service: "myApp", Environment: "prod1", Attributes: map[string]string{"cdevents_type": typ}}
		e.Incident = &delivery.Incident{ID: "incident-123"}
		f(e.Incident)
		return []delivery.Event{e}
	}
	tests := []struct {
		file    string
		outcome ingest.Outcome
		want    []delivery.Event
	}{
		{"service_deployed_0.4.0.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.service.deployed.0.2.0", func(e *delivery.Event) {
			e.Service, e.Environment = "mySubject123", "test123"
			e.Attributes["artifact"] = artifact
			e.Deployment = &delivery.Deployment{ID: id, Version: digest, FinishedAt: ts(at), Status: delivery.StatusSuccess}
		})}},
		{"service_deployed_0.5.0.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.service.deployed.0.3.0", func(e *delivery.Event) {
			e.Service, e.Environment = "mySubject123", "test123"
			e.Attributes["artifact"] = artifact
			e.Deployment = &delivery.Deployment{ID: id, Version: digest, FinishedAt: ts(at), Status: delivery.StatusSuccess}
		})}},
		{"service_rolledback_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.service.rolledback.0.3.0-draft", func(e *delivery.Event) {
			e.Service, e.Environment = "mySubject123", "test123"
			e.Attributes["artifact"], e.Attributes["rollback"] = artifact, "true"
			e.Deployment = &delivery.Deployment{ID: id, Version: digest, FinishedAt: ts(at), Status: delivery.StatusSuccess, Unplanned: true}
		})}},
		{"deployment_finished_0.6.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.deployment.finished.0.1.0", func(e *delivery.Event) {
			e.Service, e.Environment = "myapp", "test123"
			e.Attributes["artifact"] = artifact
			e.Deployment = &delivery.Deployment{ID: "mySubject123", Version: digest, FinishedAt: ts(at), Status: delivery.StatusSuccess}
		})}},
		{"pipelinerun_finished_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.pipelinerun.finished.0.3.0-draft", func(e *delivery.Event) {
			e.Attributes["pipeline_name"] = "myPipeline"
			e.Stage = &delivery.PipelineStage{Pipeline: source, RunID: "mySubject123", Stage: delivery.WholeRun, Kind: delivery.KindOther,
				FinishedAt: ts(at), Result: delivery.ResultFailure}
		})}},
		{"taskrun_finished_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.taskrun.finished.0.3.0-draft", func(e *delivery.Event) {
			e.Stage = &delivery.PipelineStage{Pipeline: source, RunID: "mySubject123", Stage: "myTask", Kind: delivery.KindOther,
				FinishedAt: ts(at), Result: delivery.ResultFailure}
		})}},
		{"testsuiterun_finished_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.testsuiterun.finished.0.3.0-draft", func(e *delivery.Event) {
			e.Environment = "dev"
			e.Stage = &delivery.PipelineStage{Pipeline: source, RunID: "myTestSuiteRun123", Stage: "Auth TestSuite", Kind: delivery.KindTest,
				FinishedAt: ts(at), Result: delivery.ResultFailure}
		})}},
		{"change_created_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.change.created.0.4.0-draft", func(e *delivery.Event) {
			e.Change = &delivery.Change{ID: "mySubject123", Repo: "TestRepo/TestOrg", Title: "This PR address a bug from a recent PR", OpenedAt: ts(at)}
		})}},
		{"change_merged_0.5.0-draft.json", ingest.OutcomeStored, []delivery.Event{event("dev.cdevents.change.merged.0.3.0-draft", func(e *delivery.Event) {
			e.Change = &delivery.Change{ID: "mySubject123", Repo: "TestRepo/TestOrg", MergedAt: ts(at)}
		})}},
		{"incident_detected_0.5.0.json", ingest.OutcomeStored, incident("dev.cdevents.incident.detected.0.3.0", func(in *delivery.Incident) {
			in.Title, in.OpenedAt = "Response time above threshold of 100ms", ts("2022-11-11T13:52:20.079Z")
		})},
		{"incident_resolved_0.5.0-draft.json", ingest.OutcomeStored, incident("dev.cdevents.incident.resolved.0.3.0-draft", func(in *delivery.Incident) {
			in.Title, in.ResolvedAt = "Response time restored below 100ms", ts("2022-11-11T13:52:20.079Z")
		})},
	}
	modes := map[string]func(t *testing.T, body []byte) *http.Request{
		"binary": func(t *testing.T, body []byte) *http.Request { return binary(t, body) },
		"structured": func(t *testing.T, body []byte) *http.Request {
			b, _ := json.Marshal(structured(t, body))
			r := httptest.NewRequest(http.MethodPost, "/api/v1/cdevents", strings.NewReader(string(b)))
			r.Header.Set("Content-Type", "application/cloudevents+json")
			return r
		},
		"batch": func(t *testing.T, body []byte) *http.Request {
			b, _ := json.Marshal([]any{structured(t, body)})
			r := httptest.NewRequest(http.MethodPost, "/api/v1/cdevents", strings.NewReader(string(b)))
			r.Header.Set("Content-Type", "application/cloudevents-batch+json")
			return r
		},
		"bare CDEvent": func(t *testing.T, body []byte) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/cdevents", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
	}
	for _, tt := range tests {
		for mode, req := range modes {
			t.Run(tt.file+"/"+mode, func(t *testing.T) {
				r := req(t, load(t, tt.file))
				body, _ := io.ReadAll(r.Body)
				items, err := Decode(r, body, nil)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if len(items) != 1 || items[0].Raw.Outcome != tt.outcome {
					t.Fatalf("items %+v", items)
				}
				got := items[0].Events
				if !reflect.DeepEqual(got, tt.want) {
					g, _ := json.MarshalIndent(got, "", " ")
					w, _ := json.MarshalIndent(tt.want, "", " ")
					t.Errorf("\n got %s\nwant %s", g, w)
				}
				// The raw copy, replayed, gives the same events.
				replayed, _, err := Translate(&items[0].Raw)
				if err != nil || !reflect.DeepEqual(replayed, got) {
					t.Errorf("replay: %v %+v", err, replayed)
				}
			})
		}
	}
}

func TestUnknownTypesAreKeptRaw(t *testing.T) {
	for _, typ := range []string{"dev.cdevents.environment.created.0.2.0", "dev.cdevents.ticket.created.0.1.0", "com.example.other"} {
		body := strings.Replace(string(load(t, "service_deployed_0.4.0.json")), "dev.cdevents.service.deployed.0.2.0", typ, 1)
		items, err := Decode(binary(t, []byte(body)), []byte(body), nil)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if len(items) != 1 || len(items[0].Events) != 0 || items[0].Raw.Outcome != ingest.OutcomeStoredRaw {
			t.Errorf("%s: %+v", typ, items)
		}
	}
}

func TestBadCloudEventsAreRefused(t *testing.T) {
	tests := map[string]*http.Request{}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"specversion":"1.0","id":"x"}`))
	r.Header.Set("Content-Type", "application/cloudevents+json")
	tests["structured without source and type"] = r
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`[{"specversion":"1.0"`))
	r.Header.Set("Content-Type", "application/cloudevents-batch+json")
	tests["truncated batch"] = r
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"context":{"id":"1"}}`))
	r.Header.Set("Content-Type", "application/json")
	tests["CDEvent without source and type"] = r
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"context":{"id":"1","source":"s","type":"dev.cdevents.incident.detected.0.1.0"},"subject":{}}`))
	r.Header.Set("Content-Type", "application/json")
	tests["incident without subject id"] = r
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			body := make([]byte, req.ContentLength)
			_, _ = req.Body.Read(body)
			_, err := Decode(req, body, nil)
			var re *ingest.RequestError
			if !errors.As(err, &re) || re.Status != 400 {
				t.Errorf("error %v, want a 400", err)
			}
		})
	}
}
