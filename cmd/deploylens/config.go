package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store"
)

// envName is the environment fallback of a flag: --http-addr → DEPLOYLENS_HTTP_ADDR.
func envName(flagName string) string {
	return "DEPLOYLENS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, then fills every flag not given on the command
// line from its DEPLOYLENS_… environment variable. Flags are the one source
// of truth; the environment only supplies their values.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += " (env " + envName(f.Name) + ")"
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q is not valid for --%s: %v", envName(f.Name), v, f.Name, e)
			}
		}
	})
	return err
}

// storeFlags are the flags of every command that reaches ClickHouse.
type storeFlags struct {
	dataDir      string
	url          string
	cluster      string
	enginePython string
	engineAddr   string
	engineConns  int
	retention    string
	logLevel     string
	logFormat    string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "data", "directory for the embedded engine's data and local state")
	fs.StringVar(&s.url, "clickhouse-url", "", "ClickHouse server URL (clickhouse://user:pass@host:9000/db or http(s)://host:8123/db); empty runs the embedded engine")
	fs.StringVar(&s.cluster, "clickhouse-cluster", "", "ClickHouse cluster name: migrations create replicated local tables and Distributed tables ON CLUSTER")
	fs.StringVar(&s.enginePython, "engine-python", "", "Python interpreter with chdb-core for the embedded engine (default .venv/bin/python3)")
	fs.StringVar(&s.engineAddr, "engine-addr", "127.0.0.1:0", "address of the embedded engine's ClickHouse HTTP endpoint (port 0 picks a free one)")
	fs.IntVar(&s.engineConns, "engine-connections", 0, "queries the embedded engine runs at once, each on its own chDB connection, besides one kept for ingest (0: 4)")
	fs.StringVar(&s.retention, "retention", "", "days to keep per table, e.g. otel_traces=7,otel_logs=14,raw_events=90 (default: forever)")
	fs.StringVar(&s.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&s.logFormat, "log-format", "text", "log format: text or json")
}

func (s *storeFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", s.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch s.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q is not text or json", s.logFormat)
}

func (s *storeFlags) retentionDays() (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(s.retention) == "" {
		return out, nil
	}
	known, err := migrations.TTLTables()
	if err != nil {
		return nil, err
	}
	for _, part := range strings.Split(s.retention, ",") {
		name, days, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(days)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("--retention entry %q is not table=days (e.g. otel_traces=7)", part)
		}
		if !contains(known, name) {
			return nil, fmt.Errorf("--retention names table %q, which has no configurable retention; use one of %s", name, strings.Join(known, ", "))
		}
		out[name] = n
	}
	return out, nil
}

func (s *storeFlags) storeConfig(log *slog.Logger) (store.Config, error) {
	cfg := store.Config{URL: s.url, Cluster: s.cluster, DataDir: s.dataDir, EnginePython: s.enginePython, EngineAddr: s.engineAddr, EngineConnections: s.engineConns, Logger: log}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	if s.url == "" {
		if _, _, err := net.SplitHostPort(s.engineAddr); err != nil {
			return cfg, fmt.Errorf("--engine-addr %q is not host:port", s.engineAddr)
		}
		if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
			return cfg, fmt.Errorf("--data-dir %s cannot be created: %v", s.dataDir, err)
		}
	}
	if _, err := s.retentionDays(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func (s *storeFlags) migrationOptions() migrations.Options {
	days, _ := s.retentionDays() // validated in storeConfig
	return migrations.Options{Cluster: s.cluster, RetentionDays: days}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// usageError is a bad command line: exit code 2.
type usageError struct{ error }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) || errors.Is(err, flag.ErrHelp)
}
