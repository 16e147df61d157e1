package promrw_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploylens/deploylens/ingest/otlpreceiver/receivertest"
)

// Prometheus itself (Debian's prometheus package) scrapes deploylens' own
// /metrics and remote-writes the samples back to it; they must arrive.
func TestPrometheusScrapesAndRemoteWrites(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (apt-get install -y prometheus): the real-client test needs its binary")
	}
	env := receivertest.Start(t, receivertest.Options{})
	u, _ := url.Parse(env.URL)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1m
scrape_configs:
  - job_name: deploylens
    static_configs:
      - targets: [%q]
remote_write:
  - url: %q
    authorization:
      credentials: %q
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 100ms
    metadata_config:
      send_interval: 1s
`, u.Host, env.URL+"/api/v1/write", env.Token)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:0", "--log.level=warn")
	out, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", log)
		}
	}()
	// "up" is written by Prometheus for every scrape; the scraped
	// deploylens_ingest_telemetry_requests_total counts remote_write itself.
	for {
		var up, scraped uint64
		_ = env.Conn.QueryRow(ctx, `SELECT countIf(MetricName = 'up' AND Value = 1 AND ServiceName = 'deploylens' AND ResourceAttributes['service.instance.id'] = ?) FROM otel_metrics_gauge`, u.Host).Scan(&up)
		_ = env.Conn.QueryRow(ctx, `SELECT count() FROM otel_metrics_sum WHERE MetricName = 'deploylens_ingest_telemetry_requests_total' AND Attributes['protocol'] = 'remote_write' AND Attributes['outcome'] = 'accepted' AND Value > 0`).Scan(&scraped)
		if up > 0 && scraped > 0 {
			t.Logf("%d up samples and %d self-metric samples arrived", up, scraped)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after 60s: %d up samples, %d remote_write counter samples stored", up, scraped)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
