package otlpreceiver_test

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/deploylens/deploylens/ingest/ingesttest"
	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

// BenchmarkStoredBytes is what a span, a log record and a metric point
// cost: b.N items of the workload (workload_test.go) sent as SDK exports
// over OTLP/gRPC by 4 senders into the embedded engine, acknowledged once
// committed; then every table merged and measured. disk_bytes/item counts
// every table the signal fills (otel_traces_trace_id_ts with the spans);
// go_cpu_µs/item is this process — receiver, committer and the senders'
// marshalling — and engine_cpu_µs/item the embedded engine's insert work.
//
//	go test -run '^$' -bench StoredBytes -benchtime 100000x ./ingest/otlpreceiver/
func BenchmarkStoredBytes(b *testing.B) {
	for _, sig := range []struct {
		name, unit, table string
		// exports builds requests holding at least n items in all.
		exports func(w *workload, n int) (sends []func(context.Context, *grpc.ClientConn) error, items int)
	}{
		{"traces", "span", "otel_traces", func(w *workload, n int) ([]func(context.Context, *grpc.ClientConn) error, int) {
			var sends []func(context.Context, *grpc.ClientConn) error
			items := 0
			for items < n {
				req := ptraceotlp.NewExportRequestFromTraces(w.traces(min(512, n-items)))
				items += req.Traces().SpanCount()
				sends = append(sends, func(ctx context.Context, c *grpc.ClientConn) error {
					_, err := ptraceotlp.NewGRPCClient(c).Export(ctx, req)
					return err
				})
			}
			return sends, items
		}},
		{"logs", "log", "otel_logs", func(w *workload, n int) ([]func(context.Context, *grpc.ClientConn) error, int) {
			var sends []func(context.Context, *grpc.ClientConn) error
			items := 0
			for items < n {
				req := plogotlp.NewExportRequestFromLogs(w.logs(min(512, n-items)))
				items += req.Logs().LogRecordCount()
				sends = append(sends, func(ctx context.Context, c *grpc.ClientConn) error {
					_, err := plogotlp.NewGRPCClient(c).Export(ctx, req)
					return err
				})
			}
			return sends, items
		}},
		{"metrics", "point", "", func(w *workload, n int) ([]func(context.Context, *grpc.ClientConn) error, int) {
			var sends []func(context.Context, *grpc.ClientConn) error
			items := 0
			for items < n {
				req := pmetricotlp.NewExportRequestFromMetrics(w.metrics())
				items += req.Metrics().DataPointCount()
				sends = append(sends, func(ctx context.Context, c *grpc.ClientConn) error {
					_, err := pmetricotlp.NewGRPCClient(c).Export(ctx, req)
					return err
				})
			}
			return sends, items
		}},
	} {
		b.Run(sig.name, func(b *testing.B) {
			env := receivertest.Start(b, receivertest.Options{})
			conn, err := grpc.NewClient(env.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+env.Token)
			sends, items := sig.exports(newWorkload(3), b.N)
			queue := make(chan func(context.Context, *grpc.ClientConn) error, len(sends))
			for _, s := range sends {
				queue <- s
			}
			close(queue)
			b.ResetTimer()
			goCPU0, engineCPU0 := ingesttest.CPUUsed()
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for send := range queue {
						if err := send(ctx, conn); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			goCPU, engineCPU := ingesttest.CPUUsed()
			b.StopTimer()
			b.ReportMetric(float64(items)/b.Elapsed().Seconds(), sig.unit+"s/s")
			b.ReportMetric(float64((goCPU-goCPU0).Microseconds())/float64(items), "go_cpu_µs/"+sig.unit)
			b.ReportMetric(float64((engineCPU-engineCPU0).Microseconds())/float64(items), "engine_cpu_µs/"+sig.unit)
			if sig.table != "" {
				var stored uint64
				if err := env.Conn.QueryRow(context.Background(), "SELECT count() FROM "+sig.table).Scan(&stored); err != nil || stored != uint64(items) {
					b.Fatalf("%s holds %d rows (%v), sent %d", sig.table, stored, err, items)
				}
			}
			ingesttest.ReportStoredBytes(b, env.Conn, items, sig.unit)
		})
	}
}
