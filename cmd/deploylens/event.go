package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// eventField is one flag of `deploylens event <type>` and the v1 field it sets.
type eventField struct {
	flag, field, kind, usage string // kind: string, time, list, bool
}

var eventTypes = map[string]struct {
	typ    string
	fields []eventField
}{
	"deployment": {"deployment", []eventField{
		{"deployment-id", "deployment_id", "string", "deployment id (required)"},
		{"version", "version", "string", "version deployed"},
		{"commit", "commit", "string", "commit deployed"},
		{"repo", "repo", "string", "repository"},
		{"branch", "branch", "string", "branch deployed"},
		{"started-at", "started_at", "time", "when it started (RFC 3339 or now)"},
		{"finished-at", "finished_at", "time", "when it finished (RFC 3339 or now; default now)"},
		{"status", "status", "string", "success or failure (required)"},
		{"rollback-of", "rollback_of", "string", "id of the deployment this one rolls back"},
		{"unplanned", "unplanned", "bool", "a hotfix or other unplanned deployment"},
		{"change-ids", "change_ids", "list", "comma-separated ids of the changes shipped"},
		{"commits", "commits", "list", "comma-separated commits shipped"},
	}},
	"change": {"change", []eventField{
		{"change-id", "change_id", "string", "change id (required), e.g. acme/shop#42"},
		{"repo", "repo", "string", "repository"},
		{"title", "title", "string", "title"},
		{"author", "author", "string", "author"},
		{"branch", "branch", "string", "branch"},
		{"base-branch", "base_branch", "string", "branch it merges into"},
		{"first-commit-at", "first_commit_at", "time", "time of its first commit"},
		{"opened-at", "opened_at", "time", "when it was opened"},
		{"first-review-at", "first_review_at", "time", "when it was first reviewed"},
		{"approved-at", "approved_at", "time", "when it was approved"},
		{"merged-at", "merged_at", "time", "when it was merged"},
		{"merge-commit", "merge_commit", "string", "merge commit"},
		{"commits", "commits", "list", "comma-separated commits"},
		{"labels", "labels", "list", "comma-separated labels"},
	}},
	"stage": {"pipeline_stage", []eventField{
		{"pipeline", "pipeline", "string", "pipeline name (required)"},
		{"run-id", "run_id", "string", "pipeline run id (required)"},
		{"stage", "stage", "string", "stage name (required)"},
		{"kind", "kind", "string", "build, test, approval, deploy, bake, canary or other"},
		{"queued-at", "queued_at", "time", "when it was queued"},
		{"started-at", "started_at", "time", "when it started"},
		{"finished-at", "finished_at", "time", "when it finished"},
		{"result", "result", "string", "success, failure, cancelled or skipped"},
		{"commit", "commit", "string", "commit"},
		{"change-ids", "change_ids", "list", "comma-separated change ids"},
	}},
	"incident": {"incident", []eventField{
		{"incident-id", "incident_id", "string", "incident id (required)"},
		{"severity", "severity", "string", "severity"},
		{"title", "title", "string", "title"},
		{"opened-at", "opened_at", "time", "when it opened"},
		{"resolved-at", "resolved_at", "time", "when it was resolved"},
		{"caused-by-deployment", "caused_by_deployment", "string", "id of the deployment that caused it"},
	}},
}

func eventUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: deploylens event deployment|change|stage|incident --url URL --token TOKEN [flags]")
	fmt.Fprintln(w, "sends one native v1 event (POST /api/v1/events) with an ingest token; -h after the type lists its flags")
}

