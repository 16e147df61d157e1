//go:build reliability

package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploylens/deploylens/plugin/pkg/deploylenstest"
)

// relabel is the prefix team B's copy of the history puts on every id.
const relabel = "b-"

// idFields are the fields of a native event that name an entity, a team or
// a service: what team B's copy renames.
var idFields = []string{"id", "team", "service", "repo", "pipeline", "run_id", "change_id", "deployment_id", "incident_id",
	"rollback_of", "caused_by_deployment", "change_ids", "commit", "merge_commit", "commits"}

// One delivery history — changes with their review milestones, pipeline
// stages, deployments (one failed and rolled back, one unplanned), an
// incident — is sent once, in order, one event a request, as teams A; and
// as teams B (every id renamed) three times over, shuffled, in requests of
// random size from concurrent senders. The entity state and every
// delivery answer of B must be A's once B's names are mapped back.
func TestDuplicatedAndReorderedDeliveries(t *testing.T) {
	dir := t.TempDir()
	n := startServe(t, "deploylens", dir)
	demo, events := deploylenstest.DemoEvents(time.Now())
	history := withProgress(events)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("RELIABILITY_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("shuffle seed %d (RELIABILITY_SEED reproduces it)", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	s := newSender(n.url)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	for _, ev := range history {
		s.deliver(ctx, n.url, eventsRequest(ev))
	}
	var noisy []map[string]any
	for range 3 {
		for _, ev := range history {
			noisy = append(noisy, renamed(ev))
		}
	}
	rng.Shuffle(len(noisy), func(i, j int) { noisy[i], noisy[j] = noisy[j], noisy[i] })
	batches := make(chan request)
	var wg sync.WaitGroup
	const senders = 8
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range batches {
				s.deliver(ctx, n.url, r)
			}
		}()
	}
	requests := 0
	for rest := noisy; len(rest) > 0; requests++ {
		k := min(len(rest), 1+rng.IntN(8))
		batches <- eventsRequest(rest[:k]...)
		rest = rest[k:]
	}
	close(batches)
	wg.Wait()
	s.ledger.checkAnswers(t, false)

	from, to := demo.Now.Add(-60*24*time.Hour).Format(time.RFC3339), demo.Now.Add(time.Hour).Format(time.RFC3339)
	window := "from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to)
	compared := 0
	for _, team := range demo.Teams {
		for _, path := range []string{"/api/v1/dora?", "/api/v1/dora/series?step=week&", "/api/v1/deployments?", "/api/v1/incidents?",
			"/api/v1/waits?", "/api/v1/environments?"} {
			path += window
			a := getJSON(t, n.url+path+"&team="+url.QueryEscape(team))
			b := getJSON(t, n.url+path+"&team="+url.QueryEscape(relabel+team))
			if list, ok := a.(map[string]any)["deployments"].([]any); ok && len(list) != demo.Deployments[team] {
				t.Errorf("%s lists %d deployments of %s, the history has %d", path, len(list), team, demo.Deployments[team])
			}
			sameAnswer(t, path+"&team="+team, a, unprefix(b))
			compared++
		}
	}
	for _, change := range []string{demo.ChangeID, demo.GitHubChangeID} {
		path := "/api/v1/changes/%s/timeline"
		a := getJSON(t, n.url+fmt.Sprintf(path, url.PathEscape(change)))
		b := getJSON(t, n.url+fmt.Sprintf(path, url.PathEscape(relabel+change)))
		sameAnswer(t, fmt.Sprintf(path, change), a, unprefix(b))
		compared++
	}
	engine := engineURL(t, dir)
	copies := map[string]int{}
	for _, e := range entityTables {
		rows := map[string][]any{} // A's rows, and B's with names mapped back
		for _, row := range sqlRows(t, engine, "SELECT * FROM "+e.view+" ORDER BY ALL") {
			side := "A"
			if team, _ := row["team"].(string); strings.HasPrefix(team, relabel) {
				side, row = "B", unprefix(row).(map[string]any)
			}
			// events counts the stored copies an entity was merged from:
			// bookkeeping, which duplicates raise until their merge.
			copies[side] += int(row["events"].(float64))
			delete(row, "events")
			rows[side] = append(rows[side], row)
		}
		if len(rows["A"]) == 0 {
			t.Errorf("%s holds nothing of team A", e.view)
		}
		sameAnswer(t, e.view, rows["A"], rows["B"])
		compared++
	}
	report(t, "duplicated and reordered: %d events sent once in order as A, %d copies (3 each, shuffled, seed %d) in %d requests over %d senders as B; %d answers and entity views compared; %d refused; stored copies A %d, B %d",
		len(history), len(noisy), seed, requests, senders, compared, s.ledger.refusals(), copies["A"], copies["B"])
	n.stop(t)
}

