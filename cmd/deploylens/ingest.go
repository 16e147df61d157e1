package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// ingestFlags configure the ingest role (receivers, group commit, webhook secrets).
type ingestFlags struct{}

func (f *ingestFlags) register(fs *flag.FlagSet) {}

// registerIngest mounts the receivers on srv and returns the function that
// flushes and stops them after the HTTP server has drained.
func (f *ingestFlags) registerIngest(ctx context.Context, srv *server.Server, st *store.Store, log *slog.Logger) (func(), error) {
	return func() {}, nil
}
