package delivery

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed sql/*.sql
var sharedSQL embed.FS

// Variant is how a query is rendered for one run.
type Variant struct {
	// Pushes includes the push-chain links (tier 3); leaving them out when
	// no deployment in scope needs them spares ClickHouse analysing and
	// running a large part of the query.
	Pushes bool
	// Materialized computes a WITH item referenced several times once
	// (servers with materialized CTEs).
	Materialized bool
}

// Query is one query rendered in every variant.
type Query map[Variant]string

// Queries parses a package's SQL templates (files matching pattern in fsys)
// together with the shared ones, and renders every file that is a query
// (not only definitions) under its name without ".sql", in every Variant.
// Templates take only the variant: the SQL they make never holds a request
// value, so a parse or render error is a programming error and panics.
func Queries(fsys fs.FS, pattern string) map[string]Query {
	set := template.New("").Option("missingkey=error").Funcs(template.FuncMap{
		"args": func(s ...string) []string { return s },
	})
	set = template.Must(set.ParseFS(sharedSQL, "sql/*.sql"))
	names, err := fs.Glob(fsys, pattern)
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("delivery: no SQL files match %q", pattern))
	}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		set = template.Must(set.New(name).Parse(string(src)))
	}
	out := map[string]Query{}
	for _, name := range names {
		q := Query{}
		for _, v := range []Variant{{false, false}, {false, true}, {true, false}, {true, true}} {
			var b bytes.Buffer
			if err := set.ExecuteTemplate(&b, name, v); err != nil {
				panic(fmt.Sprintf("delivery: render %s: %v", name, err))
			}
			q[v] = strings.TrimSpace(b.String())
		}
		if q[Variant{}] != "" {
			out[strings.TrimSuffix(path.Base(name), ".sql")] = q
		}
	}
	return out
}

// needsPushes finds a deployment in scope that lists neither changes nor
// commits but names a branch and commit that pushes were recorded for: one
// that only push chains link. Without such pushes tier 3 links nothing, and
// leaving its SQL out makes a query several times cheaper.
const needsPushes = `
WITH if({team:String} != '', [{team:String}], {teams:Array(String)}) AS scope_teams
SELECT count() > 0
FROM deployments
WHERE empty(change_ids) AND empty(commits) AND commit != '' AND branch != ''
  AND (repo, branch) GLOBAL IN (SELECT DISTINCT repo, branch FROM pushes)
  AND ({service:String} = '' OR service = {service:String})
  AND environment IN ({environment:String}, '')
  AND (empty(scope_teams) OR has(scope_teams, team)
       OR (team = '' AND service GLOBAL IN (
           SELECT service FROM service_catalog GROUP BY service
           HAVING has(scope_teams, argMax(team, updated_at)) AND argMax(deleted, updated_at) = false)))
LIMIT 1`

// serverSettings asks which of the settings the queries like to set the
// server knows (older servers reject unknown settings).
const serverSettings = `SELECT name FROM system.settings WHERE name IN ('enable_materialized_cte', 'optimize_and_compare_chain', 'insert_distributed_sync')`

// Runner runs delivery queries on one ClickHouse, choosing each run's
// variant.
type Runner struct {
	Conn driver.Conn
	// PlainCTE never uses materialized CTEs, whatever the server offers.
	PlainCTE bool

	once         sync.Once
	materialized bool
	// settings every query runs with.
	settings clickhouse.Settings
}

// Variant decides how to render the queries of one answer over scope
// (given as its parameters).
func (r *Runner) Variant(ctx context.Context, params clickhouse.Parameters) (Variant, error) {
	r.once.Do(r.probe)
	var found uint8
	if err := r.Conn.QueryRow(Context(ctx, params), needsPushes).Scan(&found); err != nil {
		return Variant{}, fmt.Errorf("look for push-linked deployments: %w", err)
	}
	return Variant{Pushes: found == 1, Materialized: r.materialized}, nil
}

// probe learns what the server offers. The queries are written so that
// LEFT JOINs without a match give default values (join_use_nulls = 0).
// The chains of comparisons in them make the and-compare-chain rewrite cost
// more analysis time (several hundred milliseconds) than it saves, so it is
// off where the server has it.
func (r *Runner) probe() {
	r.settings = clickhouse.Settings{"join_use_nulls": 0}
	// Not the request's context: a cancelled request must not decide.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := r.Conn.Query(ctx, serverSettings)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			return
		}
		switch name {
		case "enable_materialized_cte":
			r.materialized = !r.PlainCTE
		case "optimize_and_compare_chain":
			r.settings["optimize_and_compare_chain"] = 0
		case "insert_distributed_sync":
			// In cluster mode an INSERT … SELECT (Exec) is stored on its
			// shards before it returns, so rows inserted after it are
			// never visible before it.
			r.settings["insert_distributed_sync"] = 1
		}
	}
}

// Query runs one variant of q with params bound.
func (r *Runner) Query(ctx context.Context, q Query, v Variant, params clickhouse.Parameters) (driver.Rows, error) {
	var rows driver.Rows
	err := r.run(ctx, v, params, func(ctx context.Context, v Variant) (err error) {
		rows, err = r.Conn.Query(ctx, q[v])
		return err
	})
	return rows, err
}

// Exec runs one variant of the statement q (an INSERT … SELECT) with params
// bound.
func (r *Runner) Exec(ctx context.Context, q Query, v Variant, params clickhouse.Parameters) error {
	return r.run(ctx, v, params, func(ctx context.Context, v Variant) error {
		return r.Conn.Exec(ctx, q[v])
	})
}

// run calls do with the context and settings variant v runs with.
func (r *Runner) run(ctx context.Context, v Variant, params clickhouse.Parameters, do func(context.Context, Variant) error) error {
	r.once.Do(r.probe)
	settings := clickhouse.Settings{}
	for k, val := range r.settings {
		settings[k] = val
	}
	if v.Materialized {
		settings["enable_materialized_cte"] = 1
	}
	err := do(clickhouse.Context(ctx, clickhouse.WithParameters(params), clickhouse.WithSettings(settings)), v)
	if err != nil && v.Materialized && materializationRace(err) {
		// Materialized CTEs are experimental in ClickHouse 26.x; on a race
		// in their scheduling the same query without them gives the same
		// answer, only slower.
		v.Materialized = false
		delete(settings, "enable_materialized_cte")
		return do(clickhouse.Context(ctx, clickhouse.WithParameters(params), clickhouse.WithSettings(settings)), v)
	}
	return err
}

// materializationRace recognises ClickHouse's LOGICAL_ERROR "Reading from
// materialized CTE ... before its materialization completed", which
// ClickHouse 26.9 raises now and then for queries over empty tables.
func materializationRace(err error) bool {
	return strings.Contains(err.Error(), "before its materialization completed")
}

// Context binds query parameters and pins the settings the queries are
// written for: a LEFT JOIN without a match yields default values, not NULL.
func Context(ctx context.Context, params clickhouse.Parameters) context.Context {
	return clickhouse.Context(ctx,
		clickhouse.WithParameters(params),
		clickhouse.WithSettings(clickhouse.Settings{"join_use_nulls": 0}),
	)
}
