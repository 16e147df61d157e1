package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/deploylens/deploylens/query/api"
	canaryapi "github.com/deploylens/deploylens/query/canary/api"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/estimate"
	"github.com/deploylens/deploylens/query/waits"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// queryFlags configure the query role (DORA, waits, canary, reviews).
type queryFlags struct {
	attributionWindow time.Duration
	queryTimeout      time.Duration
	bootstrapSeed     uint64
}

func (f *queryFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.attributionWindow, "incident-attribution-window", dora.DefaultAttributionWindow,
		"how long after a successful deployment an incident that names no cause is attributed to it (DORA change failure rate)")
	fs.DurationVar(&f.queryTimeout, "query-timeout", 30*time.Second, "the longest one metrics request may run its queries")
	fs.Uint64Var(&f.bootstrapSeed, "bootstrap-seed", estimate.DefaultBootstrap.Seed,
		"seed of the bootstrap confidence intervals (answers are reproducible for a given seed)")
}

func (f *queryFlags) validate() error {
	if f.attributionWindow <= 0 || f.attributionWindow > 30*24*time.Hour {
		return fmt.Errorf("--incident-attribution-window %v must be positive and at most 720h (e.g. 24h)", f.attributionWindow)
	}
	if f.queryTimeout <= 0 {
		return errors.New("--query-timeout must be positive, e.g. 30s")
	}
	return nil
}

// registerQuery mounts the query API on srv.
func (f *queryFlags) registerQuery(ctx context.Context, srv *server.Server, st *store.Store, log *slog.Logger) error {
	if err := f.validate(); err != nil {
		return err
	}
	benchmarks, err := dora.LoadBenchmarks()
	if err != nil {
		return fmt.Errorf("DORA benchmark clusters: %w", err)
	}
	bootstrap := estimate.DefaultBootstrap
	bootstrap.Seed = f.bootstrapSeed
	a := &api.API{
		Conn: st.Conn,
		DORA: &dora.Calculator{
			Conn:              st.Conn,
			AttributionWindow: f.attributionWindow,
			Bootstrap:         bootstrap,
			Benchmarks:        benchmarks,
		},
		Waits:   &waits.Calculator{Conn: st.Conn},
		Timeout: f.queryTimeout,
	}
	a.Register(srv)
	if err := canaryapi.Register(srv, st, log); err != nil {
		return fmt.Errorf("canary API: %w", err)
	}
	log.Info("query API mounted", "incident_attribution_window", f.attributionWindow, "benchmark_years", benchmarks.YearsText())
	return nil
}
