package dora

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// A scenario file is a history and the answers expected of it, worked out
// by hand (the "why" notes show the arithmetic). Expectations are partial
// answers: every field given must match; fields left out are not checked.
type scenarioFile struct {
	Description string               `json:"description"`
	History     deliverytest.History `json:"history"`
	Cases       []scenarioCase       `json:"cases"`
}

type scenarioCase struct {
	Name  string `json:"name"`
	Scope struct {
		Team        string    `json:"team"`
		Service     string    `json:"service"`
		Environment string    `json:"environment"`
		From        time.Time `json:"from"`
		To          time.Time `json:"to"`
	} `json:"scope"`
	BenchmarkYear int             `json:"benchmark_year"`
	Why           []string        `json:"why"`
	Expect        json.RawMessage `json:"expect"`
}

func (c scenarioCase) scope() delivery.Scope {
	return delivery.Scope{Team: c.Scope.Team, Service: c.Scope.Service, Environment: c.Scope.Environment, From: c.Scope.From, To: c.Scope.To}
}

func newCalculator(t *testing.T) *Calculator {
	t.Helper()
	b, err := LoadBenchmarks()
	if err != nil {
		t.Fatal(err)
	}
	return &Calculator{Conn: deliverytest.Open(t), Benchmarks: b}
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var sc scenarioFile
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &sc); err != nil {
				t.Fatal(err)
			}
			calc := newCalculator(t)
			deliverytest.Seed(t, calc.Conn, sc.History)
			// The same answers whether or not the server materializes CTEs.
			plain := &Calculator{Conn: calc.Conn, Benchmarks: calc.Benchmarks}
			plain.runnerOnce.Do(func() { plain.runner = &delivery.Runner{Conn: calc.Conn, PlainCTE: true} })
			for _, c := range sc.Cases {
				t.Run(c.Name, func(t *testing.T) {
					r, err := calc.Report(context.Background(), c.scope(), c.BenchmarkYear)
					if err != nil {
						t.Fatal(err)
					}
					// Forget the stored facts, so that the plain calculator
					// computes them again.
					if err := calc.Conn.Exec(context.Background(), "TRUNCATE TABLE fact_cells"); err != nil {
						t.Fatal(err)
					}
					rp, err := plain.Report(context.Background(), c.scope(), c.BenchmarkYear)
					if err != nil {
						t.Fatal(err)
					}
					a, _ := json.Marshal(r)
					b, _ := json.Marshal(rp)
					if string(a) != string(b) {
						t.Errorf("answers differ with plain CTEs:\n%s\n%s", a, b)
					}
					if err != nil {
						t.Fatal(err)
					}
					var want any
					if err := json.Unmarshal(c.Expect, &want); err != nil {
						t.Fatal(err)
					}
					if diffs := deliverytest.Match(r, want); len(diffs) > 0 {
						for _, d := range diffs {
							t.Error(d)
						}
						out, _ := json.MarshalIndent(r, "", "  ")
						t.Logf("answer:\n%s", out)
					}
				})
			}
		})
	}
}
