package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// queryFlags configure the query role (DORA, waits, canary, reviews).
type queryFlags struct{}

func (f *queryFlags) register(fs *flag.FlagSet) {}

// registerQuery mounts the query API on srv.
func (f *queryFlags) registerQuery(ctx context.Context, srv *server.Server, st *store.Store, log *slog.Logger) error {
	return nil
}
