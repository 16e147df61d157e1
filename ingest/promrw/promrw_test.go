package promrw_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
	"github.com/deploylens/deploylens/ingest/promrw"
)

const v1Type = "application/x-protobuf"

var at = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ms(t time.Time) int64 { return t.UnixMilli() }

func labels(kv ...string) []promrw.Label {
	var ls []promrw.Label
	for i := 0; i < len(kv); i += 2 {
		ls = append(ls, promrw.Label{Name: kv[i], Value: kv[i+1]})
	}
	return ls
}

// A remote_write 1.0 request: counters (by _total or by metadata) land in
// otel_metrics_sum, the rest in otel_metrics_gauge, job and instance in the
// resource, the other labels as attributes.
func TestRemoteWriteV1(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	series := []promrw.Series{
		{Labels: labels("__name__", "http_requests_total", "job", "api", "instance", "10.0.0.1:9090", "method", "GET"),
			Samples: []promrw.Sample{{Value: 41, Timestamp: ms(at)}, {Value: 42, Timestamp: ms(at.Add(15 * time.Second))}}},
		{Labels: labels("__name__", "queue_depth", "job", "shop/worker", "instance", "w-1"),
			Samples: []promrw.Sample{{Value: 3.5, Timestamp: ms(at)}, {Value: math.Float64frombits(0x7ff0000000000002), Timestamp: ms(at.Add(time.Minute))}}},
		{Labels: labels("__name__", "jobs_done", "job", "api", "instance", "10.0.0.1:9090"),
			Samples: []promrw.Sample{{Value: 7, Timestamp: ms(at)}}},
	}
	meta := []promrw.Metadata{{Type: promrw.TypeCounter, Family: "jobs_done", Help: "Jobs done.", Unit: ""}}
	resp, out := send(t, env, v1Type, "snappy", snappyBody(writeRequestV1(series, meta)))
	if resp.StatusCode != 204 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	ctx := context.Background()
	var value float64
	var svc, inst, method string
	var ts time.Time
	if err := env.Conn.QueryRow(ctx, `SELECT Value, ServiceName, ResourceAttributes['service.instance.id'], Attributes['method'], TimeUnix
		FROM otel_metrics_sum WHERE MetricName = 'http_requests_total' ORDER BY TimeUnix DESC LIMIT 1`).Scan(&value, &svc, &inst, &method, &ts); err != nil {
		t.Fatal(err)
	}
	if value != 42 || svc != "api" || inst != "10.0.0.1:9090" || method != "GET" || !ts.Equal(at.Add(15*time.Second)) {
		t.Errorf("sum row: %v %q %q %q %s", value, svc, inst, method, ts)
	}
	if n := count(t, env, `SELECT count() FROM otel_metrics_sum WHERE MetricName = 'jobs_done' AND MetricDescription = 'Jobs done.'`); n != 1 {
		t.Errorf("jobs_done (a counter by metadata) in otel_metrics_sum: %d rows, want 1", n)
	}
	var ns string
	var flags uint32
	if err := env.Conn.QueryRow(ctx, `SELECT Value, ServiceName, ResourceAttributes['service.namespace'], Flags FROM otel_metrics_gauge
		WHERE MetricName = 'queue_depth' ORDER BY TimeUnix LIMIT 1`).Scan(&value, &svc, &ns, &flags); err != nil {
		t.Fatal(err)
	}
	if value != 3.5 || svc != "worker" || ns != "shop" || flags != 0 {
		t.Errorf("gauge row: %v %q %q flags %d", value, svc, ns, flags)
	}
	if n := count(t, env, `SELECT count() FROM otel_metrics_gauge WHERE MetricName = 'queue_depth' AND Flags = 1`); n != 1 {
		t.Errorf("staleness marker: %d rows flagged no-recorded-value, want 1", n)
	}
	if n := count(t, env, `SELECT count() FROM otel_metrics_gauge WHERE mapContains(Attributes, '__name__') OR mapContains(Attributes, 'job')`); n != 0 {
		t.Errorf("%d rows keep __name__ or job as an attribute", n)
	}
}

