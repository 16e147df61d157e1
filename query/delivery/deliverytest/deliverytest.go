// Package deliverytest gives tests of the query packages a real ClickHouse
// (storetest's embedded engine, schema applied) and writes delivery
// histories into its entity tables the way ingest stores events: one row per
// event, keyed by entity and event id.
package deliverytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

// Open returns a connection to a fresh database with the schema applied.
func Open(tb testing.TB) driver.Conn {
	tb.Helper()
	conn := storetest.Open(tb)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: conn, Log: quiet}).Up(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return conn
}

// History is a delivery history: the service catalog and events. Several
// events may describe the same entity; each becomes one row, as ingest
// stores them. Zero times mean "not given".
type History struct {
	// Catalog maps service → owning team.
	Catalog     map[string]string `json:"catalog"`
	Changes     []Change          `json:"changes"`
	Deployments []Deployment      `json:"deployments"`
	Incidents   []Incident        `json:"incidents"`
	Stages      []Stage           `json:"stages"`
	Pushes      []Push            `json:"pushes"`
}

// Event fields every entity row has. EventID defaults to the entity id and
// the event's position; ObservedAt defaults to a time that keeps events in
// their listed order.
type Event struct {
	EventID     string    `json:"event_id"`
	ObservedAt  time.Time `json:"observed_at"`
	Team        string    `json:"team"`
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
}

// Change is one change event.
type Change struct {
	Event
	ChangeID      string    `json:"change_id"`
	Repo          string    `json:"repo"`
	Title         string    `json:"title"`
	BaseBranch    string    `json:"base_branch"`
	FirstCommitAt time.Time `json:"first_commit_at"`
	OpenedAt      time.Time `json:"opened_at"`
	FirstReviewAt time.Time `json:"first_review_at"`
	ApprovedAt    time.Time `json:"approved_at"`
	MergedAt      time.Time `json:"merged_at"`
	MergeCommit   string    `json:"merge_commit"`
	Commits       []string  `json:"commits"`
}

// Deployment is one deployment event.
type Deployment struct {
	Event
	DeploymentID string    `json:"deployment_id"`
	Repo         string    `json:"repo"`
	Branch       string    `json:"branch"`
	Commit       string    `json:"commit"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	Status       string    `json:"status"`
	RollbackOf   string    `json:"rollback_of"`
	Unplanned    bool      `json:"unplanned"`
	ChangeIDs    []string  `json:"change_ids"`
	Commits      []string  `json:"commits"`
}

// Incident is one incident event.
type Incident struct {
	Event
	IncidentID         string    `json:"incident_id"`
	Severity           string    `json:"severity"`
	OpenedAt           time.Time `json:"opened_at"`
	ResolvedAt         time.Time `json:"resolved_at"`
	CausedByDeployment string    `json:"caused_by_deployment"`
}

// Stage is one pipeline stage event.
type Stage struct {
	Event
	Pipeline   string    `json:"pipeline"`
	RunID      string    `json:"run_id"`
	Stage      string    `json:"stage"`
	Kind       string    `json:"kind"`
	QueuedAt   time.Time `json:"queued_at"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Result     string    `json:"result"`
	Commit     string    `json:"commit"`
	ChangeIDs  []string  `json:"change_ids"`
}

// Push is one push to a branch.
type Push struct {
	EventID  string    `json:"event_id"`
	Repo     string    `json:"repo"`
	Branch   string    `json:"branch"`
	PushedAt time.Time `json:"pushed_at"`
	Before   string    `json:"before"`
	After    string    `json:"after"`
	Commits  []string  `json:"commits"`
}

// Load reads a history from a JSON file.
func Load(tb testing.TB, path string) History {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var h History
	if err := json.Unmarshal(b, &h); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return h
}

// observedBase orders events that give no observed_at by their position.
var observedBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (e Event) fill(entity string, i int) Event {
	if e.EventID == "" {
		e.EventID = fmt.Sprintf("%s#%03d", entity, i)
	}
	if e.ObservedAt.IsZero() {
		e.ObservedAt = observedBase.Add(time.Duration(i) * time.Second)
	}
	return e
}

