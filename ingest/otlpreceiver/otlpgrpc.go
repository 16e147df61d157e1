package otlpreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // OTLP exporters may compress with gzip
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest/otlp"
)

// GRPCServer is the OTLP/gRPC listener.
type GRPCServer struct {
	srv  *grpc.Server
	ln   net.Listener
	done chan error
}

// ListenGRPC serves the OTLP trace, metrics and logs services on addr.
func (r *Receiver) ListenGRPC(addr string) (*GRPCServer, error) {
	if r.cfg.Authenticator == nil {
		return nil, errors.New("OTLP/gRPC needs an authenticator for its bearer tokens")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --grpc-addr %s: %w", addr, err)
	}
	s := grpc.NewServer(
		grpc.MaxRecvMsgSize(int(r.cfg.MaxBody)),
		grpc.UnaryInterceptor(r.authenticate),
	)
	s.RegisterService(&traceServiceDesc, r)
	pmetricotlp.RegisterGRPCServer(s, &metricService{r: r})
	plogotlp.RegisterGRPCServer(s, &logService{r: r})
	g := &GRPCServer{srv: s, ln: ln, done: make(chan error, 1)}
	go func() { g.done <- s.Serve(ln) }()
	return g, nil
}

// Addr is the bound address.
func (g *GRPCServer) Addr() string { return g.ln.Addr().String() }

// Stop stops accepting calls and waits for those in flight (whose rows are
// being committed) until ctx ends, then cuts the rest.
func (g *GRPCServer) Stop(ctx context.Context) {
	stopped := make(chan struct{})
	go func() { g.srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		g.srv.Stop()
		<-stopped
	}
}

// authenticate checks the call's "authorization: Bearer <token>" metadata
// for an ingest token, as the HTTP routes do.
func (r *Receiver) authenticate(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	for _, v := range md.Get("authorization") {
		if t, ok := strings.CutPrefix(v, "Bearer "); ok {
			token = strings.TrimSpace(t)
		}
	}
	if token == "" {
		return nil, status.Error(codes.Unauthenticated, "missing bearer token: send the metadata authorization: Bearer <token>")
	}
	p, err := r.cfg.Authenticator.Authenticate(ctx, token)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return nil, status.Error(codes.Unauthenticated, "invalid or revoked bearer token")
	case err != nil:
		r.cfg.Log.Error("authenticate", "err", err)
		return nil, status.Error(codes.Unavailable, "cannot check the token now: the store is unavailable")
	}
	// As over HTTP, every authenticated call spends the token's budget.
	if r.cfg.Limiter != nil {
		if wait, ok := r.cfg.Limiter.Allow(p.TokenID); !ok {
			return nil, withRetryInfo(status.New(codes.ResourceExhausted, "rate limit exceeded: this token's request budget (--rate-limit, --rate-burst) is spent"), wait).Err()
		}
	}
	if !p.Can(auth.RoleIngest) {
		return nil, status.Error(codes.PermissionDenied, fmt.Sprintf("this token has role %q; OTLP needs %q", p.Role, auth.RoleIngest))
	}
	return next(ctx, req)
}

// Traces take the protobuf hot path over gRPC too: the trace service is
// registered with its own descriptor whose request keeps the message's
// bytes, which TraceRows.AppendTracesProto reads straight into columns.
// pdata's gRPC codec (registered as "proto" by the pdata packages imported
// here) hands any message with UnmarshalProto its bytes.
var traceServiceDesc = grpc.ServiceDesc{
	ServiceName: "opentelemetry.proto.collector.trace.v1.TraceService",
	HandlerType: (*traceExporter)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: exportTracesHandler}},
	Streams:     []grpc.StreamDesc{},
	Metadata:    "opentelemetry/proto/collector/trace/v1/trace_service.proto",
}

type traceExporter interface {
	exportTracesProto(ctx context.Context, body []byte) error
}

func (r *Receiver) exportTracesProto(ctx context.Context, body []byte) error {
	err := r.storeTraces(ctx, ProtocolGRPC, func(rows *otlp.TraceRows) error {
		if derr := rows.AppendTracesProto(body); derr != nil {
			return undecodable("ExportTraceServiceRequest", false, derr)
		}
		return nil
	})
	if err != nil {
		return grpcError(err)
	}
	return nil
}

func exportTracesHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(rawMessage)
	if err := dec(in); err != nil {
		return nil, err
	}
	handle := func(ctx context.Context, req any) (any, error) {
		if err := srv.(traceExporter).exportTracesProto(ctx, req.(*rawMessage).b); err != nil {
			return nil, err
		}
		return emptyMessage{}, nil
	}
	if interceptor == nil {
		return handle(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/opentelemetry.proto.collector.trace.v1.TraceService/Export"}
	return interceptor(ctx, in, info, handle)
}

// rawMessage is a request kept as its protobuf bytes.
type rawMessage struct{ b []byte }

func (m *rawMessage) SizeProto() int                { return len(m.b) }
func (m *rawMessage) MarshalProto(buf []byte) int   { return copy(buf, m.b) }
func (m *rawMessage) UnmarshalProto(b []byte) error { m.b = append(m.b[:0], b...); return nil } // b is pooled: copy

// emptyMessage is an ExportTraceServiceResponse without partial success,
// whose encoding is empty.
type emptyMessage struct{}

func (emptyMessage) SizeProto() int              { return 0 }
func (emptyMessage) MarshalProto([]byte) int     { return 0 }
func (emptyMessage) UnmarshalProto([]byte) error { return nil }

type metricService struct {
	pmetricotlp.UnimplementedGRPCServer
	r *Receiver
}

func (s metricService) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	if err := s.r.ConsumeMetrics(ctx, ProtocolGRPC, req.Metrics()); err != nil {
		return pmetricotlp.NewExportResponse(), grpcError(err)
	}
	return metricsResponse(req.Metrics()), nil
}

type logService struct {
	plogotlp.UnimplementedGRPCServer
	r *Receiver
}

func (s logService) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	if err := s.r.ConsumeLogs(ctx, ProtocolGRPC, req.Logs()); err != nil {
		return plogotlp.NewExportResponse(), grpcError(err)
	}
	return plogotlp.NewExportResponse(), nil
}
