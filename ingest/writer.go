package ingest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/server"
)

// Committer stores rows durably; *commit.Committer is the one deploylens runs.
type Committer interface {
	Commit(ctx context.Context, rows ...commit.Rows) error
}

// TeamResolver names the team owning a service, "" when none is known.
type TeamResolver interface {
	Team(ctx context.Context, service string) (string, error)
}

// Writer stores what receivers translate: entity rows and raw copies, each
// delivery once, committed before the request is answered.
type Writer struct {
	Committer Committer
	// Conn answers the lookup of already stored deliveries; nil skips it
	// (re-deliveries still collapse on the tables' keys, but are not
	// counted as duplicates and a later body may replace an earlier one).
	Conn    driver.Conn
	Teams   TeamResolver
	Metrics *Metrics
	Now     func() time.Time

	pool      sync.Pool
	indexOnce sync.Once
	index     *deliveryIndex
}

// Result is what a write did.
type Result struct {
	Accepted   int `json:"accepted"`   // deliveries stored
	Duplicates int `json:"duplicates"` // deliveries already stored, ignored
	Events     int `json:"events"`     // entity events stored
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Writer) rows() *Rows {
	if r, ok := w.pool.Get().(*Rows); ok {
		return r
	}
	return NewRows()
}

// Write stores the items of one request from source. Every event is
// validated first; nothing is stored unless all are valid. It returns once
// the rows are committed, or with why they are not.
func (w *Writer) Write(ctx context.Context, source string, items []Item) (Result, error) {
	var res Result
	now := w.now()
	for i := range items {
		for j := range items[i].Events {
			if errs := items[i].Events[j].Validate(); len(errs) > 0 {
				prefix := ""
				if len(items) > 1 {
					prefix = fmt.Sprintf("[%d].", i)
				}
				e := Invalid("an event lacks a required field", prefix, errs)
				e.Events = len(items)
				return res, e
			}
		}
	}
	// Scope before duplicates, so that a token learns nothing of another
	// team's deliveries from being told they are stored already.
	if err := w.resolveTeams(ctx, items); err != nil {
		return res, err
	}
	if err := inScope(ctx, items); err != nil {
		return res, err
	}
	items, dups, err := w.fresh(ctx, source, items)
	if err != nil {
		return res, err
	}
	res.Duplicates = dups
	rows := w.rows()
	for i := range items {
		it := &items[i]
		for j := range it.Events {
			rows.AddEvent(&it.Events[j], now)
		}
		raw := it.Raw
		raw.Source = source
		if raw.ReceivedAt.IsZero() {
			raw.ReceivedAt = now
		}
		if raw.Outcome == "" {
			raw.Outcome = OutcomeIgnored
			if len(it.Events) > 0 {
				raw.Outcome = OutcomeStored
			}
		}
		rows.AddRaw(raw)
	}
	res.Accepted = len(items)
	res.Events = rows.EntityCount()
	start := time.Now()
	// Entities first, the raw copy last (one group commit; the committer
	// inserts raw_events after every entity table of the group): the raw
	// copy is what marks a delivery as stored, so a failure between the two
	// leaves a delivery that a retry stores again rather than one it skips
	// as a duplicate.
	err = w.commit(ctx, rows, true)
	if w.Metrics != nil {
		w.Metrics.commit.WithLabelValues(source).Observe(time.Since(start).Seconds())
	}
	if err != nil {
		return Result{}, &notStored{err: err, events: len(items)}
	}
	w.Metrics.count(source, "accepted", res.Accepted)
	w.Metrics.count(source, "duplicate", res.Duplicates)
	if w.Metrics != nil && res.Accepted > 0 {
		w.Metrics.batch.WithLabelValues(source).Observe(float64(res.Accepted))
	}
	return res, nil
}

