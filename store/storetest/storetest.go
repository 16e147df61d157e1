// Package storetest gives tests a real ClickHouse: the embedded engine, started
// once per test binary, with a fresh database per test.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/embedded"
)

var (
	once    sync.Once
	shared  *embedded.Engine
	baseURL string
	onceErr error
)

// RepoRoot finds the module root (the directory holding go.mod).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Python returns the engine interpreter: DEPLOYLENS_ENGINE_PYTHON or the
// repository's .venv made by `make venv`.
func Python(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("DEPLOYLENS_ENGINE_PYTHON"); p != "" {
		return p
	}
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	py := filepath.Join(root, ".venv", "bin", "python3")
	if _, err := os.Stat(py); err != nil {
		tb.Fatalf("the embedded engine's Python environment is missing (%s): run `make venv` (make test does it) or set DEPLOYLENS_ENGINE_PYTHON", py)
	}
	return py
}

// EngineConnections is how many statements the tests' engine runs at once
// besides ingest's own connection.
const EngineConnections = 4

// EngineURL returns the URL of the engine shared by this test binary.
func EngineURL(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		dir, err := os.MkdirTemp("", "deploylens-engine-")
		if err != nil {
			onceErr = err
			return
		}
		shared, onceErr = embedded.Start(context.Background(), embedded.Options{
			DataDir: dir, Python: Python(tb), FollowParent: true, RemoveDataDir: true, Connections: EngineConnections,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		if onceErr == nil {
			baseURL = shared.URL()
		}
	})
	if onceErr != nil {
		tb.Fatalf("start embedded engine: %v", onceErr)
	}
	return baseURL
}

// Database creates a fresh database on the shared engine and returns a URL
// whose connections use it; the database is dropped when the test ends.
func Database(tb testing.TB) string {
	tb.Helper()
	u := EngineURL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	conn := openURL(tb, u)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		conn.Close()
	})
	return u + "/" + name
}

// Open returns a clickhouse-go connection to a fresh database.
func Open(tb testing.TB) driver.Conn {
	tb.Helper()
	conn := openURL(tb, Database(tb))
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// Store returns a store.Store on a fresh database.
func Store(tb testing.TB) *store.Store {
	tb.Helper()
	u := Database(tb)
	s, err := store.Open(context.Background(), store.Config{URL: u})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openURL(tb testing.TB, u string) driver.Conn {
	tb.Helper()
	opts, err := store.ParseURL(u)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// MergeAll merges every MergeTree table of the connection's database into
// final parts (OPTIMIZE … FINAL), as ClickHouse's background merges do over
// time, and returns how many tables it merged. Measurements of a history
// loaded seconds ago use it to look at the store a long-lived one converges
// to, not at dozens of fresh parts.
func MergeAll(tb testing.TB, conn driver.Conn) int {
	tb.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")
	if err != nil {
		tb.Fatalf("list tables to merge: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, t := range tables {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+t+" FINAL"); err != nil {
			tb.Fatalf("merge %s: %v", t, err)
		}
	}
	return len(tables)
}
