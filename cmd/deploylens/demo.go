package main

import (
	"context"
	encbinary "encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/deploylens/deploylens/delivery/demo"
)

func demoUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: deploylens demo load --url URL --token ADMIN_TOKEN [--days 90] [--seed 1] [--end RFC3339]")
}

// runDemo writes a realistic delivery history for four teams through a
// running server's public API: the service catalog, native events, OTLP
// spans for canaries and the canary analyses that judge them.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "load" {
		demoUsage(stderr)
		return fmt.Errorf("demo needs the subcommand load")
	}
	fs := flag.NewFlagSet("demo load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		url, token, end string
		days            int
		seed            uint64
		batch           int
	)
	fs.StringVar(&url, "url", "http://localhost:8080", "deploylens server URL")
	fs.StringVar(&token, "token", "", "admin token (the catalog needs it; make run keeps one in data/admin-token)")
	fs.IntVar(&days, "days", 90, "days of history, ending at --end")
	fs.Uint64Var(&seed, "seed", 1, "seed of the history: the same seed and end give the same events")
	fs.StringVar(&end, "end", "now", "when the history ends (RFC 3339 or now)")
	fs.IntVar(&batch, "batch", 2000, "events per request")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("--token is required: an admin token (make run prints it and keeps it in data/admin-token)")
	}
	if days < 1 || days > 3*366 {
		return fmt.Errorf("--days %d: must be 1 to 1098", days)
	}
	if batch < 1 {
		return fmt.Errorf("--batch %d: must be at least 1", batch)
	}
	endAt := time.Now().UTC()
	if end != "now" {
		t, err := time.Parse(time.RFC3339, end)
		if err != nil {
			return fmt.Errorf("--end %q is not an RFC 3339 time", end)
		}
		endAt = t
	}
	h := demo.Generate(demo.Config{End: endAt, Days: days, Seed: seed})
	c := &apiClient{url: strings.TrimRight(url, "/"), token: token, http: &http.Client{Timeout: 2 * time.Minute}, retries: 5, log: stderr}

	for _, team := range demo.Teams() {
		for svc, owner := range h.Catalog {
			if owner != team {
				continue
			}
			if err := c.do(ctx, http.MethodPut, "/api/v1/catalog/services/"+svc, map[string]string{"team": team}, nil); err != nil {
				return fmt.Errorf("catalog %s: %w", svc, err)
			}
		}
	}
	for i := 0; i < len(h.Events); i += batch {
		part := h.Events[i:min(i+batch, len(h.Events))]
		if err := c.do(ctx, http.MethodPost, "/api/v1/events", part, nil); err != nil {
			return fmt.Errorf("events %d-%d: %w", i, i+len(part)-1, err)
		}
	}
	fmt.Fprintf(stdout, "sent %d events: %d days of history for teams %s\n", len(h.Events), days, strings.Join(demo.Teams(), ", "))
	for _, team := range demo.Teams() {
		fmt.Fprintf(stdout, "  %-9s %4d production deployments\n", team, h.Deployments[team])
	}
	for _, can := range h.Canaries {
		body, err := canarySpans(can).MarshalProto()
		if err != nil {
			return err
		}
		if err := c.send(ctx, http.MethodPost, "/v1/traces", "application/x-protobuf", body, nil); err != nil {
			return fmt.Errorf("spans of canary %s: %w", can.DeploymentID, err)
		}
		var an struct {
			ID, Status, Verdict string
		}
		if err := c.do(ctx, http.MethodPost, "/api/v1/canary/analyses", canaryRequest(can), &an); err != nil {
			return fmt.Errorf("canary analysis of %s: %w", can.DeploymentID, err)
		}
		fmt.Fprintf(stdout, "canary %s %s → %s: %s %s\n", can.DeploymentID, can.Baseline, can.Canary, an.Status, an.Verdict)
	}
	return nil
}

// canarySpans are a canary's server spans over its lifetime, one every two
// seconds per version, shaped as an OpenTelemetry SDK exports them: the
// baseline at its previous version and the canary at the new one, slower
// and failing more when it regressed.
func canarySpans(c demo.Canary) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	n := 0
	for _, v := range []struct {
		version   string
		regressed bool
	}{{c.Baseline, false}, {c.Canary, c.Regressed}} {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", c.Service)
		rs.Resource().Attributes().PutStr("service.version", v.version)
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for i := range int(c.Lifetime / (2 * time.Second)) {
			n++
			s := spans.AppendEmpty()
			var tid [16]byte
			var sid [8]byte
			encbinary.BigEndian.PutUint64(tid[8:], uint64(n))
			encbinary.BigEndian.PutUint64(tid[:8], uint64(c.Start.Unix()))
			encbinary.BigEndian.PutUint64(sid[:], uint64(c.Start.Unix())<<20|uint64(n))
			s.SetTraceID(pcommon.TraceID(tid))
			s.SetSpanID(pcommon.SpanID(sid))
			s.SetName("POST /" + c.Service)
			s.SetKind(ptrace.SpanKindServer)
			begin := c.Start.Add(time.Duration(i) * 2 * time.Second)
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(begin))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(begin.Add(demo.Latency(i, v.regressed))))
			// 1 in 200 requests fails; 1 in 12 on a regressed canary.
			if (v.regressed && i%12 == 5) || i%200 == 7 {
				s.Status().SetCode(ptrace.StatusCodeError)
			} else {
				s.Status().SetCode(ptrace.StatusCodeOk)
			}
		}
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// canaryRequest asks for an analysis of the canary's lifetime, judged on
// latency (critical) and error ratio, from the canary API's span sources.
func canaryRequest(c demo.Canary) map[string]any {
	return map[string]any{
		"team": c.Team, "service": c.Service, "environment": "production", "deployment_id": c.DeploymentID,
		"baseline": map[string]any{"resource_attributes": map[string]string{"service.version": c.Baseline}},
		"canary":   map[string]any{"resource_attributes": map[string]string{"service.version": c.Canary}},
		"start":    c.Start.UTC().Format(time.RFC3339), "lifetime_seconds": int(c.Lifetime.Seconds()), "interval_seconds": 600,
		"config": map[string]any{
			"step_seconds": 60,
			"metrics": []any{
				map[string]any{"name": "latency_p50", "source": "span_latency", "statistic": "p50", "direction": "increase", "critical": true},
				// Half an hour of a 0.5% error ratio is too few errors to
				// see a 25% change: judge it on a doubling, power aside.
				map[string]any{"name": "error_ratio", "source": "span_error_ratio", "direction": "increase", "tolerance": 1, "min_power": 0},
			},
		},
	}
}