// runEvent sends one native event, for pipelines without a webhook.
func runEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		eventUsage(stderr)
		return usageError{errors.New("event needs a type: deployment, change, stage or incident")}
	}
	spec, ok := eventTypes[args[0]]
	if !ok {
		eventUsage(stderr)
		return usageError{fmt.Errorf("unknown event type %q: use deployment, change, stage or incident", args[0])}
	}
	fs := flag.NewFlagSet("event "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var url, token, id, team, service, environment, attrs, at string
	var retries int
	var timeout time.Duration
	var dryRun bool
	fs.StringVar(&url, "url", "http://localhost:8080", "deploylens server URL")
	fs.StringVar(&token, "token", "", "API token with the ingest role (required)")
	fs.StringVar(&id, "id", "", "event id, the idempotency key (default: derived from the event's content, so a retried step sends the same id)")
	fs.StringVar(&team, "team", "", "team (default: the service catalog's)")
	fs.StringVar(&service, "service", "", "service")
	fs.StringVar(&environment, "environment", "", "environment (default production)")
	fs.StringVar(&attrs, "attributes", "", "comma-separated key=value attributes")
	fs.StringVar(&at, "time", "", "when the event happened (RFC 3339 or now)")
	fs.IntVar(&retries, "retries", 5, "retries when the server is unavailable (503 with Retry-After) or unreachable")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of one attempt")
	fs.BoolVar(&dryRun, "dry-run", false, "print the event instead of sending it")
	values := map[string]*string{}
	bools := map[string]*bool{}
	for _, f := range spec.fields {
		if f.kind == "bool" {
			bools[f.field] = fs.Bool(f.flag, false, f.usage)
			continue
		}
		values[f.field] = fs.String(f.flag, "", f.usage)
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return usageError{err}
	}
	if spec.typ == "deployment" && *values["finished_at"] == "" {
		*values["finished_at"] = "now"
	}
	ev := map[string]any{"type": spec.typ}
	for k, v := range map[string]string{"team": team, "service": service, "environment": environment, "time": at} {
		if v != "" {
			ev[k] = v
		}
	}
	now := time.Now().UTC()
	for _, f := range spec.fields {
		switch f.kind {
		case "bool":
			if *bools[f.field] {
				ev[f.field] = true
			}
		case "list":
			if v := *values[f.field]; v != "" {
				ev[f.field] = splitList(v)
			}
		case "time":
			if v := *values[f.field]; v != "" {
				ev[f.field] = timeValue(v, now)
			}
		default:
			if v := *values[f.field]; v != "" {
				ev[f.field] = v
			}
		}
	}
	if v, ok := ev["time"].(string); ok {
		ev["time"] = timeValue(v, now)
	}
	if attrs != "" {
		m := map[string]string{}
		for _, kv := range splitList(attrs) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usageError{fmt.Errorf("--attributes entry %q is not key=value", kv)}
			}
			m[k] = v
		}
		ev["attributes"] = m
	}
	if id == "" {
		id = derivedID(ev)
	}
	ev["id"] = id
	body, _ := json.Marshal(ev)
	if dryRun {
		fmt.Fprintln(stdout, string(body))
		return nil
	}
	if token == "" {
		return usageError{errors.New("--token is required: an API token with the ingest role (deploylens token create --role ingest), or set DEPLOYLENS_TOKEN")}
	}
	return sendEvent(ctx, strings.TrimRight(url, "/"), token, body, retries, timeout, stdout, stderr)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func timeValue(v string, now time.Time) string {
	if v == "now" {
		return now.Format(time.RFC3339Nano)
	}
	return v // the server checks RFC 3339 and names the field if it is not
}

// derivedID is a content hash, so the same command run twice (a retried
// pipeline step) is stored once.
func derivedID(ev map[string]any) string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		v, _ := json.Marshal(ev[k])
		fmt.Fprintf(h, "%s=%s\n", k, v)
	}
	return "cli-" + hex.EncodeToString(h.Sum(nil))[:24]
}

func sendEvent(ctx context.Context, url, token string, body []byte, retries int, timeout time.Duration, stdout, stderr io.Writer) error {
	c := &apiClient{url: url, token: token, http: &http.Client{Timeout: timeout}, retries: retries, log: stderr}
	var answer json.RawMessage
	if err := c.send(ctx, http.MethodPost, "/api/v1/events", "application/json", body, &answer); err != nil {
		return fmt.Errorf("the event was not stored: %w", err)
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(answer)))
	return nil
}
