package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"gopkg.in/yaml.v3"

	"github.com/deploylens/deploylens/store"
)

// Catalog answers which team owns a service from the service_catalog table
// (written by PUT /api/v1/catalog/services/{name} and by a catalog file),
// caching it for TTL.
type Catalog struct {
	Conn driver.Conn
	// TTL is how long a read of the table is used (default 30s). A service
	// missing from the cache is looked up again after a second, so a PUT is
	// seen at once by the next event.
	TTL time.Duration
	Log *slog.Logger

	mu      sync.Mutex
	teams   map[string]string
	loaded  time.Time
	refresh sync.Mutex
}

const selectCatalogTeams = `SELECT service, argMax(team, updated_at) FROM service_catalog
GROUP BY service HAVING argMax(deleted, updated_at) = false`

// Team returns the team owning service, "" if the catalog does not know it.
func (c *Catalog) Team(ctx context.Context, service string) (string, error) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	c.mu.Lock()
	team, ok := c.teams[service]
	age := time.Since(c.loaded)
	c.mu.Unlock()
	if c.teams != nil && (age < ttl && (ok || age < time.Second)) {
		return team, nil
	}
	if err := c.load(ctx); err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.teams != nil { // a stale catalog beats refusing events
			c.logger().Warn("service catalog unreadable; using the last read", "err", err)
			c.loaded = time.Now()
			return c.teams[service], nil
		}
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.teams[service], nil
}

func (c *Catalog) load(ctx context.Context) error {
	c.refresh.Lock() // one reader at a time; the others use its result
	defer c.refresh.Unlock()
	c.mu.Lock()
	fresh := c.teams != nil && time.Since(c.loaded) < 100*time.Millisecond
	c.mu.Unlock()
	if fresh {
		return nil
	}
	rows, err := c.Conn.Query(store.IngestContext(ctx), selectCatalogTeams)
	if err != nil {
		return err
	}
	defer rows.Close()
	teams := map[string]string{}
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			return err
		}
		teams[s] = t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.teams, c.loaded = teams, time.Now()
	c.mu.Unlock()
	return nil
}

func (c *Catalog) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// CatalogEntry is one service of a catalog file.
type CatalogEntry struct {
	Service    string
	Team       string
	Attributes map[string]string
}

// ReadCatalogFile reads a YAML service catalog:
//
//	services:
//	  checkout: payments            # service: team
//	  search:
//	    team: discovery
//	    attributes: {tier: "1"}
func ReadCatalogFile(path string) ([]CatalogEntry, time.Time, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("--catalog-file: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("--catalog-file: %w", err)
	}
	entries, err := ParseCatalog(b)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("--catalog-file %s: %w", path, err)
	}
	return entries, st.ModTime().UTC(), nil
}

// ParseCatalog parses the YAML of a catalog file.
func ParseCatalog(b []byte) ([]CatalogEntry, error) {
	var doc struct {
		Services map[string]yaml.Node `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Services == nil {
		return nil, errors.New(`no "services:" map: write services: {<service>: <team>, ...}`)
	}
	var out []CatalogEntry
	for name, node := range doc.Services {
		e := CatalogEntry{Service: name}
		switch node.Kind {
		case yaml.ScalarNode:
			e.Team = node.Value
		case yaml.MappingNode:
			var v struct {
				Team       string            `yaml:"team"`
				Attributes map[string]string `yaml:"attributes"`
			}
			if err := node.Decode(&v); err != nil {
				return nil, fmt.Errorf("services.%s: %w", name, err)
			}
			e.Team, e.Attributes = v.Team, v.Attributes
		default:
			return nil, fmt.Errorf("services.%s: give the team's name or {team: ..., attributes: {...}}", name)
		}
		if e.Team == "" || name == "" {
			return nil, fmt.Errorf("services.%s: the team is empty", name)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// ApplyCatalog writes entries to service_catalog as of updatedAt (a catalog
// file's modification time): a PUT made after the file was last edited
// wins over it, an edit of the file wins over earlier PUTs, and loading the
// same file again changes nothing.
func ApplyCatalog(ctx context.Context, conn driver.Conn, entries []CatalogEntry, updatedAt time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO service_catalog (service, team, updated_at, deleted, attributes)")
	if err != nil {
		return fmt.Errorf("write service catalog: %w", err)
	}
	for _, e := range entries {
		a := e.Attributes
		if a == nil {
			a = map[string]string{}
		}
		if err := batch.Append(e.Service, e.Team, updatedAt.Truncate(time.Millisecond), false, a); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("write service catalog: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write service catalog: %w", err)
	}
	return nil
}