// withProgress puts in the history the earlier events a real source sends
// on the way to each final one — a change opened before its review and
// merge, a stage queued before it runs, an incident opened before it is
// resolved — and after each deployment a later announcement that lists its
// commit and the change deployed before it, so that entities are merged
// from several events whose order matters unless the merge is right.
func withProgress(events []map[string]any) []map[string]any {
	pick := func(ev map[string]any, suffix string, fields ...string) map[string]any {
		out := map[string]any{"id": ev["id"].(string) + suffix}
		for _, f := range append([]string{"type", "team", "service", "environment"}, fields...) {
			if v, ok := ev[f]; ok {
				out[f] = v
			}
		}
		return out
	}
	var out []map[string]any
	previous := map[string]string{} // service → the change its last deployment shipped
	for _, ev := range events {
		switch ev["type"] {
		case "change":
			out = append(out, pick(ev, "-opened", "change_id", "repo", "title", "first_commit_at", "opened_at"))
		case "pipeline_stage":
			out = append(out, pick(ev, "-queued", "pipeline", "run_id", "stage", "kind", "queued_at"))
		case "incident":
			out = append(out, pick(ev, "-opened", "incident_id", "severity", "opened_at"))
		}
		out = append(out, ev)
		if ev["type"] != "deployment" || ev["commit"] == nil {
			continue
		}
		svc, listed := ev["service"].(string), ev["change_ids"].([]string)
		later := pick(ev, "-listed", "deployment_id", "finished_at", "status")
		finished, _ := time.Parse(time.RFC3339, ev["finished_at"].(string))
		later["time"] = finished.Add(time.Minute).Format(time.RFC3339)
		later["commits"] = []string{ev["commit"].(string)}
		if prev, ok := previous[svc]; ok {
			later["change_ids"] = []string{prev}
		}
		previous[svc] = listed[0]
		out = append(out, later)
	}
	return out
}

// renamed is team B's copy of ev: every id, team and service prefixed.
func renamed(ev map[string]any) map[string]any {
	out := maps.Clone(ev)
	for _, f := range idFields {
		switch v := out[f].(type) {
		case string:
			out[f] = relabel + v
		case []string:
			names := make([]string, len(v))
			for i, s := range v {
				names[i] = relabel + s
			}
			out[f] = names
		}
	}
	return out
}

// unprefix maps team B's names in a decoded JSON value back to A's.
func unprefix(v any) any {
	switch x := v.(type) {
	case string:
		return strings.TrimPrefix(x, relabel)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unprefix(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unprefix(e)
		}
		return out
	}
	return v
}

func eventsRequest(events ...map[string]any) request {
	body, _ := json.Marshal(events)
	rows := map[string]int{}
	for _, ev := range events {
		rows[ev["id"].(string)] = 1
	}
	return request{kind: kindNative, path: "/api/v1/events", contentType: "application/json", body: body, rows: rows}
}

func getJSON(t *testing.T, u string) any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return v
}

// sameAnswer fails the test when a and b differ, naming where.
func sameAnswer(t *testing.T, what string, a, b any) {
	t.Helper()
	if diffs := differences("", a, b); len(diffs) > 0 {
		t.Errorf("%s differs after duplicated, reordered delivery (clean vs noisy):\n  %s", what, strings.Join(diffs[:min(len(diffs), 10)], "\n  "))
	}
}

// differences lists where two decoded JSON values differ, by path.
func differences(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		var out []string
		keys := slices.Sorted(maps.Keys(x))
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			out = append(out, differences(path+"."+k, x[k], y[k])...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		var out []string
		for i := range x {
			out = append(out, differences(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])...)
		}
		return out
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return nil
	}
	return []string{fmt.Sprintf("%s: %.300s vs %.300s", path, ja, jb)}
}

// sqlRows runs a query through `deploylens sql --format json`, one object a
// row.
func sqlRows(t *testing.T, engineURL, query string) []map[string]any {
	t.Helper()
	cmd := exec.Command(deploylens, "sql", "--clickhouse-url", engineURL, "--format", "json", query)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("deploylens sql %q: %v", query, err)
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("deploylens sql %q printed %q: %v", query, out, err)
		}
		rows = append(rows, row)
	}
	return rows
}
