package native

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
)

var received = time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)

func now() time.Time { return received }

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodeTranslatesEveryType(t *testing.T) {
	tests := []struct {
		name string
		body string
		want delivery.Event
	}{
		{"change", `{"id":"e1","type":"change","team":"payments","service":"checkout","change_id":"acme/shop#42",
			"repo":"acme/shop","title":"Faster checkout","author":"ada","branch":"fast","base_branch":"main",
			"first_commit_at":"2026-03-01T09:00:00Z","opened_at":"2026-03-01T10:00:00Z","first_review_at":"2026-03-01T11:00:00+01:00",
			"approved_at":"2026-03-02T09:00:00Z","merged_at":"2026-03-02T10:00:00.5Z","merge_commit":"abc123",
			"commits":["c1","c2"],"labels":["perf"],"attributes":{"jira":"SHOP-1"}}`,
			delivery.Event{ID: "e1", Source: Source, ObservedAt: ts("2026-03-02T10:00:00.5Z"), Team: "payments", Service: "checkout",
				Environment: "production", Attributes: map[string]string{"jira": "SHOP-1"},
				Change: &delivery.Change{ID: "acme/shop#42", Repo: "acme/shop", Title: "Faster checkout", Author: "ada", Branch: "fast", BaseBranch: "main",
					FirstCommitAt: ts("2026-03-01T09:00:00Z"), OpenedAt: ts("2026-03-01T10:00:00Z"), FirstReviewAt: ts("2026-03-01T10:00:00Z"),
					ApprovedAt: ts("2026-03-02T09:00:00Z"), MergedAt: ts("2026-03-02T10:00:00.5Z"), MergeCommit: "abc123",
					Commits: []string{"c1", "c2"}, Labels: []string{"perf"}}}},
		{"pipeline stage", `{"id":"e2","type":"pipeline_stage","environment":"staging","pipeline":"shop-ci","run_id":"77","stage":"unit tests",
			"kind":"test","queued_at":"2026-03-02T10:01:00Z","started_at":"2026-03-02T10:03:00Z","finished_at":"2026-03-02T10:08:00Z",
			"result":"success","commit":"abc123","change_ids":["acme/shop#42"]}`,
			delivery.Event{ID: "e2", Source: Source, ObservedAt: ts("2026-03-02T10:08:00Z"), Environment: "staging",
				Stage: &delivery.PipelineStage{Pipeline: "shop-ci", RunID: "77", Stage: "unit tests", Kind: delivery.KindTest,
					QueuedAt: ts("2026-03-02T10:01:00Z"), StartedAt: ts("2026-03-02T10:03:00Z"), FinishedAt: ts("2026-03-02T10:08:00Z"),
					Result: delivery.ResultSuccess, Commit: "abc123", ChangeIDs: []string{"acme/shop#42"}}}},
		{"stage without kind is other", `{"id":"e3","type":"pipeline_stage","pipeline":"p","run_id":"1","stage":"s"}`,
			delivery.Event{ID: "e3", Source: Source, ObservedAt: received, Environment: "production",
				Stage: &delivery.PipelineStage{Pipeline: "p", RunID: "1", Stage: "s", Kind: delivery.KindOther}}},
		{"deployment", `{"id":"e4","type":"deployment","service":"checkout","deployment_id":"d-9","version":"1.4.0","commit":"abc123",
			"started_at":"2026-03-02T11:00:00Z","finished_at":"2026-03-02T11:05:00Z","status":"failure","rollback_of":"d-8",
			"unplanned":true,"change_ids":["acme/shop#42"],"commits":["abc123"],"time":"2026-03-02T11:06:00Z"}`,
			delivery.Event{ID: "e4", Source: Source, ObservedAt: ts("2026-03-02T11:06:00Z"), Service: "checkout", Environment: "production",
				Deployment: &delivery.Deployment{ID: "d-9", Version: "1.4.0", Commit: "abc123", StartedAt: ts("2026-03-02T11:00:00Z"),
					FinishedAt: ts("2026-03-02T11:05:00Z"), Status: delivery.StatusFailure, RollbackOf: "d-8", Unplanned: true,
					ChangeIDs: []string{"acme/shop#42"}, Commits: []string{"abc123"}}}},
		{"incident", `{"id":"e5","type":"incident","service":"checkout","incident_id":"INC-1","severity":"SEV2","title":"errors",
			"opened_at":"2026-03-02T12:00:00Z","resolved_at":"2026-03-02T13:00:00Z","caused_by_deployment":"d-9"}`,
			delivery.Event{ID: "e5", Source: Source, ObservedAt: ts("2026-03-02T13:00:00Z"), Service: "checkout", Environment: "production",
				Incident: &delivery.Incident{ID: "INC-1", Severity: "SEV2", Title: "errors", OpenedAt: ts("2026-03-02T12:00:00Z"),
					ResolvedAt: ts("2026-03-02T13:00:00Z"), CausedByDeployment: "d-9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.body), map[string]string{"content-type": "application/json"}, now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != 1 || len(items[0].Events) != 1 {
				t.Fatalf("got %d items", len(items))
			}
			got := items[0].Events[0]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("event\n got %+v\nwant %+v", got, tt.want)
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tt.want)
				t.Errorf("\n got %s\nwant %s", gj, wj)
			}
			raw := items[0].Raw
			if raw.DeliveryID != tt.want.ID || raw.EventType == "" || string(raw.Body) != tt.body {
				t.Errorf("raw copy = %+v", raw)
			}
		})
	}
}

