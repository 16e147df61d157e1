package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Exit codes of `deploylens canary run`, for pipeline steps to gate on.
const (
	canaryPass         = 0
	canaryFail         = 1
	canaryInconclusive = 2 // marginal or inconclusive: hold, or ask a human
	canaryError        = 3 // the analysis could not be run
)

// exitCodeError carries a command's exit code to run().
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }
func (e exitCodeError) ExitCode() int { return e.code }

// runCanary is `deploylens canary run …`: it starts an analysis over the
// server's stored telemetry, polls it, prints each look and the verdict with
// its reasons, and exits 0 pass, 1 fail, 2 marginal or inconclusive, 3 error.
func runCanary(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	code, msg := canaryRun(ctx, args, stdout, stderr)
	if code == canaryPass {
		return nil
	}
	return exitCodeError{code: code, msg: msg}
}

type canaryFlags struct {
	url, token, file, config, team, service, environment, deploymentID string
	baseline, canary                                                   string
	start                                                              string
	lifetime, interval, poll, timeout                                  time.Duration
}

func canaryRun(ctx context.Context, args []string, stdout, stderr io.Writer) (int, string) {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: deploylens canary run --url URL --token TOKEN (--file request.json | --config NAME --team T --service S --baseline k=v --canary k=v --lifetime 30m) [flags]")
		return canaryError, "canary: the only subcommand is run"
	}
	var f canaryFlags
	fs := flag.NewFlagSet("canary run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.url, "url", "http://localhost:8080", "deploylens server URL")
	fs.StringVar(&f.token, "token", "", "API token with the read role (required)")
	fs.StringVar(&f.file, "file", "", "analysis request as JSON (POST /api/v1/canary/analyses); - for stdin; flags given override its fields")
	fs.StringVar(&f.config, "config", "", "name of a stored canary config")
	fs.StringVar(&f.team, "team", "", "team that owns the analysis")
	fs.StringVar(&f.service, "service", "", "service.name whose telemetry is analysed")
	fs.StringVar(&f.environment, "environment", "", "environment")
	fs.StringVar(&f.deploymentID, "deployment-id", "", "id of the deployment the analysis judges")
	fs.StringVar(&f.baseline, "baseline", "", "baseline's resource attributes, comma-separated key=value (e.g. service.version=1.4.0)")
	fs.StringVar(&f.canary, "canary", "", "canary's resource attributes, comma-separated key=value")
	fs.StringVar(&f.start, "start", "", "start of the analysed window, RFC 3339 (default now)")
	fs.DurationVar(&f.lifetime, "lifetime", 0, "how long the analysis runs, e.g. 30m")
	fs.DurationVar(&f.interval, "interval", 0, "how often it judges, e.g. 10m (default: once, at the end)")
	fs.DurationVar(&f.poll, "poll", 15*time.Second, "how often to ask for progress")
	fs.DurationVar(&f.timeout, "timeout", 0, "give up (exit 3) after this long (default: lifetime + 10m)")
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return canaryError, "canary run: help requested"
		}
		return canaryError, "canary run: " + err.Error()
	}
	body, err := f.request()
	if err != nil {
		return canaryError, "canary run: " + err.Error()
	}
	if f.token == "" {
		return canaryError, "canary run: --token is required (a token with the read role)"
	}
	timeout := f.timeout
	if timeout == 0 {
		life, _ := body["lifetime_seconds"].(float64)
		timeout = time.Duration(life*float64(time.Second)) + 10*time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &apiClient{url: strings.TrimRight(f.url, "/"), token: f.token, http: &http.Client{Timeout: 2 * time.Minute}}

	var a canaryAnalysis
	if err := c.do(ctx, http.MethodPost, "/api/v1/canary/analyses", body, &a); err != nil {
		return canaryError, "canary run: start the analysis: " + err.Error()
	}
	fmt.Fprintf(stdout, "analysis %s: %s %s, %d look(s)\n", a.ID, a.Service, a.Start.Format(time.RFC3339), a.TotalLooks)
	shown := 0
	for {
		for ; shown < len(a.Looks); shown++ {
			l := a.Looks[shown]
			line := fmt.Sprintf("look %d/%d (to %s): %s, score %.1f", l.Look, a.TotalLooks, l.To.Format(time.RFC3339), l.Verdict, l.Score)
			if len(l.Failing) > 0 {
				line += ", failing: " + strings.Join(l.Failing, ", ")
			}
			fmt.Fprintln(stdout, line)
		}
		if a.Status != "running" {
			break
		}
		select {
		case <-ctx.Done():
			return canaryError, fmt.Sprintf("canary run: analysis %s still running after %v: %v", a.ID, timeout, ctx.Err())
		case <-time.After(f.poll):
		}
		if err := c.do(ctx, http.MethodGet, "/api/v1/canary/analyses/"+a.ID, nil, &a); err != nil {
			fmt.Fprintln(stderr, "deploylens: poll:", err) // transient; keep polling until the timeout
		}
	}
	if a.Status == "failed" {
		return canaryError, fmt.Sprintf("canary run: analysis %s could not be carried out: %s", a.ID, a.Error)
	}
	score := 0.0
	if a.Score != nil {
		score = *a.Score
	}
	fmt.Fprintf(stdout, "verdict: %s (score %.1f, rule %s)\n  %s\n", strings.ToUpper(a.Verdict), score, a.Rule, a.Reason)
	if a.Result != nil {
		for _, m := range a.Result.Metrics {
			fmt.Fprintf(stdout, "  %-7s %s: %s\n", m.Classification, m.Name, m.Reason)
		}
	}
	switch a.Verdict {
	case "pass":
		return canaryPass, ""
	case "fail":
		return canaryFail, fmt.Sprintf("canary verdict: fail (%s)", a.Rule)
	case "marginal", "inconclusive":
		return canaryInconclusive, fmt.Sprintf("canary verdict: %s (%s)", a.Verdict, a.Rule)
	}
	return canaryError, fmt.Sprintf("canary run: analysis %s ended with no verdict", a.ID)
}

