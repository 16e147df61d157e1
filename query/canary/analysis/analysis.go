package analysis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/query/canary/judge"
)

// Status of an analysis.
type Status string

const (
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed" // could not be carried out (an error, not a verdict)
)

// Analysis is a stored analysis: its request, progress and verdict.
type Analysis struct {
	ID           string    `json:"id"`
	Status       Status    `json:"status"`
	Team         string    `json:"team"`
	Service      string    `json:"service"`
	Environment  string    `json:"environment"`
	DeploymentID string    `json:"deployment_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	TotalLooks   int       `json:"total_looks"`
	// Verdict, Score, Rule and Reason: those of the final look (or of the
	// look that stopped the analysis early); empty while running.
	Verdict      judge.Verdict `json:"verdict,omitempty"`
	Score        *float64      `json:"score,omitempty"`
	Rule         string        `json:"rule,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	StoppedEarly bool          `json:"stopped_early"`
	Error        string        `json:"error,omitempty"`
	Looks        []Look        `json:"looks"`
	// Result is the latest look's judgment in full.
	Result  *judge.Result `json:"result,omitempty"`
	Request Request       `json:"request"`
}

// Look is one interval's judgment, in short.
type Look struct {
	Look    int           `json:"look"`
	To      time.Time     `json:"to"`
	Verdict judge.Verdict `json:"verdict"`
	Score   float64       `json:"score"`
	Rule    string        `json:"rule"`
	Failing []string      `json:"failing_metrics,omitempty"`
}

