package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/canary/analysis"
)

// Two versions' spans stored in otel_traces get the verdict a human would
// give: equal versions pass; a canary twice as slow fails before the last
// look, without waiting out the lifetime. (At the first of three looks, ten
// points a side cannot reach the O'Brien–Fleming boundary; the second can.)
func TestAnalysisOfStoredSpansGivesTheHumanVerdict(t *testing.T) {
	for _, c := range []struct {
		name         string
		canaryMedian float64
		verdict      string
		stoppedEarly bool
		failing      string
	}{
		{"equal versions pass", 80, "pass", false, ""},
		{"a canary twice as slow fails early", 160, "fail", true, "latency_p50"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.4.0", perMinute: 40, medianMS: 80, sigma: 0.4, errorRate: 0.01}, 1)
			storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.5.0", perMinute: 40, medianMS: c.canaryMedian, sigma: 0.4, errorRate: 0.01}, 2)
			// Another service's spans with the same versions must not count.
			storeTelemetry(t, f.conn, "search", t0, 30, version{name: "1.5.0", perMinute: 40, medianMS: 900, sigma: 0.4}, 3)
			an := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", analysisRequest("payments", checkoutConfig()), http.StatusCreated)
			got := f.do(t, "read-pay", http.MethodGet, "/api/v1/canary/analyses/"+an["id"].(string), nil, http.StatusOK)
			if got["status"] != "completed" || got["verdict"] != c.verdict || got["stopped_early"] != c.stoppedEarly {
				t.Fatalf("status %v verdict %v stopped_early %v (%v), want completed %s %v",
					got["status"], got["verdict"], got["stopped_early"], got["reason"], c.verdict, c.stoppedEarly)
			}
			looks := got["looks"].([]any)
			if c.stoppedEarly && len(looks) >= 3 || !c.stoppedEarly && len(looks) != 3 {
				t.Errorf("%d looks of 3, stopped early %v", len(looks), c.stoppedEarly)
			}
			if got["deployment_id"] != "dep-42" {
				t.Errorf("deployment_id %v", got["deployment_id"])
			}
			res := got["result"].(map[string]any)
			for _, m := range res["metrics"].([]any) {
				mm := m.(map[string]any)
				ex := mm["explanation"].(map[string]any)
				wantClass := "pass"
				if mm["name"] == c.failing {
					wantClass = "high"
				}
				if mm["classification"] != wantClass {
					t.Errorf("%s: %v (%v), want %s", mm["name"], mm["classification"], mm["reason"], wantClass)
				}
				if n := ex["n_canary"].(float64); n < 10 {
					t.Errorf("%s: %v canary points, want one per minute", mm["name"], n)
				}
			}
		})
	}
}

// Kayenta's users reported canaries passing with no data and with errors
// only on the canary (spinnaker/kayenta#398, #511, #678); through the API
// neither passes.
func TestAnalysisWithoutDataOrWithSparseErrorsDoesNotPass(t *testing.T) {
	f := newFixture(t)
	base := version{name: "1.4.0", perMinute: 20, medianMS: 80, sigma: 0.3}
	storeTelemetry(t, f.conn, "checkout", t0, 30, base, 1)
	sparse := base
	sparse.name, sparse.errorLogs = "1.5.0", 12
	storeTelemetry(t, f.conn, "checkout", t0, 30, sparse, 2)
	few := base
	few.name, few.errorLogs = "1.5.1", 3
	storeTelemetry(t, f.conn, "checkout", t0, 30, few, 3)

	latency := map[string]any{"name": "latency", "source": "span_latency", "statistic": "p90", "direction": "increase"}
	errorLogs := map[string]any{"name": "error_logs", "source": "error_log_rate", "direction": "increase"}
	for _, c := range []struct {
		name, canary string
		metrics      []any
		verdicts     []string
		rule         string
	}{
		{"a canary that sent nothing is inconclusive", "9.9.9", []any{latency}, []string{"inconclusive"}, "no_data"},
		{"a canary without data for a must-have metric fails", "9.9.9",
			[]any{map[string]any{"name": "latency", "source": "span_latency", "must_have_data": true}}, []string{"fail"}, "required_data_missing"},
		{"twelve error logs against none fail", "1.5.0", []any{latency, errorLogs}, []string{"fail"}, ""},
		{"three error logs against none are not a pass", "1.5.1", []any{latency, errorLogs}, []string{"inconclusive", "marginal", "fail"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := analysisRequest("payments", map[string]any{"metrics": c.metrics})
			req["canary"] = map[string]any{"resource_attributes": map[string]string{"service.version": c.canary}}
			req["interval_seconds"] = 1800
			got := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", req, http.StatusCreated)
			v, _ := got["verdict"].(string)
			ok := false
			for _, w := range c.verdicts {
				ok = ok || v == w
			}
			if !ok || (c.rule != "" && got["rule"] != c.rule) {
				t.Errorf("verdict %s rule %v (%v), want one of %v rule %q", v, got["rule"], got["reason"], c.verdicts, c.rule)
			}
		})
	}
}

