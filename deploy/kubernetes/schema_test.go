package kubernetes

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/migrations"
)

var update = flag.Bool("update", false, "rewrite schema-cluster.sql from migrations/")

const schemaFile = "schema-cluster.sql"

// migrationOptions are the options deploylens renders the migrations with
// in these pods: the cluster and retention from deploylens-config.
func migrationOptions(t *testing.T, m *manifests) migrations.Options {
	t.Helper()
	cm := m.configMap("deploylens-config")
	if cm == nil {
		t.Fatal("ConfigMap deploylens-config is not defined")
	}
	known, err := migrations.TTLTables()
	if err != nil {
		t.Fatal(err)
	}
	opt := migrations.Options{Cluster: cm.Data["DEPLOYLENS_CLICKHOUSE_CLUSTER"], RetentionDays: map[string]int{}}
	for _, part := range strings.Split(cm.Data["DEPLOYLENS_RETENTION"], ",") {
		table, days, _ := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(days)
		if err != nil || !slices.Contains(known, table) {
			t.Fatalf("DEPLOYLENS_RETENTION entry %q is not table=days for one of %v", part, known)
		}
		opt.RetentionDays[table] = n
	}
	return opt
}

func renderSchema(opt migrations.Options) (string, error) {
	all, err := migrations.All()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- The schema `deploylens migrate up` creates on ClickHouse cluster %q with\n", opt.Cluster)
	b.WriteString("-- deploylens-config's retention, rendered from migrations/*.sql (after the\n")
	b.WriteString("-- deploylens_schema_migrations table it records versions in). Generated:\n")
	b.WriteString("-- go test ./deploy/kubernetes -run Schema -update\n\n")
	for _, m := range all {
		stmts, err := migrations.Render(m, opt)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "-- %04d_%s\n\n", m.Version, m.Name)
		for _, s := range stmts {
			b.WriteString(s)
			b.WriteString(";\n\n")
		}
	}
	return b.String(), nil
}

// schema-cluster.sql is what the migrate Job applies, for review and for
// DBAs who apply schema themselves; it fails here once it is stale.
func TestClusterSchemaIsCurrent(t *testing.T) {
	m := load(t)
	opt := migrationOptions(t, m)
	got, err := renderSchema(opt)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./deploy/kubernetes -run Schema -update)", err)
	}
	if string(want) != got {
		t.Fatalf("%s is stale: run go test ./deploy/kubernetes -run Schema -update and review the diff", schemaFile)
	}
}

var (
	createLocal = regexp.MustCompile("(?m)^CREATE TABLE IF NOT EXISTS ([a-z_]+)_local ON CLUSTER `([^`]+)`")
	createDist  = regexp.MustCompile("(?m)^CREATE TABLE IF NOT EXISTS ([a-z_]+) ON CLUSTER `([^`]+)` AS ([a-z_]+)_local ENGINE = Distributed\\('([^']+)'")
)

// Every table is a replicated local table on each node and a Distributed
// table over it, on the cluster the manifests define, and each retention in
// deploylens-config becomes a TTL.
func TestClusterSchemaShape(t *testing.T) {
	m := load(t)
	opt := migrationOptions(t, m)
	schema, err := renderSchema(opt)
	if err != nil {
		t.Fatal(err)
	}
	locals := map[string]bool{}
	for _, l := range createLocal.FindAllStringSubmatch(schema, -1) {
		locals[l[1]] = true
		if l[2] != opt.Cluster {
			t.Errorf("%s_local is created on cluster %s, want %s", l[1], l[2], opt.Cluster)
		}
	}
	dists := createDist.FindAllStringSubmatch(schema, -1)
	if len(locals) == 0 || len(dists) != len(locals) {
		t.Fatalf("%d local tables and %d Distributed tables; want one of each per table", len(locals), len(dists))
	}
	for _, d := range dists {
		if !locals[d[1]] || d[3] != d[1] || d[2] != opt.Cluster || d[4] != opt.Cluster {
			t.Errorf("Distributed table %s does not sit over %s_local on cluster %s", d[1], d[1], opt.Cluster)
		}
	}
	if n := strings.Count(schema, "ENGINE = Replicated"); n != len(locals) {
		t.Errorf("%d of %d local tables use a Replicated engine", n, len(locals))
	}
	for table, days := range opt.RetentionDays {
		if !regexp.MustCompile(`CREATE TABLE IF NOT EXISTS ` + table + `_local [^;]*TTL [^;\n]*toIntervalDay\(` + strconv.Itoa(days) + `\)`).MatchString(schema) {
			t.Errorf("retention %s=%d is not rendered as a TTL", table, days)
		}
	}
}
