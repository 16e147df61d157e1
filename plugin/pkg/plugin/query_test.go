package plugin_test

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
)

// want describes one field a panel needs.
type want struct {
	name    string
	typ     data.FieldType
	display string
	unit    string
}

// checkFields asserts a frame's fields one by one: name, type, display
// name and unit, in order.
func checkFields(t *testing.T, f *data.Frame, fields []want) {
	t.Helper()
	if len(f.Fields) != len(fields) {
		names := make([]string, len(f.Fields))
		for i, fl := range f.Fields {
			names[i] = fl.Name
		}
		t.Fatalf("frame %s has fields %q, want %d fields", f.Name, names, len(fields))
	}
	for i, w := range fields {
		fl := f.Fields[i]
		if fl.Name != w.name || fl.Type() != w.typ {
			t.Errorf("field %d is %s %s, want %s %s", i, fl.Name, fl.Type(), w.name, w.typ)
			continue
		}
		var display, unit string
		if fl.Config != nil {
			display, unit = fl.Config.DisplayNameFromDS, fl.Config.Unit
		}
		if display != w.display || unit != w.unit {
			t.Errorf("field %s shows as %q in %q, want %q in %q", fl.Name, display, unit, w.display, w.unit)
		}
	}
}

// value reads row i of a field, dereferencing nullable values.
func value(t *testing.T, f *data.Frame, name string, i int) any {
	t.Helper()
	fl, _ := f.FieldByName(name)
	if fl == nil {
		t.Fatalf("frame %s has no field %s", f.Name, name)
	}
	if i >= fl.Len() {
		t.Fatalf("field %s has %d rows, want row %d", name, fl.Len(), i)
	}
	v, ok := fl.ConcreteAt(i)
	if !ok {
		return nil
	}
	return v
}