// commit sends the entity rows and (withRaw) the raw copies in one group
// commit, the raw copies inserted after every entity table of the group
// (commit.Last), and recycles the buffers unless the committer may still
// hold them.
func (w *Writer) commit(ctx context.Context, rows *Rows, withRaw bool) error {
	all := rows.Entities()
	if withRaw && rows.Raw().Len() > 0 {
		all = append(all, rows.Raw())
	}
	var err error
	if len(all) > 0 {
		err = w.Committer.Commit(ctx, all...)
	}
	if ctx.Err() == nil {
		rows.Reset()
		w.pool.Put(rows)
	}
	return err
}

// CommitEvents stores events without raw copies or duplicate checks (replay).
func (w *Writer) CommitEvents(ctx context.Context, events []delivery.Event) error {
	items := []Item{{Events: events}}
	if err := w.resolveTeams(ctx, items); err != nil {
		return err
	}
	rows := w.rows()
	now := w.now()
	for i := range events {
		rows.AddEvent(&events[i], now)
	}
	return w.commit(ctx, rows, false)
}

// fresh drops deliveries seen earlier in the request or already stored.
func (w *Writer) fresh(ctx context.Context, source string, items []Item) ([]Item, int, error) {
	seen := make(map[string]struct{}, len(items))
	out := make([]Item, 0, len(items))
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if _, dup := seen[it.Raw.DeliveryID]; dup {
			continue
		}
		seen[it.Raw.DeliveryID] = struct{}{}
		out = append(out, it)
		ids = append(ids, it.Raw.DeliveryID)
	}
	dups := len(items) - len(out)
	if w.Conn == nil || len(ids) == 0 {
		return out, dups, nil
	}
	w.indexOnce.Do(func() { w.index = &deliveryIndex{conn: w.Conn} })
	stored, err := w.index.stored(ctx, source, ids)
	if err != nil {
		return nil, 0, &storeError{fmt.Errorf("look up earlier deliveries: %w", err)}
	}
	if len(stored) == 0 {
		return out, dups, nil
	}
	kept := out[:0]
	for _, it := range out {
		if _, ok := stored[it.Raw.DeliveryID]; ok {
			dups++
			continue
		}
		kept = append(kept, it)
	}
	return kept, dups, nil
}

// inScope refuses a request whose token is scoped to some teams when one of
// its events belongs to another team, or to none the catalog knows. Requests
// without a token (webhooks, whose secret covers every team, and replay)
// are not scoped.
func inScope(ctx context.Context, items []Item) error {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok || p.AllTeams() {
		return nil
	}
	var details []server.Detail
	for i := range items {
		prefix := ""
		if len(items) > 1 {
			prefix = fmt.Sprintf("[%d].", i)
		}
		for _, ev := range items[i].Events {
			switch {
			case p.CanSeeTeam(ev.Team):
			case ev.Team == "":
				details = append(details, server.Detail{Field: prefix + "team", Message: "is required from this token: the event names no team and the catalog knows no owner of its service"})
			default:
				details = append(details, server.Detail{Field: prefix + "team", Message: fmt.Sprintf("%q is outside the token's team scope", ev.Team)})
			}
		}
	}
	if len(details) == 0 {
		return nil
	}
	return &RequestError{Status: http.StatusForbidden, Details: details, Events: len(items),
		Msg: fmt.Sprintf("this token may write only the events of teams %s; nothing was stored", strings.Join(p.Teams, ", "))}
}

// resolveTeams gives events that name a service but no team the team the
// catalog says owns the service, and each raw copy its first event's team.
func (w *Writer) resolveTeams(ctx context.Context, items []Item) error {
	for i := range items {
		it := &items[i]
		for j := range it.Events {
			ev := &it.Events[j]
			if ev.Team == "" && ev.Service != "" && w.Teams != nil {
				team, err := w.Teams.Team(ctx, ev.Service)
				if err != nil {
					return &storeError{fmt.Errorf("read the service catalog: %w", err)}
				}
				ev.Team = team
			}
			if it.Raw.Team == "" {
				it.Raw.Team = ev.Team
			}
		}
	}
	return nil
}