// A remote_write 2.0 request: symbols resolved, types from its metadata,
// the created timestamp as a counter's start, and the written-samples header.
func TestRemoteWriteV2(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{})
	series := []promrw.Series{
		{Labels: labels("__name__", "rpc_calls", "job", "api", "instance", "a:1", "code", "200"), Type: promrw.TypeCounter, Help: "Calls.", Unit: "calls",
			CreatedMs: ms(at.Add(-time.Hour)), Samples: []promrw.Sample{{Value: 10, Timestamp: ms(at)}}},
		{Labels: labels("__name__", "temperature", "job", "api", "instance", "a:1"), Type: promrw.TypeGauge,
			Samples: []promrw.Sample{{Value: 21.5, Timestamp: ms(at)}, {Value: 22, Timestamp: ms(at.Add(time.Second))}}},
	}
	resp, out := send(t, env, "application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy", snappyBody(writeRequestV2(series)))
	if resp.StatusCode != 204 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	if got := resp.Header.Get("X-Prometheus-Remote-Write-Samples-Written"); got != "3" {
		t.Errorf("samples written header %q, want 3", got)
	}
	var start time.Time
	var unit, code string
	if err := env.Conn.QueryRow(context.Background(), `SELECT StartTimeUnix, MetricUnit, Attributes['code'] FROM otel_metrics_sum WHERE MetricName = 'rpc_calls'`).Scan(&start, &unit, &code); err != nil {
		t.Fatal(err)
	}
	if !start.Equal(at.Add(-time.Hour)) || unit != "calls" || code != "200" {
		t.Errorf("sum row: start %s unit %q code %q", start, unit, code)
	}
	if n := count(t, env, `SELECT count() FROM otel_metrics_gauge WHERE MetricName = 'temperature' AND ServiceName = 'api'`); n != 2 {
		t.Errorf("%d temperature rows, want 2", n)
	}
}

// Requests deploylens cannot store whole are refused, naming why, and store nothing.
func TestRemoteWriteRefusals(t *testing.T) {
	env := receivertest.Start(t, receivertest.Options{MaxBody: 2048})
	good := writeRequestV1([]promrw.Series{{Labels: labels("__name__", "up"), Samples: []promrw.Sample{{Value: 1, Timestamp: ms(at)}}}}, nil)
	var many []promrw.Series
	for i := range 100 {
		many = append(many, promrw.Series{Labels: labels("__name__", "m", "i", strings.Repeat("x", i)), Samples: []promrw.Sample{{Value: 1, Timestamp: ms(at)}}})
	}
	cases := []struct {
		name, ct, enc string
		body          []byte
		status        int
		msg           string
	}{
		{"json", "application/json", "snappy", snappyBody(good), 415, "not remote_write"},
		{"unknown proto", "application/x-protobuf;proto=io.prometheus.write.v3.Request", "snappy", snappyBody(good), 415, "not supported"},
		{"gzip", v1Type, "gzip", snappyBody(good), 415, "snappy"},
		{"not snappy", v1Type, "snappy", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02}, 400, "snappy"},
		{"not protobuf", v1Type, "snappy", snappyBody([]byte{0x0a, 0x7f}), 400, "not a valid remote_write request"},
		{"no name", v1Type, "snappy", snappyBody(writeRequestV1([]promrw.Series{{Labels: labels("job", "x"), Samples: []promrw.Sample{{Value: 1}}}}, nil)), 400, "no __name__"},
		{"native histograms", v1Type, "snappy", snappyBody(writeRequestV1([]promrw.Series{{Labels: labels("__name__", "h"), Histograms: 1}}, nil)), 400, "native histograms"},
		{"too large decompressed", v1Type, "snappy", snappyBody(writeRequestV1(many, nil)), 413, "larger"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := send(t, env, c.ct, c.enc, c.body)
			if resp.StatusCode != c.status || !strings.Contains(out, c.msg) {
				t.Errorf("%d %s, want %d naming %q", resp.StatusCode, out, c.status, c.msg)
			}
		})
	}
	if n := count(t, env, "SELECT count() FROM otel_metrics_gauge"); n != 0 {
		t.Errorf("%d rows stored by refused requests", n)
	}
}
