package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/otlpreceiver"
	"github.com/deploylens/deploylens/ingest/promrw"
	"github.com/deploylens/deploylens/ingest/receivers"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// ingestFlags configure the ingest role (receivers, group commit, webhook secrets).
type ingestFlags struct {
	githubSecret    string
	gitlabToken     string
	pagerdutySecret string
	opsgenieToken   string
	maxBody         int64
	catalogFile     string
	catalogTTL      time.Duration
	commitMaxRows   int
	commitMaxDelay  time.Duration
	commitMaxRowsQ  int
}

func (f *ingestFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.githubSecret, "github-webhook-secret", "", "secret of the GitHub webhook (X-Hub-Signature-256); /webhooks/github refuses every delivery while it is empty")
	fs.StringVar(&f.gitlabToken, "gitlab-webhook-token", "", "secret token of the GitLab webhook (X-Gitlab-Token); /webhooks/gitlab refuses every delivery while it is empty")
	fs.StringVar(&f.pagerdutySecret, "pagerduty-webhook-secret", "", "signing secret of the PagerDuty V3 webhook subscription; /webhooks/pagerduty refuses every delivery while it is empty")
	fs.StringVar(&f.opsgenieToken, "opsgenie-webhook-token", "", "token Opsgenie sends in the X-Opsgenie-Token header; /webhooks/opsgenie refuses every delivery while it is empty")
	fs.Int64Var(&f.maxBody, "ingest-max-body-bytes", ingest.DefaultMaxBody, "largest request body the event receivers accept (413 past it)")
	fs.StringVar(&f.catalogFile, "catalog-file", "", "YAML service catalog (services: {<service>: <team>}) written to the catalog at start")
	fs.DurationVar(&f.catalogTTL, "catalog-cache-ttl", 30*time.Second, "how long ingest caches the service catalog")
	fs.IntVar(&f.commitMaxRows, "commit-max-rows", 20000, "group commit: insert once this many rows are pending")
	fs.DurationVar(&f.commitMaxDelay, "commit-max-delay", 50*time.Millisecond, "group commit: insert this long after the first pending row")
	fs.IntVar(&f.commitMaxRowsQ, "commit-max-pending-rows", 100000, "group commit: rows buffered before requests are refused with 503 (each takes 1.3-2.7 KiB while the store catches up)")
}

func (f *ingestFlags) validate() error {
	// Zero values take the defaults (a serveFlags built in code has them).
	if f.maxBody < 0 {
		return errors.New("--ingest-max-body-bytes must be positive, e.g. 26214400")
	}
	if f.commitMaxRows < 0 || f.commitMaxRowsQ < 0 || (f.commitMaxRowsQ > 0 && f.commitMaxRowsQ < f.commitMaxRows) {
		return errors.New("--commit-max-rows must be positive and at most --commit-max-pending-rows")
	}
	if f.commitMaxDelay < 0 {
		return errors.New("--commit-max-delay must be positive, e.g. 50ms")
	}
	return nil
}

func (f *ingestFlags) config(log *slog.Logger) receivers.Config {
	return receivers.Config{
		MaxBody: f.maxBody, GitHubSecret: f.githubSecret, GitLabToken: f.gitlabToken,
		PagerDutySecret: f.pagerdutySecret, OpsgenieToken: f.opsgenieToken,
		CatalogFile: f.catalogFile, CatalogTTL: f.catalogTTL, Log: log,
		Commit: commit.Options{MaxRows: f.commitMaxRows, MaxDelay: f.commitMaxDelay, MaxPendingRows: f.commitMaxRowsQ, Log: log},
	}
}

// registerIngest mounts the receivers on srv, and OTLP/gRPC on grpcAddr
// unless it is empty, and returns the function that stops gRPC gracefully
// and flushes the committer after the HTTP server has drained.
func (f *ingestFlags) registerIngest(ctx context.Context, srv *server.Server, st *store.Store, tokens otlpreceiver.Authenticator, grpcAddr string, log *slog.Logger) (func(), error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	in, err := receivers.Register(ctx, srv, st.Conn, f.config(log))
	if err != nil {
		return nil, err
	}
	// Telemetry shares the delivery events' committer: one buffer bound, one
	// backpressure signal, inserts grouped per table across both.
	otel := otlpreceiver.New(otlpreceiver.Config{Committer: in.Committer, MaxBody: f.maxBody,
		Authenticator: tokens, Limiter: srv.Limiter(), Registry: srv.Registry, Log: log})
	otel.RegisterHTTP(srv.API("", auth.RoleIngest))
	(&promrw.Receiver{Consumer: otel, MaxBody: f.maxBody}).Register(srv.API("/api/v1", auth.RoleIngest))
	var grpcSrv *otlpreceiver.GRPCServer
	if grpcAddr != "" {
		if grpcSrv, err = otel.ListenGRPC(grpcAddr); err != nil {
			_ = in.Close()
			return nil, err
		}
		log.Info("OTLP/gRPC listening", "addr", grpcSrv.Addr())
	}
	return func() {
		if grpcSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), grpcStopTimeout)
			grpcSrv.Stop(ctx)
			cancel()
		}
		if err := in.Close(); err != nil {
			log.Warn("flush ingest", "err", err)
		}
	}, nil
}

// grpcStopTimeout bounds how long in-flight OTLP/gRPC calls may take to
// finish at shutdown before they are cut (their senders then retry).
const grpcStopTimeout = 30 * time.Second

// runReplay translates stored raw copies again with today's translators.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f storeFlags
	var source, since, until string
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploylens replay [--source github] [--since 2026-01-01T00:00:00Z] [--until ...]")
		fs.PrintDefaults()
	}
	f.register(fs)
	fs.StringVar(&source, "source", "", "replay only this source (native, cdevents, github, gitlab, pagerduty, opsgenie)")
	fs.StringVar(&since, "since", "", "replay deliveries received at or after this RFC 3339 time")
	fs.StringVar(&until, "until", "", "replay deliveries received before this RFC 3339 time")
	if err := parseFlags(fs, args); err != nil {
		return usageError{err}
	}
	var filter ingest.ReplayFilter
	filter.Source = source
	if _, ok := receivers.Translators()[source]; source != "" && !ok {
		return usageError{fmt.Errorf("--source %q is not one of native, cdevents, github, gitlab, pagerduty, opsgenie", source)}
	}
	for name, v := range map[string]struct {
		s string
		t *time.Time
	}{"--since": {since, &filter.Since}, "--until": {until, &filter.Until}} {
		if v.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v.s)
		if err != nil {
			return usageError{fmt.Errorf("%s %q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", name, v.s)}
		}
		*v.t = t
	}
	st, log, err := openStore(ctx, &f, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := (&migrations.Migrator{Conn: st.Conn, Options: f.migrationOptions()}).Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	c := commit.New(st.Conn, commit.Options{Log: log}, nil)
	defer c.Close()
	w := &ingest.Writer{Committer: c, Teams: &ingest.Catalog{Conn: st.Conn, Log: log}}
	r := &ingest.Replayer{Conn: st.Conn, Writer: w, Translators: receivers.Translators(), Log: log}
	stats, err := r.Replay(ctx, filter)
	fmt.Fprintf(stdout, "replayed %d deliveries into %d events (%d refused by their translator, %d of sources without one)\n",
		stats.Deliveries, stats.Events, stats.Failed, stats.Skipped)
	return err
}
