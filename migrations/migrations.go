// Package migrations holds deploylens' schema as SQL files and applies them.
//
// Files are named NNNN_name.sql and never edited once released: a later
// change is a new file. Each file is a Go text/template rendered for one node
// or for a cluster:
//
//	{{onCluster}}      ON CLUSTER `c` in cluster mode, else nothing
//	{{engine "X(a)"}}  X(a), or ReplicatedX('/clickhouse/tables/{shard}/{database}/t_local', '{replica}', a)
//	{{shardKey "e"}}   nothing; in cluster mode the Distributed table's sharding key
//	{{ttl "expr"}}     TTL expr + toIntervalDay(N) when the table's retention is N > 0 days
//	{{table "t"}}      t, or t_local in cluster mode (for views that write to local tables)
//
// In cluster mode `CREATE TABLE IF NOT EXISTS t` creates t_local on every node
// and a Distributed table t over it. Every statement must be idempotent, so
// applying twice, or from two processes at once, is safe.
package migrations

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store"
)

//go:embed *.sql
var files embed.FS

// VersionTable records applied migrations.
const VersionTable = "deploylens_schema_migrations"

// Migration is one schema file.
type Migration struct {
	Version  int
	Name     string
	Source   string
	Checksum string
}

// Options shape how migrations render.
type Options struct {
	// Cluster renders ON CLUSTER, replicated local tables and Distributed tables.
	Cluster string
	// RetentionDays per table; tables absent or at 0 keep data forever.
	RetentionDays map[string]int
}

var fileName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	return load(files)
}

func load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: m[2], Source: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

var (
	createTable = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)`)
	engineCall  = regexp.MustCompile(`^([A-Za-z]*MergeTree)\((.*)\)$`)
)

// Render turns a migration into the statements to run.
func Render(m Migration, opt Options) ([]string, error) {
	var out []string
	for i, stmt := range split(m.Source) {
		rendered, err := renderStatement(stmt, opt)
		if err != nil {
			return nil, fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
		}
		out = append(out, rendered...)
	}
	return out, nil
}

// TTLTables lists the tables whose retention the migrations make configurable.
func TTLTables() ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range all {
		for _, stmt := range split(m.Source) {
			if t := createTable.FindStringSubmatch(stmt); t != nil && strings.Contains(stmt, "{{ttl") {
				names = append(names, t[1])
			}
		}
	}
	return names, nil
}

func renderStatement(stmt string, opt Options) ([]string, error) {
	table := ""
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		table = m[1]
	}
	cluster := opt.Cluster
	local := func(t string) string {
		if cluster == "" {
			return t
		}
		return t + "_local"
	}
	shardKey := ""
	funcs := template.FuncMap{
		"onCluster": func() string {
			if cluster == "" {
				return ""
			}
			return "ON CLUSTER " + quoteIdent(cluster)
		},
		"engine": func(e string) (string, error) {
			if cluster == "" {
				return e, nil
			}
			m := engineCall.FindStringSubmatch(strings.TrimSpace(e))
			if m == nil {
				return "", fmt.Errorf("engine %q is not a MergeTree engine call", e)
			}
			args := fmt.Sprintf("'/clickhouse/tables/{shard}/{database}/%s', '{replica}'", local(table))
			if m[2] != "" {
				args += ", " + m[2]
			}
			return "Replicated" + m[1] + "(" + args + ")", nil
		},
		"shardKey": func(e string) string { shardKey = e; return "" },
		"ttl": func(expr string) string {
			if d := opt.RetentionDays[table]; d > 0 {
				return fmt.Sprintf("TTL %s + toIntervalDay(%d)", expr, d)
			}
			return ""
		},
		"table": local,
	}
	tpl, err := template.New("stmt").Funcs(funcs).Option("missingkey=error").Parse(stmt)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, nil); err != nil {
		return nil, err
	}
	sql := strings.TrimSpace(b.String())
	if table == "" || cluster == "" {
		return []string{sql}, nil
	}
	loc := createTable.FindStringSubmatchIndex(sql)
	sql = sql[:loc[2]] + local(table) + sql[loc[3]:]
	if shardKey == "" {
		shardKey = "rand()"
	}
	dist := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s ENGINE = Distributed(%s, currentDatabase(), %s, %s)",
		table, quoteIdent(cluster), local(table), quoteString(cluster), local(table), shardKey)
	return []string{sql, dist}, nil
}

// split cuts a file into statements at lines ending in ';'.
func split(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			if strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(s) + "'"
}

// Migrator applies migrations to one ClickHouse.
type Migrator struct {
	Conn    driver.Conn
	Options Options
	Log     *slog.Logger
	// Source overrides the embedded migrations (tests).
	Source fs.FS
}

// Status of one migration.
type Status struct {
	Migration
	Applied   bool
	AppliedAt time.Time
	// Edited is set when the file differs from what was applied.
	Edited bool
}

func (m *Migrator) migrations() ([]Migration, error) {
	if m.Source != nil {
		return load(m.Source)
	}
	return All()
}

func (m *Migrator) versionTable() Migration {
	src := "CREATE TABLE IF NOT EXISTS " + VersionTable + ` {{onCluster}}
