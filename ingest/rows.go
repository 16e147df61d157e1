package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest/commit"
)

// epoch is how a time that was not given is stored: the entity views read
// 0 as "not given" and never let it override a real value.
var epoch = time.Unix(0, 0).UTC()

// column is one column of a table and how to read it from a buffered row.
type column[T any] struct {
	name   string
	values func(rows []T) any
}

// tableRows buffers rows of one table and appends them to a batch a whole
// column at a time. It implements commit.Rows.
type tableRows[T any] struct {
	table  string
	cols   []column[T]
	insert string
	rows   []T
	// last makes the committer insert these rows after every other table
	// of their group (commit.Last).
	last bool
}

func newTable[T any](table string, cols ...column[T]) *tableRows[T] {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return &tableRows[T]{table: table, cols: cols, insert: fmt.Sprintf("INSERT INTO %s (%s)", table, strings.Join(names, ", "))}
}

func (t *tableRows[T]) InsertSQL() string { return t.insert }
func (t *tableRows[T]) Len() int          { return len(t.rows) }
func (t *tableRows[T]) CommitLast() bool  { return t.last }
func (t *tableRows[T]) reset()            { clear(t.rows); t.rows = t.rows[:0] }

// AppendTo appends every buffered row to a batch prepared with InsertSQL.
func (t *tableRows[T]) AppendTo(b driver.Batch) error {
	if got := len(b.Columns()); got != len(t.cols) {
		return fmt.Errorf("append %s: the batch has %d columns, the rows %d", t.table, got, len(t.cols))
	}
	for i, c := range t.cols {
		if err := b.Column(i).Append(c.values(t.rows)); err != nil {
			return fmt.Errorf("append %s.%s: %w", t.table, c.name, err)
		}
	}
	return nil
}

func str[T any](name string, f func(*T) string) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([]string, len(rows))
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}}
}

func ts[T any](name string, f func(*T) time.Time) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([]time.Time, len(rows))
		for i := range rows {
			out[i] = storedTime(f(&rows[i]))
		}
		return out
	}}
}

func list[T any](name string, f func(*T) []string) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([][]string, len(rows))
		for i := range rows {
			if out[i] = f(&rows[i]); out[i] == nil {
				out[i] = []string{}
			}
		}
		return out
	}}
}

func timeList[T any](name string, f func(*T) []time.Time) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([][]time.Time, len(rows))
		for i := range rows {
			src := f(&rows[i])
			out[i] = make([]time.Time, len(src))
			for j, t := range src {
				out[i][j] = storedTime(t)
			}
		}
		return out
	}}
}

func attrs[T any](name string, f func(*T) map[string]string) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([]map[string]string, len(rows))
		for i := range rows {
			if out[i] = f(&rows[i]); out[i] == nil {
				out[i] = map[string]string{}
			}
		}
		return out
	}}
}

func boolean[T any](name string, f func(*T) bool) column[T] {
	return column[T]{name, func(rows []T) any {
		out := make([]bool, len(rows))
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}}
}

// storedTime maps "not given" (and anything the DateTime64 columns cannot
// hold) to the epoch.
func storedTime(t time.Time) time.Time {
	if t.IsZero() || !InStorableRange(t) {
		return epoch
	}
	return t.UTC()
}

// InStorableRange reports whether t fits the entity tables' time columns
// (after the epoch, which means "not given", and before DateTime64(9)'s end).
func InStorableRange(t time.Time) bool {
	return t.After(epoch) && t.Before(maxStorable)
}

var maxStorable = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)

// entityRow is one event bound for an entity table.
type entityRow struct {
	ev       *delivery.Event
	ingested time.Time
}

func common(table string, key []column[entityRow], rest ...column[entityRow]) *tableRows[entityRow] {
	cols := append(key,
		str("event_id", func(r *entityRow) string { return r.ev.ID }),
		ts("observed_at", func(r *entityRow) time.Time { return r.ev.ObservedAt }),
		ts("ingested_at", func(r *entityRow) time.Time { return r.ingested }),
		str("source", func(r *entityRow) string { return r.ev.Source }),
		str("team", func(r *entityRow) string { return r.ev.Team }),
		str("service", func(r *entityRow) string { return r.ev.Service }),
		str("environment", func(r *entityRow) string { return r.ev.Environment }),
	)
	cols = append(cols, rest...)
	cols = append(cols, attrs("attributes", func(r *entityRow) map[string]string { return r.ev.Attributes }))
	return newTable(table, cols...)
}

