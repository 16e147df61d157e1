// Package receivers mounts every delivery-event receiver of ingest/ on the
// server, sharing one group committer, one writer and the service catalog:
// the ingest role's wiring, and the map of translators replay uses.
package receivers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/cdevents"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/github"
	"github.com/deploylens/deploylens/ingest/gitlab"
	"github.com/deploylens/deploylens/ingest/native"
	"github.com/deploylens/deploylens/ingest/opsgenie"
	"github.com/deploylens/deploylens/ingest/pagerduty"
	"github.com/deploylens/deploylens/server"
)

// Config configures the receivers.
type Config struct {
	// MaxBody caps a request body in bytes (413 past it).
	MaxBody int64
	// Webhook secrets; a receiver whose secret is empty refuses everything.
	GitHubSecret, GitLabToken, PagerDutySecret, OpsgenieToken string
	// Commit tunes the group committer.
	Commit commit.Options
	// CatalogFile is a YAML service catalog written to service_catalog at start.
	CatalogFile string
	// CatalogTTL is how long the catalog is cached (default 30s).
	CatalogTTL time.Duration
	// SkipDuplicateLookup stores re-deliveries again instead of looking up
	// earlier deliveries first (the tables' keys still collapse them).
	SkipDuplicateLookup bool
	Log                 *slog.Logger
}

// Translators are the translators of every source, for replay.
func Translators() map[string]ingest.Translate {
	return map[string]ingest.Translate{
		native.Source:    native.Translate,
		cdevents.Source:  cdevents.Translate,
		github.Source:    github.Translate,
		gitlab.Source:    gitlab.Translate,
		pagerduty.Source: pagerduty.Translate,
		opsgenie.Source:  opsgenie.Translate,
	}
}

// Ingest is the mounted receivers.
type Ingest struct {
	Writer    *ingest.Writer
	Committer *commit.Committer
	Catalog   *ingest.Catalog
}

// Close flushes what is buffered; call it once the HTTP server has drained.
func (in *Ingest) Close() error { return in.Committer.Close() }

// Register mounts the receivers on srv: native events and CDEvents under
// /api/v1 for ingest tokens, webhooks under /webhooks authenticated by
// their own signatures.
func Register(ctx context.Context, srv *server.Server, conn driver.Conn, cfg Config) (*Ingest, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.CatalogFile != "" {
		entries, mtime, err := ingest.ReadCatalogFile(cfg.CatalogFile)
		if err != nil {
			return nil, err
		}
		if err := ingest.ApplyCatalog(ctx, conn, entries, mtime); err != nil {
			return nil, fmt.Errorf("--catalog-file %s: %w", cfg.CatalogFile, err)
		}
		log.Info("service catalog loaded", "file", cfg.CatalogFile, "services", len(entries))
	}
	if cfg.Commit.Log == nil {
		cfg.Commit.Log = log
	}
	c := commit.New(conn, cfg.Commit, srv.Registry)
	cat := &ingest.Catalog{Conn: conn, TTL: cfg.CatalogTTL, Log: log}
	w := &ingest.Writer{Committer: c, Conn: conn, Teams: cat, Metrics: ingest.NewMetrics(srv.Registry)}
	if cfg.SkipDuplicateLookup {
		w.Conn = nil
	}
	api := srv.API("/api/v1", auth.RoleIngest)
	(&native.Receiver{Writer: w, MaxBody: cfg.MaxBody}).Register(api)
	(&cdevents.Receiver{Writer: w, MaxBody: cfg.MaxBody}).Register(api)
	(&github.Receiver{Writer: w, Secret: []byte(cfg.GitHubSecret), MaxBody: cfg.MaxBody}).Register(srv.Engine)
	(&gitlab.Receiver{Writer: w, Token: []byte(cfg.GitLabToken), MaxBody: cfg.MaxBody}).Register(srv.Engine)
	(&pagerduty.Receiver{Writer: w, Secret: []byte(cfg.PagerDutySecret), MaxBody: cfg.MaxBody}).Register(srv.Engine)
	(&opsgenie.Receiver{Writer: w, Token: []byte(cfg.OpsgenieToken), MaxBody: cfg.MaxBody}).Register(srv.Engine)
	for _, s := range []struct{ name, secret, flag string }{
		{"GitHub", cfg.GitHubSecret, github.SecretFlag}, {"GitLab", cfg.GitLabToken, gitlab.TokenFlag},
		{"PagerDuty", cfg.PagerDutySecret, pagerduty.SecretFlag}, {"Opsgenie", cfg.OpsgenieToken, opsgenie.TokenFlag},
	} {
		if s.secret == "" {
			log.Info("webhook receiver refuses deliveries until its secret is set", "source", s.name, "flag", "--"+s.flag)
		}
	}
	return &Ingest{Writer: w, Committer: c, Catalog: cat}, nil
}