(
    version     UInt32,
    name        String,
    checksum    String,
    applied_at  DateTime64(3, 'UTC')
)
ENGINE = {{engine "ReplacingMergeTree(applied_at)"}}
{{shardKey "version"}}
ORDER BY version;`
	return Migration{Version: 0, Name: "version_table", Source: src}
}

func (m *Migrator) exec(ctx context.Context, stmts []string) error {
	for _, s := range stmts {
		if err := m.Conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%w\nstatement:\n%s", err, s)
		}
	}
	return nil
}

// Status lists every migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	all, err := m.migrations()
	if err != nil {
		return nil, err
	}
	applied, err := m.applied(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(all))
	for _, mig := range all {
		st := Status{Migration: mig}
		if a, ok := applied[mig.Version]; ok {
			st.Applied = true
			st.AppliedAt = a.at
			st.Edited = a.checksum != mig.Checksum
		}
		out = append(out, st)
	}
	return out, nil
}

type appliedRecord struct {
	checksum string
	at       time.Time
}

func (m *Migrator) applied(ctx context.Context) (map[int]appliedRecord, error) {
	var exists uint8
	if err := m.Conn.QueryRow(ctx, "SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = ?", VersionTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	out := map[int]appliedRecord{}
	if exists == 0 {
		return out, nil
	}
	rows, err := m.Conn.Query(ctx, "SELECT version, argMax(checksum, applied_at), min(applied_at) FROM "+VersionTable+" GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		var rec appliedRecord
		if err := rows.Scan(&v, &rec.checksum, &rec.at); err != nil {
			return nil, err
		}
		out[int(v)] = rec
	}
	return out, rows.Err()
}

// Up applies every migration not yet applied and returns them. A migration
// that was edited after it was applied stops it with an error.
func (m *Migrator) Up(ctx context.Context) ([]Migration, error) {
	log := m.Log
	if log == nil {
		log = slog.Default()
	}
	vt, err := Render(m.versionTable(), m.Options)
	if err != nil {
		return nil, err
	}
	if err := m.exec(ctx, vt); err != nil {
		return nil, fmt.Errorf("create %s: %w", VersionTable, err)
	}
	status, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, st := range status {
		if st.Edited {
			return done, fmt.Errorf("migration %04d_%s was edited after it was applied (checksum differs): restore it and put the change in a new migration", st.Version, st.Name)
		}
		if st.Applied {
			continue
		}
		stmts, err := Render(st.Migration, m.Options)
		if err != nil {
			return done, err
		}
		start := time.Now()
		if err := m.exec(ctx, stmts); err != nil {
			return done, fmt.Errorf("apply migration %04d_%s: %w", st.Version, st.Name, err)
		}
		if err := store.InsertRow(ctx, m.Conn, "INSERT INTO "+VersionTable+" (version, name, checksum, applied_at)",
			uint32(st.Version), st.Name, st.Checksum, time.Now().UTC()); err != nil {
			return done, fmt.Errorf("record migration %04d_%s: %w", st.Version, st.Name, err)
		}
		log.Info("applied migration", "version", st.Version, "name", st.Name, "statements", len(stmts), "took", time.Since(start).Round(time.Millisecond))
		done = append(done, st.Migration)
	}
	if err := m.applyRetention(ctx); err != nil {
		return done, err
	}
	return done, nil
}

// applyRetention brings the TTL of existing tables in line with the configured
// retention, since a table created earlier keeps the TTL it was created with.
func (m *Migrator) applyRetention(ctx context.Context) error {
	all, err := m.migrations()
	if err != nil {
		return err
	}
	ttlExpr := regexp.MustCompile(`\{\{\s*ttl\s+"([^"]+)"\s*\}\}`)
	for _, mig := range all {
		for _, stmt := range split(mig.Source) {
			t := createTable.FindStringSubmatch(stmt)
			e := ttlExpr.FindStringSubmatch(stmt)
			if t == nil || e == nil || m.Options.RetentionDays[t[1]] <= 0 {
				continue
			}
			table := t[1]
			if m.Options.Cluster != "" {
				table += "_local"
			}
			onCluster := ""
			if m.Options.Cluster != "" {
				onCluster = " ON CLUSTER " + quoteIdent(m.Options.Cluster)
			}
			q := fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL %s + toIntervalDay(%d)", table, onCluster, e[1], m.Options.RetentionDays[t[1]])
			if err := m.Conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("set retention of %s: %w", t[1], err)
			}
		}
	}
	return nil
}

// Current reports whether every migration is applied.
func (m *Migrator) Current(ctx context.Context) (bool, error) {
	st, err := m.Status(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range st {
		if !s.Applied || s.Edited {
			return false, nil
		}
	}
	return true, nil
}
