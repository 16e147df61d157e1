package judge

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzJudge feeds arbitrary request bodies through decoding, validation and
// judging. Whatever arrives, Judge must not panic, must either reject the
// request with field errors or return a well-formed result, and that result
// must encode as JSON (no NaN or infinity may leak into it).
func FuzzJudge(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "judgments", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var tc struct {
			Request json.RawMessage `json:"request"`
		}
		if err := json.Unmarshal(b, &tc); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(tc.Request))
	}
	for _, s := range []string{
		`{"metrics": [{"name": "a", "baseline": [1, 2, 3], "canary": [1, 2, 3]}]}`,
		`{"metrics": [{"name": "a", "baseline": [5, 5, 5], "canary": [5, 5]}]}`,
		`{"metrics": [{"name": "a", "baseline": [0], "canary": [1e308, -1e308]}]}`,
		`{"metrics": [{"name": "a", "kind": "count", "baseline": [0, 0], "canary": [0, 1]}]}`,
		`{"metrics": [{"name": "a", "kind": "ratio", "baseline": [0], "baseline_exposure": [0], "canary": [0], "canary_exposure": [0]}]}`,
		`{"config": {"tolerance": 0, "min_power": 0.5}, "sequential": {"look": 2, "total_looks": 3}, "metrics": [{"name": "a", "baseline": [1, null], "canary": [null, 2], "nan_strategy": "replace", "outliers": {"strategy": "remove", "factor": 0.1}}]}`,
		`{"metrics": [{"name": "a", "effect_size": {"measure": "cles", "allowed_increase": 1}, "baseline": [-1, -2], "canary": [-3, 4]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req Request
		if json.Unmarshal(body, &req) != nil {
			return
		}
		for _, m := range req.Metrics { // keep each run quick
			if len(m.Baseline)+len(m.Canary) > 5000 {
				return
			}
		}
		res, err := Judge(req)
		if err != nil {
			var verr ValidationError
			if !errors.As(err, &verr) || len(verr) == 0 {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			for _, e := range verr {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("field error without field or message: %+v", e)
				}
			}
			return
		}
		switch res.Verdict {
		case VerdictPass, VerdictMarginal, VerdictFail, VerdictInconclusive:
		default:
			t.Fatalf("verdict %q", res.Verdict)
		}
		if !(res.Score >= 0 && res.Score <= 100) || res.Rule == "" {
			t.Fatalf("score %v, rule %q", res.Score, res.Rule)
		}
		if len(res.Metrics) != len(req.Metrics) {
			t.Fatalf("%d metric results for %d metrics", len(res.Metrics), len(req.Metrics))
		}
		for _, m := range res.Metrics {
			switch m.Classification {
			case ClassPass, ClassHigh, ClassLow, ClassNoData:
			default:
				t.Fatalf("%s classified %q", m.Name, m.Classification)
			}
			if p := m.Explanation.AdjustedPValue; p != nil && !(*p >= 0 && *p <= 1) {
				t.Fatalf("%s: adjusted p-value %v", m.Name, *p)
			}
			if iv := m.Explanation.Interval; iv.Lower != nil && iv.Upper != nil && *iv.Lower > *iv.Upper {
				t.Fatalf("%s: interval [%v, %v]", m.Name, *iv.Lower, *iv.Upper)
			}
			if e := m.Explanation.Estimate; e != nil && math.IsNaN(*e) {
				t.Fatalf("%s: NaN estimate", m.Name)
			}
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
	})
}

// FuzzSeries checks the sample decoder against encoding/json's own view of
// what a number is: every array of numbers and nulls decodes, to the same
// values, and nothing panics.
func FuzzSeries(f *testing.F) {
	for _, s := range []string{`[1, null, -2.5e-3]`, `[]`, `null`, `[1e999]`, `["x"]`, `[1 , 2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Series
		err := json.Unmarshal(b, &s)
		var ref []*float64
		refErr := json.Unmarshal(b, &ref)
		if refErr == nil && err == nil {
			if len(ref) != len(s) {
				t.Fatalf("%q: %d values, encoding/json sees %d", b, len(s), len(ref))
			}
			for i, p := range ref {
				if (p == nil) != math.IsNaN(s[i]) || (p != nil && *p != s[i]) {
					t.Fatalf("%q: value %d is %v", b, i, s[i])
				}
			}
		}
		if refErr == nil && err != nil {
			t.Fatalf("%q: encoding/json decodes it but Series says %v", b, err)
		}
	})
}
