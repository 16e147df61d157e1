package judge

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// decodeRequest decodes a request body as the HTTP layer does.
func decodeRequest(t *testing.T, body string) Request {
	t.Helper()
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return r
}

func TestValidationNamesTheField(t *testing.T) {
	const ok = `"baseline": [1, 2, 3], "canary": [1, 2, 3]`
	cases := []struct {
		name, body string
		field      string // the field the first error must name
		says       string // and a fragment of its message
	}{
		{"no metrics", `{"metrics": []}`, "metrics", "at least one"},
		{"nameless metric", `{"metrics": [{` + ok + `}]}`, "metrics[0].name", "empty"},
		{"duplicate names", `{"metrics": [{"name": "a", ` + ok + `}, {"name": "a", ` + ok + `}]}`, "metrics[1].name", "metrics[0]"},
		{"unknown kind", `{"metrics": [{"name": "a", "kind": "gauge", ` + ok + `}]}`, "metrics[0].kind", `"gauge"`},
		{"unknown direction", `{"metrics": [{"name": "a", "direction": "up", ` + ok + `}]}`, "metrics[0].direction", `"up"`},
		{"unknown nan strategy", `{"metrics": [{"name": "a", "nan_strategy": "zero", ` + ok + `}]}`, "metrics[0].nan_strategy", "replace"},
		{"confidence level above 1", `{"config": {"confidence_level": 1.5}, "metrics": [{"name": "a", ` + ok + `}]}`, "config.confidence_level", "below 1"},
		{"negative tolerance", `{"config": {"tolerance": -0.1}, "metrics": [{"name": "a", ` + ok + `}]}`, "config.tolerance", "≥ 0"},
		{"marginal above pass", `{"config": {"thresholds": {"pass": 80, "marginal": 90}}, "metrics": [{"name": "a", ` + ok + `}]}`, "config.thresholds.marginal", "above the pass"},
		{"min power of 1", `{"config": {"min_power": 1}, "metrics": [{"name": "a", ` + ok + `}]}`, "config.min_power", "below 1"},
		{"unknown adjustment", `{"config": {"multiple_comparisons": "bonferroni"}, "metrics": [{"name": "a", ` + ok + `}]}`, "config.multiple_comparisons", "holm"},
		{"zero group weight", `{"config": {"group_weights": {"default": 0}}, "metrics": [{"name": "a", ` + ok + `}]}`, `config.group_weights["default"]`, "positive"},
		{"group without a weight", `{"config": {"group_weights": {"latency": 1}}, "metrics": [{"name": "a", "group": "errors", ` + ok + `}]}`, "metrics[0].group", `"errors"`},
		{"number beyond float64", `{"metrics": [{"name": "a", "baseline": [1, 1e999], "canary": [1]}]}`, "metrics[0].baseline[1]", "finite"},
		{"fractional count", `{"metrics": [{"name": "a", "kind": "count", "baseline": [1, 2], "canary": [0, 1.5]}]}`, "metrics[0].canary[1]", "whole number"},
		{"negative count", `{"metrics": [{"name": "a", "kind": "count", "baseline": [-1], "canary": [0]}]}`, "metrics[0].baseline[0]", "≥ 0"},
		{"ratio without exposure", `{"metrics": [{"name": "a", "kind": "ratio", "baseline": [1], "baseline_exposure": [10], "canary": [1]}]}`, "metrics[0].canary_exposure", "required"},
		{"exposure of the wrong length", `{"metrics": [{"name": "a", "kind": "ratio", "baseline": [1, 2], "baseline_exposure": [10], "canary": [1], "canary_exposure": [5]}]}`, "metrics[0].baseline_exposure", "one entry per baseline point"},
		{"more errors than requests", `{"metrics": [{"name": "a", "kind": "ratio", "baseline": [1], "baseline_exposure": [10], "canary": [7], "canary_exposure": [5]}]}`, "metrics[0].canary_exposure[0]", "less than"},
		{"exposure on a continuous metric", `{"metrics": [{"name": "a", "baseline_exposure": [1, 1, 1], ` + ok + `}]}`, "metrics[0].baseline_exposure", "count or ratio"},
		{"outlier removal on counts", `{"metrics": [{"name": "a", "kind": "count", "outliers": {"strategy": "remove"}, ` + ok + `}]}`, "metrics[0].outliers.strategy", "continuous"},
		{"non-positive outlier factor", `{"metrics": [{"name": "a", "outliers": {"strategy": "remove", "factor": 0}, ` + ok + `}]}`, "metrics[0].outliers.factor", "positive"},
		{"CLES on counts", `{"metrics": [{"name": "a", "kind": "count", "effect_size": {"measure": "cles"}, ` + ok + `}]}`, "metrics[0].effect_size.measure", "continuous"},
		{"allowed increase below no change", `{"metrics": [{"name": "a", "effect_size": {"allowed_increase": 0.9}, ` + ok + `}]}`, "metrics[0].effect_size.allowed_increase", "at least 1"},
		{"CLES bound outside [0, 1]", `{"metrics": [{"name": "a", "effect_size": {"measure": "cles", "critical_increase": 1.2}, ` + ok + `}]}`, "metrics[0].effect_size.critical_increase", "between 0 and 1"},
		{"zero weight", `{"metrics": [{"name": "a", "weight": 0, ` + ok + `}]}`, "metrics[0].weight", "positive"},
		{"look past the plan", `{"sequential": {"look": 6, "total_looks": 5}, "metrics": [{"name": "a", ` + ok + `}]}`, "sequential.look", "between 1 and total_looks"},
		{"plan without looks", `{"sequential": {"look": 1, "total_looks": 0}, "metrics": [{"name": "a", ` + ok + `}]}`, "sequential.total_looks", "between 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := decodeRequest(t, c.body)
			_, err := Judge(req)
			var verr ValidationError
			if !errors.As(err, &verr) || len(verr) == 0 {
				t.Fatalf("Judge returned %v, want a ValidationError", err)
			}
			if verr[0].Field != c.field || !strings.Contains(verr[0].Message, c.says) {
				t.Errorf("first error %q; want field %s saying %q (all: %v)", verr[0].Error(), c.field, c.says, verr)
			}
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	req := decodeRequest(t, `{"config": {"tolerance": -1}, "metrics": [
		{"name": "", "baseline": [1], "canary": [1]},
		{"name": "b", "kind": "nope", "baseline": [1], "canary": [1]}]}`)
	err := req.Validate()
	var verr ValidationError
	if !errors.As(err, &verr) || len(verr) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "config.tolerance") || !strings.Contains(msg, "metrics[0].name") || !strings.Contains(msg, "metrics[1].kind") {
		t.Errorf("message %q should name every field", msg)
	}
}

// Missing data is judged (nodata, and a failure for a required metric),
// not rejected: a pipeline must get a verdict when its canary is dead.
func TestMissingDataIsNotAValidationError(t *testing.T) {
	req := decodeRequest(t, `{"metrics": [{"name": "requests", "must_have_data": true, "baseline": [], "canary": [null, null]}]}`)
	if err := req.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestSeriesJSON(t *testing.T) {
	var s Series
	if err := json.Unmarshal([]byte(" [ 1.5, null,-2e3 ,0] "), &s); err != nil {
		t.Fatal(err)
	}
	if len(s) != 4 || s[0] != 1.5 || !math.IsNaN(s[1]) || s[2] != -2000 || s[3] != 0 {
		t.Fatalf("decoded %v", s)
	}
	b, err := json.Marshal(s)
	if err != nil || string(b) != "[1.5,null,-2000,0]" {
		t.Errorf("encoded %s, %v; want [1.5,null,-2000,0]", b, err)
	}
	for _, bad := range []string{`["1"]`, `[true]`, `[[1]]`, `{"a": 1}`, `[1,,2]`, `"NaN"`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
	var absent struct {
		S Series `json:"s"`
	}
	if err := json.Unmarshal([]byte(`{"s": null}`), &absent); err != nil || absent.S != nil {
		t.Errorf("null series: %v, %v", absent.S, err)
	}
	if err := json.Unmarshal([]byte(`[]`), &s); err != nil || len(s) != 0 {
		t.Errorf("empty series: %v, %v", s, err)
	}
}
