// Package otlpreceiver receives OTLP traces, logs and metrics over HTTP
// (POST /v1/traces|/v1/logs|/v1/metrics, protobuf or JSON, gzip or zstd) and
// gRPC, turns them into the rows of ingest/otlp and stores them through the
// group committer that delivery events use: a request is acknowledged only
// once its rows are committed, and refused with 429 / RESOURCE_EXHAUSTED
// (with a retry delay) when the committer's buffer is full.
//
// The shape follows the Collector's receiver/otlpreceiver: otlphttp.go and
// otlpgrpc.go are the two transports, consume.go is what both call, and
// errors.go is the one place where errors become HTTP and gRPC statuses.
package otlpreceiver

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/commit"
)

// Authenticator turns a bearer token into a principal (auth.Tokens is one).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// Limiter is a per-token request budget (server.TokenLimiter is one).
type Limiter interface {
	Allow(tokenID string) (retryAfter time.Duration, ok bool)
}

// Committer stores rows durably (commit.Committer is one).
type Committer interface {
	Commit(ctx context.Context, rows ...commit.Rows) error
}

// Config configures the receiver.
type Config struct {
	// Committer stores the rows; the ingest role shares one with delivery events.
	Committer Committer
	// MaxBody caps a request body in bytes, before and after decompression,
	// and a gRPC message (413 / RESOURCE_EXHAUSTED past it).
	MaxBody int64
	// Authenticator checks the bearer tokens of gRPC calls (HTTP requests
	// are checked by the server's route group).
	Authenticator Authenticator
	// Limiter spends a gRPC call from its token's request budget, shared
	// with the token's HTTP requests (server.TokenLimiter); nil: no limit.
	Limiter Limiter
	// Registry receives the receiver's counters; nil: unregistered.
	Registry prometheus.Registerer
	Log      *slog.Logger
}

// Receiver is the OTLP receiver; one serves both transports.
type Receiver struct {
	cfg     Config
	metrics *Metrics

	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
}

// New builds a receiver.
func New(cfg Config) *Receiver {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = ingest.DefaultMaxBody
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Receiver{cfg: cfg, metrics: NewMetrics(cfg.Registry)}
}