// request builds the analysis request from --file and the flags.
func (f *canaryFlags) request() (map[string]any, error) {
	body := map[string]any{}
	if f.file != "" {
		var raw []byte
		var err error
		if f.file == "-" {
			raw, err = io.ReadAll(os.Stdin)
		} else {
			raw, err = os.ReadFile(f.file)
		}
		if err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("--file %s is not a JSON object: %w", f.file, err)
		}
	}
	set := func(k, v string) {
		if v != "" {
			body[k] = v
		}
	}
	set("team", f.team)
	set("service", f.service)
	set("environment", f.environment)
	set("deployment_id", f.deploymentID)
	set("start", f.start)
	if f.config != "" {
		body["config_name"] = f.config
		delete(body, "config")
	}
	for _, side := range []struct{ name, flag, value string }{{"baseline", "--baseline", f.baseline}, {"canary", "--canary", f.canary}} {
		if side.value == "" {
			continue
		}
		attrs := map[string]string{}
		for _, kv := range strings.Split(side.value, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%s %q: want comma-separated key=value, e.g. service.version=1.4.0", side.flag, side.value)
			}
			attrs[k] = v
		}
		body[side.name] = map[string]any{"resource_attributes": attrs}
	}
	if f.lifetime > 0 {
		body["lifetime_seconds"] = f.lifetime.Seconds()
	}
	if f.interval > 0 {
		body["interval_seconds"] = f.interval.Seconds()
	}
	if _, ok := body["lifetime_seconds"]; !ok {
		return nil, errors.New("--lifetime (or lifetime_seconds in --file) is required, e.g. --lifetime 30m")
	}
	return body, nil
}

// canaryAnalysis is the part of an analysis the command shows.
type canaryAnalysis struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Service    string    `json:"service"`
	Start      time.Time `json:"start"`
	TotalLooks int       `json:"total_looks"`
	Verdict    string    `json:"verdict"`
	Score      *float64  `json:"score"`
	Rule       string    `json:"rule"`
	Reason     string    `json:"reason"`
	Error      string    `json:"error"`
	Looks      []struct {
		Look    int       `json:"look"`
		To      time.Time `json:"to"`
		Verdict string    `json:"verdict"`
		Score   float64   `json:"score"`
		Failing []string  `json:"failing_metrics"`
	} `json:"looks"`
	Result *struct {
		Metrics []struct {
			Name           string `json:"name"`
			Classification string `json:"classification"`
			Reason         string `json:"reason"`
		} `json:"metrics"`
	} `json:"result"`
}