// Runner starts analyses and carries them out, one goroutine per running
// analysis; the store is canary_analyses.
type Runner struct {
	Conn driver.Conn
	Log  *slog.Logger
	// Now and After are the clock (time.Now, time.After if nil).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Settle is how long after a look's window ends it is judged, for the
	// telemetry of its last moments to arrive.
	Settle time.Duration

	mu      sync.Mutex
	running sync.WaitGroup
	cancel  map[string]context.CancelFunc
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) after(d time.Duration) <-chan time.Time {
	if r.After != nil {
		return r.After(d)
	}
	return time.After(d)
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// Start stores a new analysis and runs it in the background; the request
// must be valid and its config resolved. Looks already due are judged
// before Start returns, so an analysis of past telemetry comes back
// complete.
func (r *Runner) Start(ctx context.Context, req Request) (*Analysis, error) {
	if req.Config == nil {
		return nil, errors.New("start analysis: the config is not resolved")
	}
	now := r.now()
	if req.Start == nil {
		s := now.Add(-seconds(req.LookbackSeconds)).Truncate(time.Millisecond)
		req.Start, req.LookbackSeconds = &s, 0
	}
	start, interval, looks := req.Plan()
	a := &Analysis{
		ID: newID(), Status: StatusRunning, Team: req.Team, Service: req.Service, Environment: req.Environment,
		DeploymentID: req.DeploymentID, CreatedAt: now, UpdatedAt: now, Start: start,
		End: start.Add(seconds(req.LifetimeSeconds)), TotalLooks: looks, Looks: []Look{}, Request: req,
	}
	if err := save(ctx, r.Conn, a); err != nil {
		return nil, err
	}
	// Due looks run now, under the caller's context.
	done, err := r.advance(ctx, a, interval, false)
	if err != nil || done {
		return a, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.mu.Lock()
	if r.cancel == nil {
		r.cancel = map[string]context.CancelFunc{}
	}
	r.cancel[a.ID] = cancel
	r.mu.Unlock()
	snapshot := *a
	snapshot.Looks = slices.Clone(a.Looks)
	r.running.Go(func() {
		defer func() {
			r.mu.Lock()
			delete(r.cancel, a.ID)
			r.mu.Unlock()
			cancel()
		}()
		if _, err := r.advance(bg, a, interval, true); err != nil && !errors.Is(err, context.Canceled) {
			r.log().Error("canary analysis", "id", a.ID, "err", err)
		}
	})
	return &snapshot, nil
}

// Close stops the running analyses and waits for them; they stay stored as
// running.
func (r *Runner) Close() {
	r.mu.Lock()
	for _, c := range r.cancel {
		c()
	}
	r.mu.Unlock()
	r.running.Wait()
}

// advance judges the looks that are due (and with wait, the later ones as
// they fall due) and stores the analysis after each; done reports that the
// analysis is over.
func (r *Runner) advance(ctx context.Context, a *Analysis, interval time.Duration, wait bool) (done bool, err error) {
	cfg := a.Request.Config
	for k := len(a.Looks) + 1; k <= a.TotalLooks; k++ {
		to := a.Start.Add(time.Duration(k) * interval)
		if to.After(a.End) {
			to = a.End
		}
		if due := to.Add(r.Settle); r.now().Before(due) {
			if !wait {
				return false, nil
			}
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-r.after(due.Sub(r.now())):
			}
		}
		res, err := judgeLook(ctx, r.Conn, a, cfg, to, k)
		if err != nil {
			a.Status, a.Error, a.UpdatedAt = StatusFailed, err.Error(), r.now()
			if serr := save(context.WithoutCancel(ctx), r.Conn, a); serr != nil {
				return true, errors.Join(err, serr)
			}
			return true, err
		}
		look := Look{Look: k, To: to, Verdict: res.Verdict, Score: res.Score, Rule: res.Rule}
		for _, m := range res.Metrics {
			if m.Classification == judge.ClassHigh || m.Classification == judge.ClassLow {
				look.Failing = append(look.Failing, m.Name)
			}
		}
		a.Looks, a.Result, a.UpdatedAt = append(a.Looks, look), &res, r.now()
		if final, early := Decide(res, k, a.TotalLooks); final {
			score := res.Score
			a.Status, a.Verdict, a.Score, a.Rule, a.Reason, a.StoppedEarly = StatusCompleted, res.Verdict, &score, res.Rule, res.Reason, early
		}
		if err := save(context.WithoutCancel(ctx), r.Conn, a); err != nil {
			return true, err
		}
		if a.Status != StatusRunning {
			return true, nil
		}
	}
	return a.Status != StatusRunning, nil
}

// Decide says whether a look's judgment ends the analysis: the final look
// always does; an interim look only on a failure the evidence supports (a
// critical metric beyond its bound, or the score), not on missing data.
func Decide(res judge.Result, look, total int) (final, early bool) {
	if look >= total {
		return true, false
	}
	if res.Verdict == judge.VerdictFail && (res.Rule == judge.RuleCriticalMetricFailed || res.Rule == judge.RuleScore) {
		return true, true
	}
	return false, false
}

// judgeLook fetches every metric's samples from the start to `to` and judges
// them as look k of the plan.
func judgeLook(ctx context.Context, conn driver.Conn, a *Analysis, cfg *Config, to time.Time, k int) (judge.Result, error) {
	w := window{service: a.Service, baseline: a.Request.Baseline, canary: a.Request.Canary, from: a.Start, to: to, step: cfg.Step()}
	metrics := make([]judge.Metric, len(cfg.Metrics))
	for i := range cfg.Metrics {
		s, err := fetch(ctx, conn, &cfg.Metrics[i], w)
		if err != nil {
			return judge.Result{}, fmt.Errorf("look %d: %w", k, err)
		}
		metrics[i] = cfg.Metrics[i].judgeMetric(s)
	}
	return JudgeSamples(cfg, metrics, k, a.TotalLooks)
}

// JudgeSamples judges one look's samples under the config's judge settings.
func JudgeSamples(cfg *Config, metrics []judge.Metric, look, total int) (judge.Result, error) {
	req := judge.Request{Config: cfg.Judge, Metrics: metrics}
	if total > 1 {
		req.Sequential = &judge.Sequential{Look: look, TotalLooks: total}
	}
	res, err := judge.Judge(req)
	if err != nil {
		return judge.Result{}, fmt.Errorf("judge look %d: %w", look, err)
	}
	return res, nil
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "ca_" + hex.EncodeToString(b[:])
}
