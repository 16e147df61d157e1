// Package commit is ingest's one way into ClickHouse: a group committer that
// merges the rows of concurrent requests into one INSERT per table and
// acknowledges each request only once its rows are stored.
//
// A request's rows are flushed when the pending group reaches MaxRows, or
// when a worker is free and MaxDelay has passed since the group's first row
// or — while no insert is in flight — since the last flush, whichever comes
// first: a lone request is sent at once, a stream of them is grouped. Memory is bounded by
// MaxPendingRows: past it Commit fails fast with ErrOverloaded, so receivers
// answer 503/429 with Retry-After instead of buffering without end. A failed
// insert fails every request of its group with rows in that table or in one
// not yet inserted; their re-deliveries collapse on the tables' idempotency
// keys. Requests whose rows all went into tables inserted before the failure
// are acknowledged: failing them too would have their senders store them
// twice in tables that keep no ids (telemetry).
package commit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
)

// Rows is a set of rows for one table that appends itself to a batch.
type Rows interface {
	// InsertSQL is the batch's statement, e.g. "INSERT INTO deployments (a, b)".
	// Rows with the same InsertSQL share one INSERT.
	InsertSQL() string
	Len() int
	// AppendTo appends every row to a batch prepared with InsertSQL.
	AppendTo(b driver.Batch) error
}

var (
	// ErrOverloaded means the pending buffer is full: retry later.
	ErrOverloaded = errors.New("ingest buffer is full: ClickHouse is slow or unavailable")
	// ErrClosed means the committer is shutting down.
	ErrClosed = errors.New("ingest is shutting down")
)

// InsertError is a failed insert: nothing of the request was acknowledged.
type InsertError struct {
	Table string
	Err   error
}

func (e *InsertError) Error() string { return fmt.Sprintf("insert into %s: %v", e.Table, e.Err) }
func (e *InsertError) Unwrap() error { return e.Err }

// RetryAfter says how long a client should wait before retrying after err.
func RetryAfter(err error) time.Duration {
	var ie *InsertError
	switch {
	case errors.Is(err, ErrOverloaded):
		return time.Second
	case errors.As(err, &ie), errors.Is(err, ErrClosed):
		return 5 * time.Second
	}
	return time.Second
}

