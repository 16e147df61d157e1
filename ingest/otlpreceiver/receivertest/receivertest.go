// Package receivertest runs the telemetry receivers for tests: a real HTTP
// server and OTLP/gRPC listener in-process, over the group committer and
// the embedded ClickHouse with the schema migrated, as the ingest role
// wires them.
package receivertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/ingest/otlpreceiver"
	"github.com/deploylens/deploylens/ingest/promrw"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store/storetest"
)

// Options tune the environment.
type Options struct {
	Commit  commit.Options
	MaxBody int64
	// InsertDelay slows every insert, to fill the committer's buffer.
	InsertDelay time.Duration
}

// Env is a running deploylens ingest role.
type Env struct {
	URL      string // http://127.0.0.1:port
	GRPCAddr string
	Token    string // an ingest token
	Conn     driver.Conn
	Server   *server.Server
}

// Start starts the receivers; they stop when the test ends.
func Start(t testing.TB, opt Options) *Env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Store(t)
	if _, err := (&migrations.Migrator{Conn: st.Conn}).Up(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	tokens := auth.NewTokens(st.Conn, time.Minute)
	token, _, err := tokens.Create(ctx, "otel-sender", auth.RoleIngest, []string{auth.AllTeams})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Options{Addr: "127.0.0.1:0", Authenticator: tokens, Logger: log})
	var conn driver.Conn = st.Conn
	if opt.InsertDelay > 0 {
		conn = slowConn{Conn: st.Conn, delay: opt.InsertDelay}
	}
	if opt.Commit.Log == nil {
		opt.Commit.Log = log
	}
	c := commit.New(conn, opt.Commit, srv.Registry)
	rcv := otlpreceiver.New(otlpreceiver.Config{Committer: c, MaxBody: opt.MaxBody, Authenticator: tokens, Registry: srv.Registry, Log: log})
	rcv.RegisterHTTP(srv.API("", auth.RoleIngest))
	(&promrw.Receiver{Consumer: rcv, MaxBody: opt.MaxBody}).Register(srv.API("/api/v1", auth.RoleIngest))
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	// Wait until Serve has set the server up: server.Server.Shutdown reads
	// what Serve writes without a lock, so a Shutdown racing Serve's start
	// would miss it.
	resp, err := http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("server not serving: %v", err)
	}
	_ = resp.Body.Close()
	g, err := rcv.ListenGRPC("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		g.Stop(ctx)
		_ = c.Close()
	})
	return &Env{URL: "http://" + srv.Addr(), GRPCAddr: g.Addr(), Token: token, Conn: st.Conn, Server: srv}
}

// Header is the Authorization header of the env's ingest token.
func (e *Env) Header() http.Header {
	return http.Header{"Authorization": {"Bearer " + e.Token}}
}

// slowConn delays every insert.
type slowConn struct {
	driver.Conn
	delay time.Duration
}

func (s slowConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Conn.PrepareBatch(ctx, query, opts...)
}
