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

// DefaultMargin is how long after a write its cell is computed again on
// every answer: a write's touch is stamped when ClickHouse receives its
// insert, and its rows become visible when the insert completes, so a
// computation that started in between may have missed them. Inserts finish
// well within a minute.
const DefaultMargin = time.Minute

// SupersededGrace is how long the facts of a superseded generation stay
// readable: an answer that learnt the generation just before it was
// superseded still reads them.
const SupersededGrace = 5 * time.Minute

// TouchRetention is how long entity_touches keeps a write's touch
// (migration 0007's TTL). A cell computed longer ago than that, less an
// hour for the TTL's lag and the margin, is computed again whatever the
// touches say, since a write that made it stale may be gone from them.
const TouchRetention = 7 * 24 * time.Hour

// refreshTimeout bounds one cell's computation. It runs detached from the
// request that asked for it, so an answer that gives up does not waste the
// work: the next one finds the cell computed.
const refreshTimeout = 10 * time.Minute

// refreshConcurrency is how many cells are computed at once.
const refreshConcurrency = 2

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
	// Margin is how long after a write its cells are computed again on every
	// answer (DefaultMargin if zero).
	Margin time.Duration
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

func (k *Keeper) margin() time.Duration {
	if k.Margin > 0 {
		return k.Margin
	}
	return DefaultMargin
}

// cellState is one cell of a scope as cells.sql reports it.
type cellState struct {
	service    string
	generation uint64
	computedAt time.Time
	touchedAt  time.Time
}

// Generations returns the current generation of kind's facts in every
// cell of scope (its services in its environment), computing first the
// cells that have none or are stale.
func (k *Keeper) Generations(ctx context.Context, scope delivery.Scope, kind Kind) ([]uint64, error) {
	params := delivery.With(scope.Parameters(), "kind", kind.Name, "variant", kind.Variant)
	rows, err := k.run().Query(ctx, queries["cells"], delivery.Variant{}, params)
	if err != nil {
		return nil, fmt.Errorf("query the scope's cells: %w", err)
	}
	var (
		cells          []cellState
		lastWrite, now time.Time
	)
	for rows.Next() {
		var s cellState
		if err := rows.Scan(&s.service, &s.generation, &s.computedAt, &lastWrite, &now); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the scope's cells: %w", err)
		}
		cells = append(cells, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the scope's cells: %w", err)
	}
	// Writes since the oldest computation less the margin can make cells
	// stale; only then is it worth finding which.
	var oldest time.Time
	for _, s := range cells {
		if s.generation != 0 && (oldest.IsZero() || s.computedAt.Before(oldest)) {
			oldest = s.computedAt
		}
	}
	if since := oldest.Add(-k.margin()); !oldest.IsZero() && lastWrite.After(since) {
		touched, err := k.touched(ctx, since, kind.Stages)
		if err != nil {
			return nil, err
		}
		for i := range cells {
			cells[i].touchedAt = touched[cells[i].service]
		}
	}
	gens := make([]uint64, len(cells))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(refreshConcurrency)
	for i, s := range cells {
		expired := now.Sub(s.computedAt) > TouchRetention-time.Hour
		if s.generation != 0 && !expired && !s.touchedAt.After(s.computedAt.Add(-k.margin())) {
			gens[i] = s.generation
			continue
		}
		g.Go(func() error {
			gen, err := k.refresh(gctx, kind, s.service, scope.Env(), now)
			gens[i] = gen
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return gens, nil
}

// touched returns the latest write after since that reaches each service
// (pipeline stages included when stages).
func (k *Keeper) touched(ctx context.Context, since time.Time, stages bool) (map[string]time.Time, error) {
	params := clickhouse.Parameters{"since": since.UTC().Format("2006-01-02 15:04:05.000")}
	rows, err := k.run().Query(ctx, queries["touched"], delivery.Variant{}, params)
	if err != nil {
		return nil, fmt.Errorf("query the writes since %v: %w", since, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var (
			service           string
			entityAt, stageAt time.Time
		)
		if err := rows.Scan(&service, &entityAt, &stageAt); err != nil {
			return nil, fmt.Errorf("read the writes since %v: %w", since, err)
		}
		if stages {
			entityAt = stageAt
		}
		out[service] = entityAt
	}
	return out, rows.Err()
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
	params := delivery.With(cellParams(kind, service, env),
		"generation", strconv.FormatUint(gen, 10),
		"computed_at", now.UTC().Format("2006-01-02 15:04:05.000"))
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
	if err := k.run().Exec(ctx, queries["computed"], delivery.Variant{}, params); err != nil {
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
// at (tests use it to lay out generations).
func (k *Keeper) Record(ctx context.Context, kind Kind, service, env string, gen uint64, at time.Time) error {
	params := delivery.With(cellParams(kind, service, env),
		"generation", strconv.FormatUint(gen, 10),
		"computed_at", at.UTC().Format("2006-01-02 15:04:05.000"))
	return k.run().Exec(ctx, queries["computed"], delivery.Variant{}, params)
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
