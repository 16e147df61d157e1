package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	canaryapi "github.com/deploylens/deploylens/query/canary/api"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// queryFlags configure the query role (DORA, waits, canary, reviews).
type queryFlags struct{}

func (f *queryFlags) register(fs *flag.FlagSet) {}

// registerQuery mounts the query API on srv.
func (f *queryFlags) registerQuery(ctx context.Context, srv *server.Server, st *store.Store, log *slog.Logger) error {
	if err := canaryapi.Register(srv, st, log); err != nil {
		return fmt.Errorf("canary API: %w", err)
	}
	return nil
}