// z maps Go's zero time to the Unix epoch, the tables' "not given".
func z(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Seed writes h into the entity tables.
func Seed(tb testing.TB, conn driver.Conn, h History) {
	tb.Helper()
	ctx := context.Background()
	ingested := time.Now().UTC()
	attrs := map[string]string{}
	insert := func(table string, rows int, appendRow func(driver.Batch, int) error) {
		if rows == 0 {
			return
		}
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
		if err != nil {
			tb.Fatalf("prepare %s: %v", table, err)
		}
		for i := range rows {
			if err := appendRow(batch, i); err != nil {
				tb.Fatalf("append %s row %d: %v", table, i, err)
			}
		}
		if err := batch.Send(); err != nil {
			tb.Fatalf("insert %s: %v", table, err)
		}
	}
	var catalog []struct{ service, team string }
	for s, t := range h.Catalog {
		catalog = append(catalog, struct{ service, team string }{s, t})
	}
	insert("service_catalog (service, team, updated_at, deleted, attributes)", len(catalog), func(b driver.Batch, i int) error {
		return b.Append(catalog[i].service, catalog[i].team, ingested, false, attrs)
	})
	insert(`changes (change_id, event_id, observed_at, ingested_at, source, team, service, environment, repo, title, author,
		branch, base_branch, first_commit_at, opened_at, first_review_at, approved_at, merged_at, merge_commit, commits, labels, attributes)`,
		len(h.Changes), func(b driver.Batch, i int) error {
			c := h.Changes[i]
			e := c.Event.fill(c.ChangeID, i)
			return b.Append(c.ChangeID, e.EventID, e.ObservedAt, ingested, "test", e.Team, e.Service, e.Environment, c.Repo, c.Title, "",
				"", c.BaseBranch, z(c.FirstCommitAt), z(c.OpenedAt), z(c.FirstReviewAt), z(c.ApprovedAt), z(c.MergedAt), c.MergeCommit, nonNil(c.Commits), []string{}, attrs)
		})
	insert(`deployments (deployment_id, event_id, observed_at, ingested_at, source, team, service, environment, version, commit, branch, repo,
		started_at, finished_at, status, rollback_of, unplanned, change_ids, commits, attributes)`,
		len(h.Deployments), func(b driver.Batch, i int) error {
			d := h.Deployments[i]
			e := d.Event.fill(d.DeploymentID, i)
			return b.Append(d.DeploymentID, e.EventID, e.ObservedAt, ingested, "test", e.Team, e.Service, e.Environment, "", d.Commit, d.Branch, d.Repo,
				z(d.StartedAt), z(d.FinishedAt), or(d.Status, "unknown"), d.RollbackOf, d.Unplanned, nonNil(d.ChangeIDs), nonNil(d.Commits), attrs)
		})
	insert(`incidents (incident_id, event_id, observed_at, ingested_at, source, team, service, environment, severity, title,
		opened_at, resolved_at, caused_by_deployment, attributes)`,
		len(h.Incidents), func(b driver.Batch, i int) error {
			in := h.Incidents[i]
			e := in.Event.fill(in.IncidentID, i)
			return b.Append(in.IncidentID, e.EventID, e.ObservedAt, ingested, "test", e.Team, e.Service, e.Environment, in.Severity, "",
				z(in.OpenedAt), z(in.ResolvedAt), in.CausedByDeployment, attrs)
		})
	insert(`pipeline_stages (pipeline, run_id, stage, event_id, observed_at, ingested_at, source, team, service, environment, kind,
		queued_at, started_at, finished_at, result, commit, change_ids, attributes)`,
		len(h.Stages), func(b driver.Batch, i int) error {
			s := h.Stages[i]
			e := s.Event.fill(s.Pipeline+"/"+s.RunID+"/"+s.Stage, i)
			return b.Append(s.Pipeline, s.RunID, s.Stage, e.EventID, e.ObservedAt, ingested, "test", e.Team, e.Service, e.Environment, or(s.Kind, "other"),
				z(s.QueuedAt), z(s.StartedAt), z(s.FinishedAt), or(s.Result, "unknown"), s.Commit, nonNil(s.ChangeIDs), attrs)
		})
	insert(`pushes (repo, branch, event_id, pushed_at, ingested_at, source, before, after, commits, commit_times)`,
		len(h.Pushes), func(b driver.Batch, i int) error {
			p := h.Pushes[i]
			times := make([]time.Time, len(p.Commits))
			for j := range times {
				times[j] = z(p.PushedAt)
			}
			return b.Append(p.Repo, p.Branch, or(p.EventID, fmt.Sprintf("push#%03d", i)), z(p.PushedAt), ingested, "github",
				p.Before, p.After, nonNil(p.Commits), times)
		})
}
