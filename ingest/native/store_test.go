package native

import (
	"context"
	"reflect"
	"testing"

	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/ingesttest"
)

func write(t *testing.T, env *ingesttest.Env, body string) ingest.Result {
	t.Helper()
	items, err := Decode([]byte(body), map[string]string{"authorization": ingest.Redacted}, nil)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	res, err := env.Writer.Write(context.Background(), Source, items)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return res
}

const (
	deployStarted  = `{"id":"d1-start","type":"deployment","service":"checkout","deployment_id":"d1","version":"1.0","started_at":"2026-03-02T11:00:00Z","finished_at":"2026-03-02T11:00:00Z","status":"failure","time":"2026-03-02T11:00:00Z"}`
	deployFinished = `{"id":"d1-done","type":"deployment","service":"checkout","deployment_id":"d1","commit":"abc","finished_at":"2026-03-02T11:05:00Z","status":"success","change_ids":["c1"]}`
	incidentOpened = `{"id":"i1-open","type":"incident","service":"checkout","incident_id":"INC-1","severity":"SEV1","opened_at":"2026-03-02T12:00:00Z"}`
	incidentClosed = `{"id":"i1-close","type":"incident","service":"checkout","incident_id":"INC-1","resolved_at":"2026-03-02T13:00:00Z","severity":"SEV2"}`
)

// A re-delivered event (same id) is stored once and counted as a duplicate,
// even when it comes back with a different body.
func TestRedeliveryIsStoredOnce(t *testing.T) {
	env := ingesttest.New(t)
	if res := write(t, env, deployStarted); res.Accepted != 1 || res.Duplicates != 0 {
		t.Fatalf("first delivery: %+v", res)
	}
	for i := 0; i < 3; i++ {
		if res := write(t, env, deployStarted); res.Accepted != 0 || res.Duplicates != 1 {
			t.Fatalf("re-delivery %d: %+v", i, res)
		}
	}
	changed := `{"id":"d1-start","type":"deployment","service":"checkout","deployment_id":"d1","version":"9.9","finished_at":"2026-03-02T11:00:00Z","status":"success"}`
	if res := write(t, env, changed); res.Duplicates != 1 {
		t.Fatalf("re-delivery with another body: %+v", res)
	}
	// Twice within one request.
	if res := write(t, env, "["+deployFinished+","+deployFinished+"]"); res.Accepted != 1 || res.Duplicates != 1 {
		t.Fatalf("same id twice in a request: %+v", res)
	}
	if n := env.Count(t, "SELECT count() FROM deployments"); n != 2 {
		t.Errorf("%d deployment rows, want 2", n)
	}
	if n := env.Count(t, "SELECT count() FROM raw_events"); n != 2 {
		t.Errorf("%d raw rows, want 2", n)
	}
	d := env.One(t, "SELECT * FROM deployments_current WHERE deployment_id = 'd1'")
	ingesttest.Subset(t, "d1", d, map[string]any{"version": "1.0", "status": "success", "events": uint64(2)})
}

// Events delivered in any order leave the entity in the same state.
func TestOutOfOrderEndsInTheSameState(t *testing.T) {
	orders := [][]string{
		{deployStarted, deployFinished, incidentOpened, incidentClosed},
		{incidentClosed, deployFinished, incidentOpened, deployStarted},
	}
	var states []map[string]any
	for _, order := range orders {
		env := ingesttest.New(t)
		for _, body := range order {
			write(t, env, body)
		}
		d := env.One(t, "SELECT * FROM deployments_current WHERE deployment_id = 'd1'")
		in := env.One(t, "SELECT * FROM incidents_current WHERE incident_id = 'INC-1'")
		ingesttest.Subset(t, "deployment", d, map[string]any{
			"service": "checkout", "environment": "production", "version": "1.0", "commit": "abc",
			"started_at": "2026-03-02T11:00:00Z", "finished_at": "2026-03-02T11:05:00Z", "status": "success",
			"change_ids": []string{"c1"},
		})
		ingesttest.Subset(t, "incident", in, map[string]any{
			"opened_at": "2026-03-02T12:00:00Z", "resolved_at": "2026-03-02T13:00:00Z", "severity": "SEV2",
		})
		for k, v := range in {
			d["incident."+k] = v
		}
		delete(d, "last_observed_at")
		states = append(states, d)
	}
	for k, v := range states[0] {
		if got := states[1][k]; !equal(got, v) {
			t.Errorf("%s: %v in order, %v out of order", k, v, got)
		}
	}
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }

// A change's first review is the earliest any event states, in any order;
// its approval, like every other field, is the latest event's.
func TestFirstReviewIsTheEarliest(t *testing.T) {
	early := `{"id":"r1","type":"change","change_id":"c9","first_review_at":"2026-03-01T10:00:00Z","approved_at":"2026-03-01T10:00:00Z"}`
	late := `{"id":"r2","type":"change","change_id":"c9","first_review_at":"2026-03-01T12:00:00Z","approved_at":"2026-03-01T12:00:00Z"}`
	for _, order := range [][]string{{early, late}, {late, early}} {
		env := ingesttest.New(t)
		for _, b := range order {
			write(t, env, b)
		}
		ingesttest.Subset(t, "change", env.One(t, "SELECT * FROM changes_current WHERE change_id = 'c9'"),
			map[string]any{"first_review_at": "2026-03-01T10:00:00Z", "approved_at": "2026-03-01T12:00:00Z"})
	}
}

// The raw copy keeps the event as sent, with its headers redacted.
func TestRawCopy(t *testing.T) {
	env := ingesttest.New(t)
	write(t, env, incidentOpened)
	r := env.One(t, "SELECT source, event_type, delivery_id, headers, body, outcome FROM raw_events")
	ingesttest.Subset(t, "raw", r, map[string]any{
		"source": "native", "event_type": "incident", "delivery_id": "i1-open", "body": incidentOpened, "outcome": "stored",
		"headers": map[string]string{"authorization": ingest.Redacted},
	})
}
