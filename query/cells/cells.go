// Package cells keeps facts that SQL computes per cell — one service in one
// environment — stored in ClickHouse under a generation number, and knows
// when they are stale: when an entity they rest on was written after they
// were computed (migration 0007). An answer asks for the current
// generations of its scope's cells; stale ones are computed again first.
//
// DESIGN.md §6 defines failure, attribution, recovery and a change's first
// deployment per service and environment, so a cell's facts do not depend
// on the question asked; answers then aggregate stored rows instead of
// deriving them from the whole history each time.
package cells

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/deploylens/deploylens/query/delivery"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

var queries = delivery.Queries(sqlFiles, "sql/*.sql")

// SupersededGrace is how long the facts of a superseded generation stay
// readable: an answer that learnt the generation just before it was
// superseded still reads them.
const SupersededGrace = 5 * time.Minute

// MarkRetention is how long cell_marks keeps a write mapped to its
// services, and TouchRetention how long entity_touches keeps a write not
// mapped yet (migration 0007's TTLs). A cell computed longer ago than
// MarkRetention, and every cell when touches went unmapped for longer than
// TouchRetention, less an hour for the TTLs' lag, is computed again
// whatever the marks say: a write that made it stale may be gone.
const (
	MarkRetention  = 7 * 24 * time.Hour
	TouchRetention = 24 * time.Hour
)

// refreshTimeout bounds one cell's computation. It runs detached from the
// request that asked for it, so an answer that gives up does not waste the
// work: the next one finds the cell computed.
const refreshTimeout = 10 * time.Minute

// refreshConcurrency is how many cells are computed at once.
const refreshConcurrency = 2

// MaxMappedTouches bounds the touches one answer maps to services; past
// it (a bulk load) every service is marked as written instead, and each
// cell is computed again when next asked for.
const MaxMappedTouches = 200_000