func newChangeRows() *tableRows[entityRow] {
	c := func(r *entityRow) *delivery.Change { return r.ev.Change }
	return common("changes",
		[]column[entityRow]{str("change_id", func(r *entityRow) string { return c(r).ID })},
		str("repo", func(r *entityRow) string { return c(r).Repo }),
		str("title", func(r *entityRow) string { return c(r).Title }),
		str("author", func(r *entityRow) string { return c(r).Author }),
		str("branch", func(r *entityRow) string { return c(r).Branch }),
		str("base_branch", func(r *entityRow) string { return c(r).BaseBranch }),
		ts("first_commit_at", func(r *entityRow) time.Time { return c(r).FirstCommitAt }),
		ts("opened_at", func(r *entityRow) time.Time { return c(r).OpenedAt }),
		ts("first_review_at", func(r *entityRow) time.Time { return c(r).FirstReviewAt }),
		ts("approved_at", func(r *entityRow) time.Time { return c(r).ApprovedAt }),
		ts("merged_at", func(r *entityRow) time.Time { return c(r).MergedAt }),
		str("merge_commit", func(r *entityRow) string { return c(r).MergeCommit }),
		list("commits", func(r *entityRow) []string { return c(r).Commits }),
		list("labels", func(r *entityRow) []string { return c(r).Labels }),
	)
}

func newStageRows() *tableRows[entityRow] {
	s := func(r *entityRow) *delivery.PipelineStage { return r.ev.Stage }
	return common("pipeline_stages",
		[]column[entityRow]{
			str("pipeline", func(r *entityRow) string { return s(r).Pipeline }),
			str("run_id", func(r *entityRow) string { return s(r).RunID }),
			str("stage", func(r *entityRow) string { return s(r).Stage }),
		},
		str("kind", func(r *entityRow) string {
			if s(r).Kind == "" {
				return string(delivery.KindOther)
			}
			return string(s(r).Kind)
		}),
		ts("queued_at", func(r *entityRow) time.Time { return s(r).QueuedAt }),
		ts("started_at", func(r *entityRow) time.Time { return s(r).StartedAt }),
		ts("finished_at", func(r *entityRow) time.Time { return s(r).FinishedAt }),
		str("result", func(r *entityRow) string {
			if s(r).Result == delivery.ResultUnknown {
				return "unknown"
			}
			return string(s(r).Result)
		}),
		str("commit", func(r *entityRow) string { return s(r).Commit }),
		list("change_ids", func(r *entityRow) []string { return s(r).ChangeIDs }),
	)
}

func newDeploymentRows() *tableRows[entityRow] {
	d := func(r *entityRow) *delivery.Deployment { return r.ev.Deployment }
	return common("deployments",
		[]column[entityRow]{str("deployment_id", func(r *entityRow) string { return d(r).ID })},
		str("version", func(r *entityRow) string { return d(r).Version }),
		str("commit", func(r *entityRow) string { return d(r).Commit }),
		str("branch", func(r *entityRow) string { return d(r).Branch }),
		str("repo", func(r *entityRow) string { return d(r).Repo }),
		ts("started_at", func(r *entityRow) time.Time { return d(r).StartedAt }),
		ts("finished_at", func(r *entityRow) time.Time { return d(r).FinishedAt }),
		str("status", func(r *entityRow) string {
			if d(r).Status == delivery.StatusUnknown {
				return "unknown"
			}
			return string(d(r).Status)
		}),
		str("rollback_of", func(r *entityRow) string { return d(r).RollbackOf }),
		boolean("unplanned", func(r *entityRow) bool { return d(r).Unplanned }),
		list("change_ids", func(r *entityRow) []string { return d(r).ChangeIDs }),
		list("commits", func(r *entityRow) []string { return d(r).Commits }),
	)
}

func newIncidentRows() *tableRows[entityRow] {
	in := func(r *entityRow) *delivery.Incident { return r.ev.Incident }
	return common("incidents",
		[]column[entityRow]{str("incident_id", func(r *entityRow) string { return in(r).ID })},
		str("severity", func(r *entityRow) string { return in(r).Severity }),
		str("title", func(r *entityRow) string { return in(r).Title }),
		ts("opened_at", func(r *entityRow) time.Time { return in(r).OpenedAt }),
		ts("resolved_at", func(r *entityRow) time.Time { return in(r).ResolvedAt }),
		str("caused_by_deployment", func(r *entityRow) string { return in(r).CausedByDeployment }),
	)
}

