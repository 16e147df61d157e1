// Package store owns deploylens' one way to reach ClickHouse: a clickhouse-go
// connection to the embedded engine (the default), a server or a cluster.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store/embedded"
)

// Config says which ClickHouse to use.
type Config struct {
	// URL of a ClickHouse server: clickhouse://user:pass@host:9000/db (native)
	// or http(s)://user:pass@host:8123/db. Empty means the embedded engine.
	URL string
	// Cluster, when set, makes migrations create replicated local tables and
	// Distributed tables ON CLUSTER Cluster.
	Cluster string
	// DataDir holds the embedded engine's data.
	DataDir string
	// EnginePython is the interpreter with chdb-core (embedded mode only).
	EnginePython string
	// EngineAddr is where the embedded engine listens (default a free
	// loopback port).
	EngineAddr string
	// EngineConnections is how many queries the embedded engine runs at once
	// besides its ingest connection (0: its default).
	EngineConnections int
	// ReuseEngine lets a short-lived command use an engine that a running
	// `deploylens serve` already started on the same data directory.
	ReuseEngine bool
	// MaxOpenConns bounds the connection pool.
	MaxOpenConns int
	Logger       *slog.Logger
}

// Mode names the storage mode.
func (c Config) Mode() string {
	switch {
	case c.URL == "":
		return "embedded"
	case c.Cluster != "":
		return "cluster"
	default:
		return "server"
	}
}

// Validate checks the configuration without connecting.
func (c Config) Validate() error {
	if c.URL == "" {
		if c.DataDir == "" {
			return errors.New("--data-dir is empty: the embedded engine needs a directory for its data (or set --clickhouse-url)")
		}
		if c.Cluster != "" {
			return errors.New("--clickhouse-cluster needs --clickhouse-url: the embedded engine is a single node")
		}
		return nil
	}
	if _, err := ParseURL(c.URL); err != nil {
		return err
	}
	return nil
}

// Store is an open connection to ClickHouse.
type Store struct {
	Conn    driver.Conn
	Cluster string
	// URL is the address of the ClickHouse HTTP or native endpoint in use
	// (the embedded engine's when embedded), without credentials.
	URL string
	log *slog.Logger

	mu      sync.Mutex
	engine  *embedded.Engine
	closing bool
	stopped chan struct{}
}

// Engine returns the embedded engine this store started, or nil.
func (s *Store) Engine() *embedded.Engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.engine
}

// Open connects to ClickHouse, starting the embedded engine first when no URL
// is configured, and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{Cluster: cfg.Cluster, log: log}
	rawURL := cfg.URL
	if rawURL == "" {
		if cfg.ReuseEngine {
			rawURL = embedded.Discover(ctx, cfg.DataDir)
		}
		if rawURL == "" {
			py, err := embedded.FindPython(cfg.EnginePython)
			if err != nil {
				return nil, err
			}
			opt := embedded.Options{DataDir: cfg.DataDir, Python: py, Addr: cfg.EngineAddr, Connections: cfg.EngineConnections, FollowParent: true, Logger: log}
			eng, err := embedded.Start(ctx, opt)
			if err != nil {
				return nil, err
			}
			s.engine = eng
			s.stopped = make(chan struct{})
			rawURL = eng.URL()
			// Restart on the same address, so open connections find it again.
			opt.Addr = strings.TrimPrefix(rawURL, "http://")
			go s.supervise(opt)
		}
	}
	opts, err := ParseURL(rawURL)
	if err != nil {
		s.Close()
		return nil, err
	}
	if cfg.MaxOpenConns > 0 {
		opts.MaxOpenConns = cfg.MaxOpenConns
		opts.MaxIdleConns = cfg.MaxOpenConns
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	s.Conn = conn
	s.URL = redact(rawURL)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("clickhouse at %s does not answer: %w; check --clickhouse-url", s.URL, err)
	}
	return s, nil
}

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.Conn.Ping(ctx) }

// supervise restarts the embedded engine when it exits unexpectedly.
func (s *Store) supervise(opt embedded.Options) {
	defer close(s.stopped)
	backoff := 250 * time.Millisecond
	for {
		eng := s.Engine()
		<-eng.Done()
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			return
		}
		s.log.Error("embedded engine exited; restarting it", "url", eng.URL())
		for {
			time.Sleep(backoff)
			s.mu.Lock()
			closing = s.closing
			s.mu.Unlock()
			if closing {
				return
			}
			next, err := embedded.Start(context.Background(), opt)
			if err == nil {
				s.mu.Lock()
				s.engine = next
				if s.closing { // Close ran while we were starting it
					s.mu.Unlock()
					next.Stop()
					return
				}
				s.mu.Unlock()
				backoff = 250 * time.Millisecond
				break
			}
			s.log.Error("restart embedded engine", "err", err)
			backoff = min(backoff*2, 10*time.Second)
		}
	}
}

// Close closes the connection and stops an engine this store started.
func (s *Store) Close() error {
	var err error
	if s.Conn != nil {
		err = s.Conn.Close()
	}
	s.mu.Lock()
	s.closing = true
	eng := s.engine
	s.mu.Unlock()
	if eng != nil {
		eng.Stop()
		<-s.stopped
	}
	return err
}

// ParseURL turns a clickhouse:// or http(s):// URL into clickhouse-go options.
func ParseURL(raw string) (*clickhouse.Options, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--clickhouse-url %q is not a URL: use clickhouse://host:9000/db or http://host:8123/db", redact(raw))
	}
	switch u.Scheme {
	case "clickhouse", "tcp", "http", "https":
	default:
		return nil, fmt.Errorf("--clickhouse-url scheme %q is not supported: use clickhouse://, http:// or https://", u.Scheme)
	}
	if u.Scheme == "https" && u.Query().Get("secure") == "" {
		q := u.Query()
		q.Set("secure", "true")
		u.RawQuery = q.Encode()
		raw = u.String()
	}
	opts, err := clickhouse.ParseDSN(raw)
	if err != nil {
		return nil, fmt.Errorf("--clickhouse-url %q: %w", redact(raw), err)
	}
	if u.Scheme == "https" && opts.TLS == nil {
		opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.Protocol == clickhouse.HTTP && opts.Compression == nil {
		opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionNone}
	}
	return opts, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return strings.TrimSuffix(u.String(), "?")
}
