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
	reviewapi "github.com/deploylens/deploylens/query/review/api"
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
	calc, err := f.doraCalculator(st, log)
	if err != nil {
		return err
	}
	a := &api.API{
		Conn:    st.Conn,
		DORA:    calc,
		Waits:   &waits.Calculator{Conn: st.Conn, Cluster: st.Cluster, Log: log},
		Timeout: f.queryTimeout,
	}
	a.Register(srv)
	reviewapi.Register(srv, a)
	if err := canaryapi.Register(srv, st, log); err != nil {
		return fmt.Errorf("canary API: %w", err)
	}
	log.Info("query API mounted", "incident_attribution_window", f.attributionWindow, "benchmark_years", calc.Benchmarks.YearsText())
	return nil
}

// doraCalculator is the DORA calculator these flags configure: the query
// API's, and the review command's, so a review written offline has the
// served numbers.
func (f *queryFlags) doraCalculator(st *store.Store, log *slog.Logger) (*dora.Calculator, error) {
	benchmarks, err := dora.LoadBenchmarks()
	if err != nil {
		return nil, fmt.Errorf("DORA benchmark clusters: %w", err)
	}
	bootstrap := estimate.DefaultBootstrap
	bootstrap.Seed = f.bootstrapSeed
	return &dora.Calculator{Conn: st.Conn, AttributionWindow: f.attributionWindow, Bootstrap: bootstrap, Benchmarks: benchmarks,
		Cluster: st.Cluster, Log: log}, nil
}