// A stored config is referenced by name; the analysis records it resolved.
func TestStoredConfigsAreReferencedByName(t *testing.T) {
	f := newFixture(t)
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.4.0", perMinute: 30, medianMS: 80, sigma: 0.3}, 1)
	storeTelemetry(t, f.conn, "checkout", t0, 30, version{name: "1.5.0", perMinute: 30, medianMS: 80, sigma: 0.3}, 2)
	f.do(t, "read-pay", http.MethodPut, "/api/v1/canary/configs/checkout-default", map[string]any{"team": "payments", "config": checkoutConfig()}, http.StatusOK)
	got := f.do(t, "read-pay", http.MethodGet, "/api/v1/canary/configs/checkout-default", nil, http.StatusOK)
	if got["team"] != "payments" || len(got["config"].(map[string]any)["metrics"].([]any)) != 2 {
		t.Fatalf("stored config %v", got)
	}
	req := analysisRequest("payments", nil)
	delete(req, "config")
	req["config_name"] = "checkout-default"
	an := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", req, http.StatusCreated)
	if an["verdict"] != "pass" {
		t.Errorf("verdict %v (%v), want pass", an["verdict"], an["reason"])
	}
}

// An analysis whose window reaches into the future is answered running and
// judged as its looks fall due; lookback_seconds judges the telemetry just
// past in one request.
func TestLiveAndLookbackAnalyses(t *testing.T) {
	f := newFixture(t)
	past := time.Now().UTC().Add(-31 * time.Minute).Truncate(time.Minute)
	storeTelemetry(t, f.conn, "checkout", past, 31, version{name: "1.4.0", perMinute: 30, medianMS: 80, sigma: 0.3}, 1)
	storeTelemetry(t, f.conn, "checkout", past, 31, version{name: "1.5.0", perMinute: 30, medianMS: 80, sigma: 0.3}, 2)

	live := analysisRequest("payments", checkoutConfig())
	delete(live, "start")
	an := f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", live, http.StatusCreated)
	if an["status"] != "running" || len(an["looks"].([]any)) != 0 || an["verdict"] != nil {
		t.Errorf("a live analysis answered %v with %d looks, verdict %v; want running, none", an["status"], len(an["looks"].([]any)), an["verdict"])
	}
	got := f.do(t, "read-pay", http.MethodGet, "/api/v1/canary/analyses/"+an["id"].(string), nil, http.StatusOK)
	if got["status"] != "running" || got["total_looks"].(float64) != 3 {
		t.Errorf("stored live analysis: %v, %v looks planned", got["status"], got["total_looks"])
	}

	back := analysisRequest("payments", checkoutConfig())
	delete(back, "start")
	back["lookback_seconds"] = 1800 + analysis.DefaultSettle.Seconds()
	an = f.do(t, "read-pay", http.MethodPost, "/api/v1/canary/analyses", back, http.StatusCreated)
	if an["status"] != "completed" || an["verdict"] != "pass" {
		t.Errorf("lookback analysis: %v %v (%v), want completed pass", an["status"], an["verdict"], an["reason"])
	}
}