func newPushRows() *tableRows[entityRow] {
	p := func(r *entityRow) *delivery.Push { return r.ev.Push }
	return newTable("pushes",
		str("repo", func(r *entityRow) string { return p(r).Repo }),
		str("branch", func(r *entityRow) string { return p(r).Branch }),
		str("event_id", func(r *entityRow) string { return r.ev.ID }),
		ts("pushed_at", func(r *entityRow) time.Time { return p(r).PushedAt }),
		ts("ingested_at", func(r *entityRow) time.Time { return r.ingested }),
		str("source", func(r *entityRow) string { return r.ev.Source }),
		str("before", func(r *entityRow) string { return p(r).Before }),
		str("after", func(r *entityRow) string { return p(r).After }),
		list("commits", func(r *entityRow) []string { return p(r).Commits }),
		timeList("commit_times", func(r *entityRow) []time.Time { return p(r).CommitTimes }),
	)
}

// newRawRows buffers raw copies. They go in last: the raw copy is what marks
// a delivery as stored, so it must never be stored without its entity rows.
func newRawRows() *tableRows[Raw] {
	t := newTable("raw_events",
		ts("received_at", func(r *Raw) time.Time { return r.ReceivedAt }),
		str("source", func(r *Raw) string { return r.Source }),
		str("event_type", func(r *Raw) string { return r.EventType }),
		str("delivery_id", func(r *Raw) string { return r.DeliveryID }),
		str("team", func(r *Raw) string { return r.Team }),
		attrs("headers", func(r *Raw) map[string]string { return r.Headers }),
		str("body", func(r *Raw) string { return string(r.Body) }),
		str("outcome", func(r *Raw) string { return string(r.Outcome) }),
	)
	t.last = true
	return t
}

// Rows holds the rows of one request (or one replayed batch), one buffer
// per table.
type Rows struct {
	changes, stages, deployments, incidents, pushes *tableRows[entityRow]
	raw                                             *tableRows[Raw]
}

// NewRows returns empty buffers for every delivery table.
func NewRows() *Rows {
	return &Rows{
		changes: newChangeRows(), stages: newStageRows(), deployments: newDeploymentRows(),
		incidents: newIncidentRows(), pushes: newPushRows(), raw: newRawRows(),
	}
}

// AddEvent buffers an event in its entity's table.
func (r *Rows) AddEvent(ev *delivery.Event, ingested time.Time) {
	row := entityRow{ev: ev, ingested: ingested}
	switch ev.Type() {
	case delivery.TypeChange:
		r.changes.rows = append(r.changes.rows, row)
	case delivery.TypeStage:
		r.stages.rows = append(r.stages.rows, row)
	case delivery.TypeDeployment:
		r.deployments.rows = append(r.deployments.rows, row)
	case delivery.TypeIncident:
		r.incidents.rows = append(r.incidents.rows, row)
	case delivery.TypePush:
		r.pushes.rows = append(r.pushes.rows, row)
	}
}

// AddRaw buffers a raw copy.
func (r *Rows) AddRaw(raw Raw) { r.raw.rows = append(r.raw.rows, raw) }

// Entities returns the entity buffers that hold rows.
func (r *Rows) Entities() []commit.Rows {
	var out []commit.Rows
	for _, t := range []*tableRows[entityRow]{r.changes, r.stages, r.deployments, r.incidents, r.pushes} {
		if t.Len() > 0 {
			out = append(out, t)
		}
	}
	return out
}

// EntityCount is the number of buffered entity rows.
func (r *Rows) EntityCount() int {
	return r.changes.Len() + r.stages.Len() + r.deployments.Len() + r.incidents.Len() + r.pushes.Len()
}

// Raw returns the raw-copy buffer.
func (r *Rows) Raw() commit.Rows { return r.raw }

// Reset empties every buffer, keeping capacity.
func (r *Rows) Reset() {
	for _, t := range []*tableRows[entityRow]{r.changes, r.stages, r.deployments, r.incidents, r.pushes} {
		t.reset()
	}
	r.raw.reset()
}
