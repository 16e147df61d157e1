package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/embedded"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f storeFlags
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploylens migrate up|status [flags]")
		fs.PrintDefaults()
	}
	f.register(fs)
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		fs.Usage()
		return usageError{errors.New("migrate needs a subcommand: up or status")}
	}
	sub := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return usageError{err}
	}
	st, log, err := openStore(ctx, &f, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	m := &migrations.Migrator{Conn: st.Conn, Options: f.migrationOptions(), Log: log}
	if sub == "up" {
		done, err := m.Up(ctx)
		for _, d := range done {
			fmt.Fprintf(stdout, "applied %04d_%s\n", d.Version, d.Name)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "schema is current")
		}
		return nil
	}
	status, err := m.Status(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, s := range status {
		state, at := "pending", ""
		if s.Applied {
			state, at = "applied", s.AppliedAt.UTC().Format(time.RFC3339)
		}
		if s.Edited {
			state = "EDITED after apply"
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
	}
	return tw.Flush()
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f storeFlags
	var name, role, teams string
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploylens token create --name N --role admin|ingest|read [--teams a,b] | list | revoke ID")
		fs.PrintDefaults()
	}
	f.register(fs)
	fs.StringVar(&name, "name", "", "what the token is for (create)")
	fs.StringVar(&role, "role", "read", "admin, ingest or read (create)")
	fs.StringVar(&teams, "teams", "*", "comma-separated teams the token may see, * for all (create)")
	if len(args) == 0 {
		fs.Usage()
		return usageError{errors.New("token needs a subcommand: create, list or revoke")}
	}
	sub := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return usageError{err}
	}
	var r auth.Role
	var teamList []string
	switch sub {
	case "create":
		var err error
		if r, err = auth.ParseRole(role); err != nil {
			return usageError{fmt.Errorf("--role: %v", err)}
		}
		if strings.TrimSpace(name) == "" {
			return usageError{errors.New("--name is required: say what the token is for")}
		}
		for _, t := range strings.Split(teams, ",") {
			if t = strings.TrimSpace(t); t != "" {
				teamList = append(teamList, t)
			}
		}
	case "list":
	case "revoke":
		if fs.NArg() != 1 {
			return usageError{errors.New("token revoke needs the token id (see token list)")}
		}
	default:
		fs.Usage()
		return usageError{fmt.Errorf("unknown token subcommand %q", sub)}
	}
	st, _, err := openStore(ctx, &f, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	// Tokens may be made before the first serve: bring the schema up first.
	if _, err := (&migrations.Migrator{Conn: st.Conn, Options: f.migrationOptions()}).Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tokens := auth.NewTokens(st.Conn, 0)
	switch sub {
	case "create":
		plain, tok, err := tokens.Create(ctx, name, r, teamList)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created token %s (%s, teams %s); it is shown once:\n", tok.ID, tok.Role, strings.Join(tok.Teams, ","))
		fmt.Fprintln(stdout, plain)
	case "list":
		list, err := tokens.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tTEAMS\tCREATED\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", t.ID, t.Name, t.Role, strings.Join(t.Teams, ","), t.CreatedAt.Format(time.RFC3339), t.Revoked)
		}
		return tw.Flush()
	case "revoke":
		if err := tokens.Revoke(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("revoke %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
	}
	return nil
}

func runSQL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f storeFlags
	var format string
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploylens sql [--format tsv|csv|json|table] 'SELECT ...'")
		fs.PrintDefaults()
	}
	f.register(fs)
	fs.StringVar(&format, "format", "tsv", "output: tsv (tab-separated, the default), tsv-header, csv, json (one object a line) or table")
	if err := parseFlags(fs, args); err != nil {
		return usageError{err}
	}
	switch format {
	case "tsv", "tsv-header", "csv", "json", "table":
	default:
		return usageError{fmt.Errorf("--format %q is not one of tsv, tsv-header, csv, json, table", format)}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{errors.New("sql needs exactly one SQL statement (quote it)")}
	}
	st, _, err := openStore(ctx, &f, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Conn.Query(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	defer rows.Close()
	cols := rows.Columns()
	types := rows.ColumnTypes()
	vals := make([]any, len(cols))
	for i, t := range types {
		vals[i] = reflect.New(t.ScanType()).Interface()
	}
	var out rowWriter
	switch format {
	case "tsv", "tsv-header":
		out = &tsvWriter{w: stdout, header: format == "tsv-header"}
	case "csv":
		out = &csvWriter{w: csv.NewWriter(stdout)}
	case "json":
		out = &jsonWriter{enc: json.NewEncoder(stdout)}
	case "table":
		out = &tableWriter{tw: tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)}
	}
	out.head(cols)
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		plain := make([]any, len(vals))
		for i, v := range vals {
			plain[i] = reflect.ValueOf(v).Elem().Interface()
		}
		out.row(cols, plain)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.flush()
}

type rowWriter interface {
	head(cols []string)
	row(cols []string, vals []any)
	flush() error
}

// text renders a value the way ClickHouse's TSV would, close enough for reading.
func text(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.999999999")
	case *time.Time:
		if x == nil {
			return `\N`
		}
		return text(*x)
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return `\N`
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return `\N`
		}
		return text(rv.Elem().Interface())
	}
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map {
		b, err := json.Marshal(v)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

var tsvEscaper = strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n")

type tsvWriter struct {
	w      io.Writer
	header bool
}

func (t *tsvWriter) head(cols []string) {
	if t.header {
		fmt.Fprintln(t.w, strings.Join(cols, "\t"))
	}
}
func (t *tsvWriter) row(_ []string, vals []any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = tsvEscaper.Replace(text(v))
	}
	fmt.Fprintln(t.w, strings.Join(parts, "\t"))
}
func (t *tsvWriter) flush() error { return nil }

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) head(cols []string) { _ = c.w.Write(cols) }
func (c *csvWriter) row(_ []string, vals []any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = text(v)
	}
	_ = c.w.Write(parts)
}
func (c *csvWriter) flush() error { c.w.Flush(); return c.w.Error() }

type jsonWriter struct{ enc *json.Encoder }

func (j *jsonWriter) head([]string) {}
func (j *jsonWriter) row(cols []string, vals []any) {
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		m[c] = vals[i]
	}
	_ = j.enc.Encode(m)
}
func (j *jsonWriter) flush() error { return nil }

type tableWriter struct{ tw *tabwriter.Writer }

func (t *tableWriter) head(cols []string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }
func (t *tableWriter) row(_ []string, vals []any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = text(v)
	}
	fmt.Fprintln(t.tw, strings.Join(parts, "\t"))
}
func (t *tableWriter) flush() error { return t.tw.Flush() }

func runEngine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f storeFlags
	var addr string
	fs := flag.NewFlagSet("engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.StringVar(&addr, "addr", "127.0.0.1:8123", "listen address of the engine's ClickHouse HTTP endpoint")
	if err := parseFlags(fs, args); err != nil {
		return usageError{err}
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	py, err := embedded.FindPython(f.enginePython)
	if err != nil {
		return err
	}
	eng, err := embedded.Start(ctx, embedded.Options{DataDir: f.dataDir, Python: py, Addr: addr, Connections: f.engineConns, FollowParent: true, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "embedded ClickHouse engine %s at %s (data in %s); use --clickhouse-url %s\n", eng.Version(), eng.URL(), f.dataDir, eng.URL())
	select {
	case <-ctx.Done():
		return eng.Stop()
	case <-eng.Done():
		return errors.New("the engine exited")
	}
}
