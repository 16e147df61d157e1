package otlpreceiver_test

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

// BenchmarkGRPCEndToEnd is spans per second over OTLP/gRPC into the
// embedded engine, acknowledged once committed: 4 concurrent senders of
// 2000-span requests, the way a Collector's exporter queue sends.
func BenchmarkGRPCEndToEnd(b *testing.B) {
	env := receivertest.Start(b, receivertest.Options{})
	conn, err := grpc.NewClient(env.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.Token)
	const perRequest, senders = 2000, 4
	req := ptraceotlp.NewExportRequestFromTraces(traces("e2e", perRequest, 7))
	spans := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				if _, err := client.Export(ctx, req); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		spans += perRequest * senders
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}
