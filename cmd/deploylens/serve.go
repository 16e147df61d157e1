package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/query"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

type serveFlags struct {
	storeFlags
	ingestFlags
	queryFlags
	httpFlags
	httpAddr        string
	grpcAddr        string
	role            string
	adminToken      string
	shutdownTimeout time.Duration
	tokenCacheTTL   time.Duration
}

func (f *serveFlags) validate() error {
	switch f.role {
	case "all", "ingest", "query":
	default:
		return fmt.Errorf("--role %q is not one of all, ingest, query", f.role)
	}
	for name, addr := range map[string]string{"--http-addr": f.httpAddr, "--grpc-addr": f.grpcAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q is not host:port (e.g. :8080)", name, addr)
		}
	}
	if f.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive, e.g. 30s")
	}
	return f.httpFlags.validate(f.queryTimeout)
}

// flagSet registers every serve flag, with its default, on a new FlagSet.
func (f *serveFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.storeFlags.register(fs)
	f.ingestFlags.register(fs)
	f.queryFlags.register(fs)
	f.httpFlags.register(fs)
	fs.StringVar(&f.httpAddr, "http-addr", ":8080", "HTTP listen address (ingest, query API, health, metrics)")
	fs.StringVar(&f.grpcAddr, "grpc-addr", ":4317", "OTLP/gRPC listen address")
	fs.StringVar(&f.role, "role", "all", "which role this process serves: all, ingest or query")
	fs.StringVar(&f.adminToken, "admin-token", "", "bootstrap admin token; if empty one is generated once and kept in <data-dir>/admin-token")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let in-flight requests finish on SIGTERM")
	fs.DurationVar(&f.tokenCacheTTL, "token-cache-ttl", 10*time.Second, "how long a checked token is cached (bounds how fast a revocation elsewhere is seen)")
	return fs
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := f.flagSet(stderr)
	if err := parseFlags(fs, args); err != nil {
		return usageError{err}
	}
	if err := f.validate(); err != nil {
		return err
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	cfg, err := f.storeConfig(log)
	if err != nil {
		return err
	}

	log.Info("starting deploylens", "version", version, "role", f.role, "storage", cfg.Mode())
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if eng := st.Engine(); eng != nil {
		log.Info("embedded ClickHouse HTTP endpoint (point Grafana's ClickHouse data source here, protocol HTTP)", "url", eng.URL(), "clickhouse_version", eng.Version())
	}
	mig := &migrations.Migrator{Conn: st.Conn, Options: f.migrationOptions(), Log: log}
	if _, err := mig.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	tokens := auth.NewTokens(st.Conn, f.tokenCacheTTL)
	adminToken, where, err := bootstrapToken(f.adminToken, f.dataDir)
	if err != nil {
		return err
	}
	if where == "" {
		err = tokens.EnsureBootstrap(ctx, adminToken)
	} else if kept, kerr := tokens.KeepBootstrap(ctx, adminToken); kerr != nil || !kept {
		// Another process on this ClickHouse stored its token first.
		err, adminToken = kerr, ""
	}
	if err != nil {
		return err
	}

	srv, stopRoles, err := f.buildServer(ctx, st, mig, tokens, log)
	if err != nil {
		return err
	}
	// Runs after the HTTP server has drained: flush what ingest buffered.
	defer stopRoles()
	if err := srv.Listen(); err != nil {
		return err
	}
	url := "http://" + displayAddr(srv.Addr())
	log.Info("deploylens listening", "url", url, "docs", url+"/docs")
	switch {
	case where == "":
		fmt.Fprintf(stdout, "deploylens is ready at %s (admin token from DEPLOYLENS_ADMIN_TOKEN)\n", url)
	case adminToken == "":
		fmt.Fprintf(stdout, "deploylens is ready at %s (admin token: the one already stored in this ClickHouse, not the one in %s; set DEPLOYLENS_ADMIN_TOKEN on every deploylens that shares it)\n", url, where)
	default:
		fmt.Fprintf(stdout, "deploylens is ready at %s\nadmin token: %s\n(kept in %s; set DEPLOYLENS_ADMIN_TOKEN to choose your own)\n", url, adminToken, where)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", f.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	return nil
}

// bootstrapToken returns the admin token to accept: the configured one, or
// one generated once and kept in the data directory (where names that file).
func bootstrapToken(configured, dataDir string) (token, where string, err error) {
	if configured != "" {
		return configured, "", nil
	}
	path := filepath.Join(dataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), path, nil
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	token = "dladmin-" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", "", fmt.Errorf("--data-dir %s: %w", dataDir, err)
	}
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("keep admin token in %s: %w", path, err)
	}
	return token, path, nil
}

func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// openStore opens the store for a short-lived command, reusing the engine
// of a running serve on the same data directory.
func openStore(ctx context.Context, f *storeFlags, stderr io.Writer) (*store.Store, *slog.Logger, error) {
	log, err := f.logger(stderr)
	if err != nil {
		return nil, nil, err
	}
	// Short-lived commands log only warnings unless asked for more.
	if f.logLevel == "info" {
		log, _ = (&storeFlags{logLevel: "warn", logFormat: f.logFormat}).logger(stderr)
	}
	cfg, err := f.storeConfig(log)
	if err != nil {
		return nil, nil, err
	}
	cfg.ReuseEngine = true
	st, err := store.Open(ctx, cfg)
	return st, log, err
}

// buildServer assembles the HTTP server with the routes of this process's
// role. The returned function stops what the roles started.
func (f *serveFlags) buildServer(ctx context.Context, st *store.Store, mig *migrations.Migrator, tokens *auth.Tokens, log *slog.Logger) (*server.Server, func(), error) {
	srv := server.New(server.Options{
		Addr: f.httpAddr, Version: version, Logger: log, Authenticator: tokens,
		Timeouts: f.timeouts, RateLimit: f.rateLimit,
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("clickhouse unreachable: %w", err)
			}
			cur, err := mig.Current(ctx)
			if err != nil {
				return fmt.Errorf("schema version unreadable: %w", err)
			}
			if !cur {
				return errors.New("schema is not current: run deploylens migrate up")
			}
			return nil
		},
	})
	stop := func() {}
	if f.role == "all" || f.role == "query" {
		query.RegisterCatalog(srv, &query.Catalog{Conn: st.Conn})
		if err := f.queryFlags.registerQuery(ctx, srv, st, log); err != nil {
			return nil, nil, err
		}
	}
	if f.role == "all" || f.role == "ingest" {
		stopIngest, err := f.ingestFlags.registerIngest(ctx, srv, st, tokens, f.grpcAddr, log)
		if err != nil {
			return nil, nil, err
		}
		stop = stopIngest
	}
	return srv, stop, nil
}