// AllTime spans every event, for the computations that take a window.
var (
	AllTimeFrom = time.Unix(0, 0).UTC()
	AllTimeTo   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Kind is one kind of facts.
type Kind struct {
	// Name of the kind in fact_cells.
	Name string
	// Variant names the settings the facts depend on (for example the
	// incident attribution window); facts of different variants are kept
	// apart.
	Variant string
	// Statements compute a cell's facts: INSERT … SELECT statements run at
	// once with the cell's scope (every team, all time) and the parameters
	// generation, computed_at and Params bound.
	Statements []delivery.Query
	Params     clickhouse.Parameters
	// Tables the statements write, partitioned by generation.
	Tables []string
	// Stages: the facts depend on pipeline stages too.
	Stages bool
}

// Keeper computes and finds the cells of one ClickHouse.
type Keeper struct {
	Conn driver.Conn
	// Cluster names the ClickHouse cluster in cluster mode, where superseded
	// facts are dropped from every node's local tables.
	Cluster string
	// Log receives what an answer cannot report.
	Log *slog.Logger
	// PlainCTE computes facts without materialized CTEs, whatever the
	// server offers (delivery.Runner.PlainCTE).
	PlainCTE bool

	runnerOnce sync.Once
	runner     *delivery.Runner
	flight     singleflight.Group
}

func (k *Keeper) run() *delivery.Runner {
	k.runnerOnce.Do(func() { k.runner = &delivery.Runner{Conn: k.Conn, PlainCTE: k.PlainCTE} })
	return k.runner
}

// cellState is one cell of a scope as cells.sql reports it.
type cellState struct {
	service         string
	generation      uint64
	computedAt      time.Time
	entityAt, anyAt time.Time // latest writes mapped to the service
}

// written is when the cell was last written, for facts of kind.
func (s cellState) written(kind Kind) time.Time {
	if kind.Stages {
		return s.anyAt
	}
	return s.entityAt
}

// clock is what cells.sql reports besides the cells.
type clock struct {
	mappedUpto, oldest, lastTouch, horizon time.Time
}

// Generations returns the current generation of kind's facts in every
// cell of scope (its services in its environment), computing first the
// cells that have none or are stale: written at or after their
// computation, or older than the marks kept (MarkRetention, TouchRetention).
func (k *Keeper) Generations(ctx context.Context, scope delivery.Scope, kind Kind) ([]uint64, error) {
	cells, c, err := k.states(ctx, scope, kind)
	if err != nil {
		return nil, err
	}
	switch {
	case len(cells) == 0:
	case !c.lastTouch.Before(c.mappedUpto):
		marks, err := k.mapTouches(ctx, c)
		if err != nil {
			return nil, err
		}
		for i := range cells {
			m := marks.of(cells[i].service)
			cells[i].entityAt = later(cells[i].entityAt, m.entityAt)
			cells[i].anyAt = later(cells[i].anyAt, m.anyAt)
		}
	case c.horizon.Sub(c.mappedUpto) > time.Hour:
		// Nothing written since: the record moves on, so that a quiet
		// day does not count as touches lost.
		if err := k.mappedUpTo(ctx, c.horizon); err != nil {
			return nil, err
		}
	}
	lost := c.horizon.Sub(c.mappedUpto) > TouchRetention-time.Hour
	gens := make([]uint64, len(cells))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(refreshConcurrency)
	for i, s := range cells {
		expired := lost || c.horizon.Sub(s.computedAt) > MarkRetention-time.Hour
		if s.generation != 0 && !expired && s.written(kind).Before(s.computedAt) {
			gens[i] = s.generation
			continue
		}
		g.Go(func() error {
			gen, err := k.refresh(gctx, kind, s.service, scope.Env(), c.horizon)
			gens[i] = gen
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return gens, nil
}

// states reads scope's cells and the clock (cells.sql).
func (k *Keeper) states(ctx context.Context, scope delivery.Scope, kind Kind) ([]cellState, clock, error) {
	params := delivery.With(scope.Parameters(), "kind", kind.Name, "variant", kind.Variant)
	rows, err := k.run().Query(ctx, k.cellsQuery(), delivery.Variant{}, params)
	if err != nil {
		return nil, clock{}, fmt.Errorf("query the scope's cells: %w", err)
	}
	defer rows.Close()
	var (
		cells []cellState
		c     clock
	)
	for rows.Next() {
		var s cellState
		if err := rows.Scan(&s.service, &s.generation, &s.computedAt, &s.entityAt, &s.anyAt,
			&c.mappedUpto, &c.oldest, &c.lastTouch, &c.horizon); err != nil {
			return nil, clock{}, fmt.Errorf("read the scope's cells: %w", err)
		}
		cells = append(cells, s)
	}
	if err := rows.Err(); err != nil {
		return nil, clock{}, fmt.Errorf("read the scope's cells: %w", err)
	}
	return cells, c, nil
}

// cellsQuery is cells.sql, reading every node's running inserts in cluster
// mode.
func (k *Keeper) cellsQuery() delivery.Query {
	q := queries["cells"]
	if k.Cluster == "" {
		return q
	}
	out := delivery.Query{}
	for v, sql := range q {
		out[v] = strings.ReplaceAll(sql, "FROM system.processes",
			"FROM clusterAllReplicas('"+strings.ReplaceAll(k.Cluster, "'", "\\'")+"', system.processes)")
	}
	return out
}

// writing binds params, and in cluster mode makes an insert into a
// Distributed table return only once its shards stored it: marks must be
// visible before the record of how far touches are mapped.
func (k *Keeper) writing(ctx context.Context, params clickhouse.Parameters) context.Context {
	opts := []clickhouse.QueryOption{clickhouse.WithParameters(params)}
	if k.Cluster != "" {
		opts = append(opts, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
	}
	return clickhouse.Context(ctx, opts...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// serviceMarks are the latest writes mapped to each service; all, when
// set, stands for every service.
type serviceMarks struct {
	by  map[string]cellState
	all time.Time
}

func (m serviceMarks) of(service string) cellState {
	s := m.by[service]
	s.entityAt, s.anyAt = later(s.entityAt, m.all), later(s.anyAt, m.all)
	return s
}

// mapTouches maps the touches not mapped yet to the services they reach,
// stores the marks and how far touches are mapped, and returns the marks.
// Touches stamped before every computation of a cell — the oldest current
// one, or one still running (at most refreshTimeout old) — cannot make one
// stale and are skipped.
func (k *Keeper) mapTouches(ctx context.Context, c clock) (serviceMarks, error) {
	from := c.horizon.Add(-refreshTimeout - time.Minute)
	if !c.oldest.IsZero() && c.oldest.Before(from) {
		from = c.oldest
	}
	// Not shared with a mapping already running: it may have read the
	// touches before a write this answer must count.
	return k.mapSince(ctx, later(from, c.mappedUpto), c)
}

func (k *Keeper) mapSince(ctx context.Context, from time.Time, c clock) (serviceMarks, error) {
	fromParam := clickhouse.Parameters{"since": millis(from)}
	var n uint64
	if err := k.Conn.QueryRow(k.writing(ctx, fromParam),
		"SELECT sum(length(ids)) FROM entity_touches WHERE at >= {since:DateTime64(3, 'UTC')}").Scan(&n); err != nil {
		return serviceMarks{}, fmt.Errorf("count the writes since %v: %w", from, err)
	}
	marks := serviceMarks{by: map[string]cellState{}}
	if n > MaxMappedTouches {
		// A bulk load: every service is marked written at the last touch.
		if err := k.Conn.Exec(k.writing(ctx, clickhouse.Parameters{"at": millis(c.lastTouch)}),
			`INSERT INTO cell_marks (service, by_stage, at)
			 SELECT DISTINCT service, false, {at:DateTime64(3, 'UTC')}
			 FROM (SELECT service FROM deployments UNION ALL SELECT service FROM incidents)`); err != nil {
			return serviceMarks{}, fmt.Errorf("mark every service written: %w", err)
		}
		marks.all = c.lastTouch
	} else if n > 0 {
		rows, err := k.run().Query(ctx, queries["touched"], delivery.Variant{}, fromParam)
		if err != nil {
			return serviceMarks{}, fmt.Errorf("map the writes since %v: %w", from, err)
		}
		batch, err := k.Conn.PrepareBatch(k.writing(ctx, nil), "INSERT INTO cell_marks (service, by_stage, at)")
		if err != nil {
			rows.Close()
			return serviceMarks{}, err
		}
		for rows.Next() {
			var (
				service string
				byStage bool
				at      time.Time
			)
			if err := rows.Scan(&service, &byStage, &at); err != nil {
				rows.Close()
				return serviceMarks{}, fmt.Errorf("read the writes since %v: %w", from, err)
			}
			m := marks.by[service]
			if !byStage {
				m.entityAt = later(m.entityAt, at)
			}
			m.anyAt = later(m.anyAt, at)
			marks.by[service] = m
			if err := batch.Append(service, byStage, at); err != nil {
				rows.Close()
				return serviceMarks{}, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return serviceMarks{}, fmt.Errorf("read the writes since %v: %w", from, err)
		}
		if err := batch.Send(); err != nil {
			return serviceMarks{}, fmt.Errorf("store the marks: %w", err)
		}
	}
	if err := k.mappedUpTo(ctx, c.horizon); err != nil {
		return serviceMarks{}, err
	}
	return marks, nil
}

// mappedUpTo records that every touch stamped before horizon is mapped.
// Touches from the horizon on may belong to inserts still running; they are
// mapped again next time.
func (k *Keeper) mappedUpTo(ctx context.Context, horizon time.Time) error {
	if err := k.Conn.Exec(k.writing(ctx, clickhouse.Parameters{"upto": millis(horizon)}),
		"INSERT INTO touches_mapped (upto) SELECT {upto:DateTime64(3, 'UTC')}"); err != nil {
		return fmt.Errorf("record the mapped writes: %w", err)
	}
	return nil
}

// refresh computes one cell's facts under a new generation, computed as of
// now (ClickHouse's clock before any of the cell's data was read), and
// returns it. Concurrent requests for the same cell share one computation,
// which runs to its end even when the request that started it gives up.
func (k *Keeper) refresh(ctx context.Context, kind Kind, service, env string, now time.Time) (uint64, error) {
	key := strings.Join([]string{kind.Name, kind.Variant, service, env}, "\x00")
	ch := k.flight.DoChan(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		return k.compute(ctx, kind, service, env, now)
	})
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return 0, res.Err
		}
		return res.Val.(uint64), nil
	}
}

// cellParams are the parameters of one cell's statements.
func cellParams(kind Kind, service, env string) clickhouse.Parameters {
	cell := delivery.Scope{Service: service, Environment: env, From: AllTimeFrom, To: AllTimeTo}
	p := delivery.With(cell.Parameters(), "kind", kind.Name, "variant", kind.Variant)
	for name, v := range kind.Params {
		p[name] = v
	}
	return p
}

func (k *Keeper) compute(ctx context.Context, kind Kind, service, env string, now time.Time) (uint64, error) {
	gen, err := newGeneration()
	if err != nil {
		return 0, err
	}
	params := generationParams(kind, service, env, gen, now)
	variant, err := k.run().Variant(ctx, params)
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, stmt := range kind.Statements {
		g.Go(func() error {
			if err := k.run().Exec(gctx, stmt, variant, params); err != nil {
				return fmt.Errorf("compute the %s facts of service %q in %s (statement %d): %w", kind.Name, service, env, i+1, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	// The cell row last: until it is stored, answers read the previous
	// generation, whose facts are complete.
	if err := k.Record(ctx, kind, service, env, gen, now); err != nil {
		return 0, fmt.Errorf("record the %s facts of service %q in %s: %w", kind.Name, service, env, err)
	}
	k.Collect(ctx, kind, service, env, now)
	return gen, nil
}

// Collect drops the facts of a cell's generations superseded more than
// SupersededGrace before now. A failure leaves garbage, never a wrong
// answer, so it is logged rather than returned.
func (k *Keeper) Collect(ctx context.Context, kind Kind, service, env string, now time.Time) {
	rows, err := k.run().Query(ctx, queries["generations"], delivery.Variant{}, cellParams(kind, service, env))
	if err != nil {
		k.logCollect(err)
		return
	}
	type computed struct {
		gen uint64
		at  time.Time
	}
	var all []computed
	for rows.Next() {
		var r computed
		if err := rows.Scan(&r.gen, &r.at); err != nil {
			rows.Close()
			k.logCollect(err)
			return
		}
		all = append(all, r)
	}
	rows.Close()
	var old []string
	for i := 0; i+1 < len(all); i++ {
		if all[i+1].at.Before(now.Add(-SupersededGrace)) {
			old = append(old, strconv.FormatUint(all[i].gen, 10))
		}
	}
	if len(old) == 0 {
		return
	}
	for _, table := range kind.Tables {
		for _, gen := range old {
			if err := k.Conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s%s DROP PARTITION %s", k.local(table), k.onCluster(), gen)); err != nil {
				k.logCollect(err)
				return
			}
		}
	}
	list := strings.Join(old, ",")
	stmt := fmt.Sprintf("DELETE FROM fact_cells WHERE generation IN [%s]", list)
	if k.Cluster != "" {
		stmt = fmt.Sprintf("ALTER TABLE %s%s DELETE WHERE generation IN [%s]", k.local("fact_cells"), k.onCluster(), list)
	}
	if err := k.Conn.Exec(ctx, stmt); err != nil {
		k.logCollect(err)
	}
}

func (k *Keeper) logCollect(err error) {
	if k.Log != nil {
		k.Log.Warn("dropping superseded facts failed; they stay until their cell is computed again", "err", err)
	}
}

// local names a table's local part: in cluster mode partitions are dropped
// on every node's local table.
func (k *Keeper) local(table string) string {
	if k.Cluster == "" {
		return table
	}
	return table + "_local"
}

func (k *Keeper) onCluster() string {
	if k.Cluster == "" {
		return ""
	}
	return " ON CLUSTER `" + strings.ReplaceAll(k.Cluster, "`", "``") + "`"
}

// Record stores that kind's facts of a cell were computed under gen as of
// at: from then on answers read that generation.
func (k *Keeper) Record(ctx context.Context, kind Kind, service, env string, gen uint64, at time.Time) error {
	return k.run().Exec(ctx, queries["computed"], delivery.Variant{}, generationParams(kind, service, env, gen, at))
}

// generationParams are the parameters of one computation of a cell.
func generationParams(kind Kind, service, env string, gen uint64, at time.Time) clickhouse.Parameters {
	return delivery.With(cellParams(kind, service, env), "generation", strconv.FormatUint(gen, 10), "computed_at", millis(at))
}

// millis renders a DateTime64(3, 'UTC') parameter value.
func millis(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// UintArray renders an Array(UInt64) parameter value.
func UintArray(values []uint64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// newGeneration draws a generation number: random, so that computations on
// several servers never collide, and never 0 (no generation).
func newGeneration() (uint64, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("draw a generation: %w", err)
		}
		if g := binary.LittleEndian.Uint64(b[:]) >> 1; g != 0 {
			return g, nil
		}
	}
}