func oneFrame(t *testing.T, res backend.Responses, refID string) *data.Frame {
	t.Helper()
	r, ok := res[refID]
	if !ok {
		t.Fatalf("no response for %s", refID)
	}
	if r.Error != nil {
		t.Fatalf("%s: %v", refID, r.Error)
	}
	if len(r.Frames) != 1 {
		t.Fatalf("%s: %d frames, want 1", refID, len(r.Frames))
	}
	if r.Frames[0].RefID != refID {
		t.Errorf("frame refId %q, want %q", r.Frames[0].RefID, refID)
	}
	return r.Frames[0]
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

// TestQueries runs every query type through the plugin protocol against a
// real deploylens holding the demo history, and checks the frames a panel
// needs field by field.
func TestQueries(t *testing.T) {
	dl := deploylenstest.Start(t)
	demo := deploylenstest.Seed(t, dl)
	p := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.ReadToken})
	from, to := demo.Now.Add(-30*24*time.Hour), demo.Now.Add(time.Hour)
	run := func(t *testing.T, queryType string, model map[string]any) *data.Frame {
		t.Helper()
		if model == nil {
			model = map[string]any{"team": "payments"}
		}
		return oneFrame(t, p.QueryData(t, deploylenstest.Query{QueryType: queryType, JSON: model, From: from, To: to}), "A")
	}

	t.Run("DORA summary", func(t *testing.T) {
		f := run(t, "dora_summary", nil)
		checkFields(t, f, []want{
			{"deployments", data.FieldTypeInt64, "Deployments", "none"},
			{"successful_deployments", data.FieldTypeInt64, "Successful deployments", "none"},
			{"deployment_frequency", data.FieldTypeFloat64, "Deployment frequency", "suffix:/day"},
			{"changes", data.FieldTypeInt64, "Changes deployed", "none"},
			{"lead_time_median", data.FieldTypeNullableFloat64, "Lead time (median)", "s"},
			{"lead_time_p90", data.FieldTypeNullableFloat64, "Lead time (p90)", "s"},
			{"failed_deployments", data.FieldTypeInt64, "Failed deployments", "none"},
			{"change_failure_rate", data.FieldTypeNullableFloat64, "Change failure rate", "percentunit"},
			{"recovered", data.FieldTypeInt64, "Recovered failures", "none"},
			{"unrecovered", data.FieldTypeInt64, "Unrecovered failures", "none"},
			{"recovery_time_median", data.FieldTypeNullableFloat64, "Recovery time (median)", "s"},
			{"unplanned_deployments", data.FieldTypeInt64, "Unplanned deployments", "none"},
			{"rework_rate", data.FieldTypeNullableFloat64, "Rework rate", "percentunit"},
		})
		if f.Rows() != 1 {
			t.Fatalf("%d rows, want 1", f.Rows())
		}
		// payments deployed 7 times to production, one failed; 6 changes
		// reached production, each demo.LeadTime after its first commit;
		// two deployments failed (one rolled back, one caused INC-1) and
		// two were unplanned (the rollback, and ledger's hotfix).
		for name, w := range map[string]int64{"deployments": 7, "successful_deployments": 6, "changes": 6} {
			if got := value(t, f, name, 0); got != w {
				t.Errorf("%s = %v, want %d", name, got, w)
			}
		}
		if got := value(t, f, "lead_time_median", 0); got != demo.LeadTime.Seconds() {
			t.Errorf("lead_time_median = %v, want %v", got, demo.LeadTime.Seconds())
		}
		days := to.Sub(from).Hours() / 24
		for name, w := range map[string]float64{"deployment_frequency": 6 / days, "change_failure_rate": 2.0 / 7, "rework_rate": 2.0 / 7} {
			if got, _ := value(t, f, name, 0).(float64); !near(got, w) {
				t.Errorf("%s = %v, want %v", name, got, w)
			}
		}
		for name, w := range map[string]int64{"failed_deployments": 2, "unplanned_deployments": 2, "recovered": 2, "unrecovered": 0} {
			if got := value(t, f, name, 0); got != w {
				t.Errorf("%s = %v, want %d", name, got, w)
			}
		}
		// Two recoveries are too few for deploylens to vouch for their
		// median: the panel says so.
		if f.Meta == nil || len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "fewer than 5") {
			t.Errorf("notices %+v, want one saying the recovery time rests on too few samples", f.Meta)
		}
	})

	t.Run("DORA series follows the panel interval", func(t *testing.T) {
		for _, tc := range []struct {
			interval time.Duration
			step     string
			points   int
		}{
			{time.Hour, "day", 30},
			{7 * 24 * time.Hour, "week", 4},
		} {
			res := p.QueryData(t, deploylenstest.Query{QueryType: "dora_series", JSON: map[string]any{"team": "payments", "step": "auto"}, From: from, To: to, Interval: tc.interval})
			f := oneFrame(t, res, "A")
			checkFields(t, f, []want{
				{"time", data.FieldTypeTime, "", ""},
				{"deployments", data.FieldTypeInt64, "Deployments", "none"},
				{"deployment_frequency", data.FieldTypeFloat64, "Deployment frequency", "suffix:/day"},
				{"changes", data.FieldTypeInt64, "Changes deployed", "none"},
				{"lead_time_median", data.FieldTypeNullableFloat64, "Lead time (median)", "s"},
				{"lead_time_p90", data.FieldTypeNullableFloat64, "Lead time (p90)", "s"},
				{"failed_deployments", data.FieldTypeInt64, "Failed deployments", "none"},
				{"change_failure_rate", data.FieldTypeNullableFloat64, "Change failure rate", "percentunit"},
				{"recovery_time_median", data.FieldTypeNullableFloat64, "Recovery time (median)", "s"},
				{"unplanned_deployments", data.FieldTypeInt64, "Unplanned deployments", "none"},
				{"rework_rate", data.FieldTypeNullableFloat64, "Rework rate", "percentunit"},
			})
			if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesWide || f.Meta.Custom.(map[string]any)["step"] != tc.step {
				t.Errorf("interval %s: meta %+v, want a wide time series with step %s", tc.interval, f.Meta, tc.step)
			}
			if f.Rows() < tc.points {
				t.Errorf("interval %s: %d points, want at least %d", tc.interval, f.Rows(), tc.points)
			}
			var total int64
			for i := 0; i < f.Rows(); i++ {
				total += value(t, f, "deployments", i).(int64)
			}
			if total != 7 {
				t.Errorf("interval %s: deployments over the steps sum to %d, want 7", tc.interval, total)
			}
		}
	})

	t.Run("benchmark levels", func(t *testing.T) {
		f := run(t, "benchmark", nil)
		checkFields(t, f, []want{
			{"deployment_frequency", data.FieldTypeString, "Deployment frequency", ""},
			{"lead_time", data.FieldTypeString, "Lead time", ""},
			{"change_failure_rate", data.FieldTypeString, "Change failure rate", ""},
			{"recovery_time", data.FieldTypeString, "Recovery time", ""},
			{"rework_rate", data.FieldTypeString, "Rework rate", ""},
		})
		level := value(t, f, "deployment_frequency", 0).(string)
		if !strings.Contains(" elite high medium low ", " "+level+" ") {
			t.Errorf("deployment frequency level %q is not a DORA level", level)
		}
		if f.Fields[0].Config.Mappings == nil {
			t.Error("levels carry no value mappings, so they would not be coloured")
		}
	})

	t.Run("wait-time breakdown", func(t *testing.T) {
		f := run(t, "waits", nil)
		checkFields(t, f, []want{
			{"segment", data.FieldTypeString, "Segment", ""},
			{"state", data.FieldTypeString, "State", ""},
			{"changes", data.FieldTypeInt64, "Changes", "none"},
			{"total", data.FieldTypeFloat64, "Total time", "s"},
			{"median", data.FieldTypeNullableFloat64, "Median per change", "s"},
			{"share", data.FieldTypeFloat64, "Share of lead time", "percentunit"},
		})
		if f.Rows() == 0 {
			t.Fatal("no segments")
		}
		var share float64
		states := map[string]bool{}
		for i := 0; i < f.Rows(); i++ {
			share += value(t, f, "share", i).(float64)
			states[value(t, f, "state", i).(string)] = true
		}
		if !near(share, 1) {
			t.Errorf("segment shares sum to %v, want 1", share)
		}
		if !states["waiting"] || !states["active"] || len(states) != 2 {
			t.Errorf("states %v, want waiting and active", states)
		}
	})

	t.Run("top waits", func(t *testing.T) {
		f := oneFrame(t, p.QueryData(t, deploylenstest.Query{QueryType: "top_waits", JSON: map[string]any{"team": "payments", "limit": 3}, From: from, To: to}), "A")
		checkFields(t, f, []want{
			{"pipeline", data.FieldTypeString, "Pipeline", ""},
			{"stage", data.FieldTypeString, "Stage", ""},
			{"waiting", data.FieldTypeFloat64, "Waiting", "s"},
			{"active", data.FieldTypeFloat64, "Active", "s"},
		})
		if f.Rows() == 0 || f.Rows() > 3 {
			t.Fatalf("%d rows, want 1 to 3 (the limit)", f.Rows())
		}
		// checkout's approval gate waits 3 hours in each of its 5 runs in
		// the window: the longest wait.
		if p, s := value(t, f, "pipeline", 0), value(t, f, "stage", 0); p != "checkout-ci" || s != "approve" {
			t.Errorf("top wait is %v / %v, want checkout-ci / approve", p, s)
		}
		if got := value(t, f, "waiting", 0).(float64); got < 5*3*3600 {
			t.Errorf("checkout-ci / approve waited %v s, want at least 5 runs × 3 h", got)
		}
	})

	t.Run("waiting share over time", func(t *testing.T) {
		f := run(t, "waiting_share", nil)
		checkFields(t, f, []want{
			{"time", data.FieldTypeTime, "", ""},
			{"waiting_share", data.FieldTypeNullableFloat64, "Waiting share of lead time", "percentunit"},
			{"changes", data.FieldTypeInt64, "Changes", "none"},
			{"waiting", data.FieldTypeFloat64, "Waiting", "s"},
			{"active", data.FieldTypeFloat64, "Active", "s"},
		})
		if f.Rows() == 0 {
			t.Fatal("no weeks")
		}
	})

	timeline := func(t *testing.T, changeID string) {
		t.Helper()
		f := run(t, "change_timeline", map[string]any{"changeId": changeID})
		checkFields(t, f, []want{
			{"traceID", data.FieldTypeString, "", ""},
			{"spanID", data.FieldTypeString, "", ""},
			{"parentSpanID", data.FieldTypeString, "", ""},
			{"operationName", data.FieldTypeString, "", ""},
			{"serviceName", data.FieldTypeString, "", ""},
			{"serviceTags", data.FieldTypeJSON, "", ""},
			{"startTime", data.FieldTypeFloat64, "Start", "ms"},
			{"duration", data.FieldTypeFloat64, "Duration", "ms"},
			{"state", data.FieldTypeString, "", ""},
			{"tags", data.FieldTypeJSON, "", ""},
		})
		if f.Meta == nil || f.Meta.PreferredVisualization != data.VisTypeTrace {
			t.Errorf("meta %+v, want the trace visualisation", f.Meta)
		}
		if f.Rows() < 3 {
			t.Fatalf("%d spans, want the change and its segments", f.Rows())
		}
		// The segments fill the root span exactly: every second of lead
		// time is in one segment.
		var sum float64
		for i := 1; i < f.Rows(); i++ {
			sum += value(t, f, "duration", i).(float64)
			if value(t, f, "parentSpanID", i) != "change" {
				t.Errorf("span %d is not a child of the change", i)
			}
		}
		if root := value(t, f, "duration", 0).(float64); !near(sum, root) || !near(root, float64(demo.LeadTime.Milliseconds())) {
			t.Errorf("segments last %v ms, the change %v ms, want the lead time %v", sum, root, demo.LeadTime)
		}
	}
	t.Run("change timeline as a trace", func(t *testing.T) { timeline(t, demo.ChangeID) })
	t.Run("change timeline of a GitHub change id", func(t *testing.T) {
		path := "/api/v1/changes/" + url.PathEscape(demo.GitHubChangeID) + "/timeline"
		if code, body := dl.Do(t, http.MethodGet, path, nil); code == http.StatusNotFound && strings.Contains(string(body), "no such endpoint") {
			t.Skipf("this deploylens cannot route a change id holding %q (GET %s answers %s): its gin engine needs UseRawPath", "/", path, body)
		}
		timeline(t, demo.GitHubChangeID)
	})

	t.Run("change timeline without a change", func(t *testing.T) {
		r := p.QueryData(t, deploylenstest.Query{QueryType: "change_timeline", JSON: map[string]any{}, From: from, To: to})["A"]
		if r.Error == nil || !strings.Contains(r.Error.Error(), "needs a change id") {
			t.Fatalf("error %v, want one asking for a change id", r.Error)
		}
	})

	t.Run("deployments", func(t *testing.T) {
		f := run(t, "deployments", nil)
		checkFields(t, f, []want{
			{"time", data.FieldTypeTime, "Finished", ""},
			{"started", data.FieldTypeNullableTime, "Started", ""},
			{"deployment_id", data.FieldTypeString, "Deployment", ""},
			{"service", data.FieldTypeString, "Service", ""},
			{"environment", data.FieldTypeString, "Environment", ""},
			{"version", data.FieldTypeString, "Version", ""},
			{"status", data.FieldTypeString, "Status", ""},
			{"failed", data.FieldTypeBool, "Failed", ""},
			{"rolled_back", data.FieldTypeBool, "Rolled back", ""},
			{"unplanned", data.FieldTypeBool, "Unplanned", ""},
			{"canary_verdict", data.FieldTypeString, "Canary verdict", ""},
			{"changes", data.FieldTypeInt64, "Changes", "none"},
			{"incidents", data.FieldTypeInt64, "Incidents", "none"},
			{"duration", data.FieldTypeNullableFloat64, "Duration", "s"},
			{"text", data.FieldTypeString, "Summary", ""},
			{"tags", data.FieldTypeString, "Tags", ""},
		})
		if f.Rows() != demo.Deployments["payments"] {
			t.Fatalf("%d deployments, want %d", f.Rows(), demo.Deployments["payments"])
		}
		byID := map[string]int{}
		for i := 0; i < f.Rows(); i++ {
			byID[value(t, f, "deployment_id", i).(string)] = i
		}
		failed, ok := byID["payments-checkout-3"]
		if !ok {
			t.Fatalf("no payments-checkout-3 among %v", byID)
		}
		if value(t, f, "status", failed) != "failure" || value(t, f, "failed", failed) != true || value(t, f, "rolled_back", failed) != true {
			t.Errorf("payments-checkout-3: status %v failed %v rolled back %v, want a rolled-back failure",
				value(t, f, "status", failed), value(t, f, "failed", failed), value(t, f, "rolled_back", failed))
		}
		if i := byID["payments-checkout-2"]; value(t, f, "failed", i) != true || value(t, f, "incidents", i) != int64(1) {
			t.Errorf("payments-checkout-2 caused INC-1: failed %v incidents %v", value(t, f, "failed", i), value(t, f, "incidents", i))
		}
		if i := byID["payments-ledger-1"]; value(t, f, "unplanned", i) != true {
			t.Errorf("payments-ledger-1 is unplanned")
		}
		if got := value(t, f, "duration", byID["payments-checkout-1"]); got != 720.0 {
			t.Errorf("duration %v, want 720 s", got)
		}
	})

	t.Run("incidents", func(t *testing.T) {
		f := run(t, "incidents", nil)
		checkFields(t, f, []want{
			{"time", data.FieldTypeTime, "Opened", ""},
			{"resolved", data.FieldTypeNullableTime, "Resolved", ""},
			{"incident_id", data.FieldTypeString, "Incident", ""},
			{"service", data.FieldTypeString, "Service", ""},
			{"severity", data.FieldTypeString, "Severity", ""},
			{"title", data.FieldTypeString, "Title", ""},
			{"caused_by_deployment", data.FieldTypeString, "Caused by deployment", ""},
			{"duration", data.FieldTypeNullableFloat64, "Time to resolve", "s"},
		})
		if f.Rows() != 1 || value(t, f, "incident_id", 0) != "INC-1" || value(t, f, "caused_by_deployment", 0) != "payments-checkout-2" || value(t, f, "duration", 0) != 10800.0 {
			t.Fatalf("incidents frame %v, want INC-1 caused by payments-checkout-2, resolved in 3 h", f.Fields)
		}
	})

	canaryFields := []want{
		{"time", data.FieldTypeTime, "Created", ""},
		{"analysis_id", data.FieldTypeString, "Analysis", ""},
		{"service", data.FieldTypeString, "Service", ""},
		{"deployment_id", data.FieldTypeString, "Deployment", ""},
		{"status", data.FieldTypeString, "Status", ""},
		{"verdict", data.FieldTypeString, "Verdict", ""},
		{"score", data.FieldTypeNullableFloat64, "Score", "none"},
		{"rule", data.FieldTypeString, "Rule", ""},
		{"reasons", data.FieldTypeString, "Reasons", ""},
		{"stopped_early", data.FieldTypeBool, "Stopped early", ""},
	}
	t.Run("canary analyses of a deployment", func(t *testing.T) {
		an := deploylenstest.SeedCanary(t, dl, demo)
		f := run(t, "canary_analyses", map[string]any{"deploymentId": demo.CanaryDeployment})
		checkFields(t, f, canaryFields)
		if f.Rows() != 1 || value(t, f, "analysis_id", 0) != an["id"] || value(t, f, "deployment_id", 0) != demo.CanaryDeployment {
			t.Fatalf("analyses %v, want the one of %s", f.Fields, demo.CanaryDeployment)
		}
		if value(t, f, "verdict", 0) != an["verdict"] || value(t, f, "status", 0) != "completed" || value(t, f, "reasons", 0) == "" {
			t.Errorf("verdict %v status %v reasons %q, want %v, completed, and why", value(t, f, "verdict", 0), value(t, f, "status", 0), value(t, f, "reasons", 0), an["verdict"])
		}
		if f.Fields[5].Config.Mappings == nil {
			t.Error("verdicts carry no value mappings, so they would not be coloured")
		}
	})
	t.Run("canary analyses of the window", func(t *testing.T) {
		deploylenstest.SeedCanary(t, dl, demo)
		f := run(t, "canary_analyses", nil)
		checkFields(t, f, canaryFields)
		if f.Rows() == 0 {
			t.Fatal("no analyses in the window")
		}
	})

	t.Run("a variable set to All is no filter", func(t *testing.T) {
		all := run(t, "deployments", map[string]any{"team": "*", "service": "$__all"})
		if all.Rows() != demo.Deployments["payments"]+demo.Deployments["search"] {
			t.Fatalf("%d deployments for All, want every team's", all.Rows())
		}
	})

	t.Run("an unknown query type says which exist", func(t *testing.T) {
		r := p.QueryData(t, deploylenstest.Query{QueryType: "dora", From: from, To: to})["A"]
		if r.Error == nil || !strings.Contains(r.Error.Error(), "dora_summary, dora_series") || r.Status != backend.StatusBadRequest {
			t.Fatalf("%v %v, want a 400 listing the query types", r.Status, r.Error)
		}
	})

	t.Run("another team's data is refused", func(t *testing.T) {
		scoped := deploylenstest.StartPlugin(t, deploylenstest.Settings{URL: dl.URL, Token: dl.Token(t, "read", "search")})
		r := scoped.QueryData(t, deploylenstest.Query{QueryType: "dora_summary", JSON: map[string]any{"team": "payments"}, From: from, To: to})["A"]
		if r.Error == nil || r.Status != backend.StatusForbidden {
			t.Fatalf("%v %v, want 403", r.Status, r.Error)
		}
	})
}