func TestDecodeAcceptsObjectArrayAndNDJSON(t *testing.T) {
	one := `{"id":"a","type":"change","change_id":"c1"}`
	two := `{"id":"b","type":"change","change_id":"c2"}`
	for name, body := range map[string]string{
		"object":           one,
		"array":            "[" + one + "," + two + "]",
		"ndjson":           one + "\n" + two + "\n",
		"ndjson with crlf": one + "\r\n" + two,
		"padded array":     "\n  [" + one + "]  \n",
	} {
		t.Run(name, func(t *testing.T) {
			items, err := Decode([]byte(body), nil, now)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Count(body, `"id"`); len(items) != want {
				t.Fatalf("%d events, want %d", len(items), want)
			}
		})
	}
}

func TestDecodeNamesTheBadField(t *testing.T) {
	tests := []struct {
		name, body string
		fields     []string
	}{
		{"malformed JSON", `{"id":"a",`, []string{"[0]"}},
		{"not JSON", `id=a`, []string{"body"}},
		{"empty", ` `, []string{"body"}},
		{"empty array", `[]`, []string{"body"}},
		{"array of non-objects", `[1,2]`, []string{"[0].body", "[1].body"}},
		{"missing id and type", `{"change_id":"c"}`, []string{"id", "type"}},
		{"unknown type", `{"id":"a","type":"deploy"}`, []string{"type"}},
		{"missing change_id", `{"id":"a","type":"change"}`, []string{"change_id"}},
		{"deployment requirements", `{"id":"a","type":"deployment"}`, []string{"deployment_id", "service", "finished_at", "status"}},
		{"wrong enum", `{"id":"a","type":"deployment","deployment_id":"d","service":"s","finished_at":"2026-03-02T11:05:00Z","status":"ok"}`, []string{"status"}},
		{"wrong kind", `{"id":"a","type":"pipeline_stage","pipeline":"p","run_id":"1","stage":"s","kind":"lint"}`, []string{"kind"}},
		{"wrong result", `{"id":"a","type":"pipeline_stage","pipeline":"p","run_id":"1","stage":"s","result":"passed"}`, []string{"result"}},
		{"not RFC 3339", `{"id":"a","type":"change","change_id":"c","merged_at":"2026-03-02 10:00"}`, []string{"merged_at"}},
		{"time before 1970", `{"id":"a","type":"change","change_id":"c","merged_at":"1969-12-31T00:00:00Z"}`, []string{"merged_at"}},
		{"wrong type", `{"id":"a","type":"deployment","deployment_id":"d","service":"s","finished_at":"2026-03-02T11:05:00Z","status":"success","unplanned":"yes"}`, []string{"unplanned"}},
		{"number as string", `{"id":7,"type":"change","change_id":"c"}`, []string{"id"}},
		{"list of non-strings", `{"id":"a","type":"change","change_id":"c","commits":[1]}`, []string{"commits"}},
		{"unknown field", `{"id":"a","type":"change","change_id":"c","finshed_at":"x"}`, []string{"finshed_at"}},
		{"field of another type", `{"id":"a","type":"change","change_id":"c","status":"success"}`, []string{"status"}},
		{"finished before started", `{"id":"a","type":"deployment","deployment_id":"d","service":"s","started_at":"2026-03-02T11:05:00Z","finished_at":"2026-03-02T11:00:00Z","status":"success"}`, []string{"finished_at"}},
		{"one bad event of two", `[{"id":"a","type":"change","change_id":"c"},{"id":"b","type":"change"}]`, []string{"[1].change_id"}},
		{"bad ndjson line", "{\"id\":\"a\",\"type\":\"change\",\"change_id\":\"c\"}\n{\"id\":", []string{"[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.body), nil, now)
			if err == nil {
				t.Fatalf("accepted %d events", len(items))
			}
			var re *ingest.RequestError
			if !errors.As(err, &re) || re.Status != 400 {
				t.Fatalf("error %v is not a 400", err)
			}
			var fields []string
			for _, d := range re.Details {
				fields = append(fields, d.Field)
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("fields %q, want %q (%v)", fields, tt.fields, re.Details)
			}
			for _, d := range re.Details {
				if d.Message == "" {
					t.Errorf("detail %v has no message", d)
				}
			}
		})
	}
}

func TestTranslateReadsTheRawCopyBack(t *testing.T) {
	items, err := Decode([]byte(`[{"id":"a","type":"change","change_id":"c","title":"t"}]`), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	raw := items[0].Raw
	evs, outcome, err := Translate(&raw)
	if err != nil || outcome != ingest.OutcomeStored {
		t.Fatalf("Translate: %v %v", outcome, err)
	}
	if !reflect.DeepEqual(evs[0], items[0].Events[0]) {
		t.Errorf("replayed %+v, decoded %+v", evs[0], items[0].Events[0])
	}
}