// Options tune the committer.
type Options struct {
	MaxRows int // flush a group at this many rows (default 20000)
	// MaxDelay bounds how long a group waits for more rows: a group is sent
	// when a worker is free and either MaxDelay has passed since the group's
	// first row or, while no insert is in flight, since the last group was
	// sent (default 50ms). Sparse requests are therefore sent at once, while
	// a steady stream is grouped into at most one insert per MaxDelay; rows
	// that arrive while the workers are busy join the next group instead of
	// queueing as groups of their own.
	MaxDelay       time.Duration
	MaxPendingRows int           // rows buffered or in flight before ErrOverloaded (default 100000)
	Workers        int           // concurrent inserts (default 2)
	InsertTimeout  time.Duration // per flush (default 60s)
	Log            *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxRows <= 0 {
		o.MaxRows = 20000
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 50 * time.Millisecond
	}
	if o.MaxPendingRows <= 0 {
		o.MaxPendingRows = 100000
	}
	if o.MaxPendingRows < o.MaxRows {
		o.MaxPendingRows = o.MaxRows
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.InsertTimeout <= 0 {
		o.InsertTimeout = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Last is implemented by Rows that must be inserted after every other table
// of their group: when an earlier insert of the group fails they are not
// inserted at all. ingest's raw copies, which mark a delivery as stored, are
// such rows.
type Last interface {
	CommitLast() bool
}

func isLast(r Rows) bool {
	l, ok := r.(Last)
	return ok && l.CommitLast()
}

type request struct {
	rows []Rows
	n    int
	done chan error
}

type group struct {
	reqs   []*request
	n      int
	opened time.Time
}

// Committer is the group committer. Workers pull groups: a group is cut only
// when a worker takes it (or when it is full), so a burst of small requests
// while the inserts are slow becomes one large group, not a queue of small
// ones.
type Committer struct {
	conn driver.Conn
	opt  Options
	m    *metrics

	mu       sync.Mutex
	wake     *sync.Cond // a group may be ready, or the committer is closing
	open     *group     // the group rows join
	full     []*group   // groups cut at MaxRows, oldest first
	pending  int        // rows accepted and not yet answered
	closed   bool
	lastSent time.Time   // when a worker last took a group
	inflight int         // groups being inserted
	timer    *time.Timer // wakes a worker when the open group becomes due
	timerAt  time.Time

	wg sync.WaitGroup
}

// New starts a committer writing through conn. reg may be nil.
func New(conn driver.Conn, opt Options, reg prometheus.Registerer) *Committer {
	opt.defaults()
	c := &Committer{conn: conn, opt: opt, m: newMetrics(reg)}
	c.wake = sync.NewCond(&c.mu)
	for i := 0; i < opt.Workers; i++ {
		c.wg.Add(1)
		go c.worker()
	}
	return c
}

// Commit stores rows and returns once they are committed, or with the reason
// they are not. If ctx ends first Commit returns ctx.Err(), and the rows may
// or may not be stored later: the caller must not acknowledge them. Rows
// implementing Last are inserted after the others.
func (c *Committer) Commit(ctx context.Context, rows ...Rows) error {
	req := &request{done: make(chan error, 1)}
	for _, r := range rows {
		if r != nil && r.Len() > 0 {
			req.rows = append(req.rows, r)
			req.n += r.Len()
		}
	}
	if req.n == 0 {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.pending+req.n > c.opt.MaxPendingRows && c.pending > 0 {
		c.mu.Unlock()
		c.m.overloaded.Inc()
		return ErrOverloaded
	}
	c.pending += req.n
	c.m.pending.Set(float64(c.pending))
	now := time.Now()
	if c.open == nil {
		c.open = &group{opened: now}
	}
	c.open.reqs = append(c.open.reqs, req)
	c.open.n += req.n
	if c.open.n >= c.opt.MaxRows {
		c.full = append(c.full, c.open)
		c.open = nil
		c.wake.Signal()
	} else if !now.Before(c.dueLocked()) {
		c.wake.Signal()
	} else {
		c.armLocked(now)
	}
	c.mu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dueLocked is when the open group may be sent: MaxDelay after its first
// row, or, while no insert is in flight, MaxDelay after the last group was
// taken (at once for a request after a quiet spell). While an insert is in
// flight the group keeps growing rather than racing it with a small insert
// of its own. c.mu must be held.
func (c *Committer) dueLocked() time.Time {
	t := c.open.opened
	if c.inflight == 0 && c.lastSent.Before(t) {
		t = c.lastSent
	}
	return t.Add(c.opt.MaxDelay)
}

// armLocked makes sure a worker wakes when the open group becomes due.
func (c *Committer) armLocked(now time.Time) {
	if c.open == nil {
		return
	}
	due := c.dueLocked()
	if c.timer != nil {
		if !c.timerAt.After(due) {
			return
		}
		c.timer.Stop()
	}
	c.timerAt = due
	c.timer = time.AfterFunc(due.Sub(now), func() {
		c.mu.Lock()
		c.timer = nil
		c.wake.Broadcast()
		c.mu.Unlock()
	})
}

// nextLocked takes the group a free worker should send now, or nil.
func (c *Committer) nextLocked(now time.Time) *group {
	if len(c.full) > 0 {
		g := c.full[0]
		c.full[0] = nil
		c.full = c.full[1:]
		return g
	}
	if c.open != nil && (c.closed || !now.Before(c.dueLocked())) {
		g := c.open
		c.open = nil
		return g
	}
	return nil
}

func (c *Committer) worker() {
	defer c.wg.Done()
	c.mu.Lock()
	for {
		now := time.Now()
		g := c.nextLocked(now)
		if g == nil {
			if c.closed {
				c.mu.Unlock()
				return
			}
			c.armLocked(now)
			c.wake.Wait()
			continue
		}
		c.lastSent = now
		c.inflight++
		c.mu.Unlock()
		stored, err := c.insert(g)
		c.mu.Lock()
		c.inflight--
		c.pending -= g.n
		c.m.pending.Set(float64(c.pending))
		for _, r := range g.reqs {
			r.done <- r.outcome(stored, err)
		}
	}
}

// outcome is the answer to r after its group's insert: err unless every
// statement r has rows for is among those stored before err.
func (r *request) outcome(stored map[string]bool, err error) error {
	if err == nil {
		return nil
	}
	for _, rows := range r.rows {
		if !stored[rows.InsertSQL()] {
			return err
		}
	}
	return nil
}

// insert writes one group: one INSERT per distinct statement, rows
// implementing Last after all the others. It stops at the first failure
// and returns it with the statements inserted before it.
func (c *Committer) insert(g *group) (stored map[string]bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opt.InsertTimeout)
	defer cancel()
	byStmt := map[string][]Rows{}
	var order, last []string
	for _, r := range g.reqs {
		for _, rows := range r.rows {
			s := rows.InsertSQL()
			if _, ok := byStmt[s]; !ok {
				if isLast(rows) {
					last = append(last, s)
				} else {
					order = append(order, s)
				}
			}
			byStmt[s] = append(byStmt[s], rows)
		}
	}
	order = append(order, last...)
	stored = make(map[string]bool, len(order))
	for _, stmt := range order {
		table := tableOf(stmt)
		start := time.Now()
		n, err := c.send(ctx, stmt, byStmt[stmt])
		if err != nil {
			c.m.errors.WithLabelValues(table).Inc()
			c.opt.Log.Warn("group insert failed", "table", table, "rows", n, "err", err)
			return stored, &InsertError{Table: table, Err: err}
		}
		stored[stmt] = true
		c.m.batches.WithLabelValues(table).Inc()
		c.m.rows.WithLabelValues(table).Add(float64(n))
		c.m.batchRows.Observe(float64(n))
		c.m.latency.WithLabelValues(table).Observe(time.Since(start).Seconds())
	}
	return stored, nil
}

func (c *Committer) send(ctx context.Context, stmt string, sets []Rows) (int, error) {
	batch, err := c.conn.PrepareBatch(ctx, stmt)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rows := range sets {
		if err := rows.AppendTo(batch); err != nil {
			_ = batch.Abort()
			return n, err
		}
		n += rows.Len()
	}
	return n, batch.Send()
}

// Close flushes what is pending and stops. Commit calls after Close fail.
func (c *Committer) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.wake.Broadcast()
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// Pending is the number of rows accepted and not yet answered.
func (c *Committer) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending
}

func tableOf(stmt string) string {
	// "INSERT INTO name (..." → name
	const p = "INSERT INTO "
	s := stmt
	if len(s) > len(p) && (s[:len(p)] == p || s[:len(p)] == "insert into ") {
		s = s[len(p):]
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '(' {
			return s[:i]
		}
	}
	return s
}
