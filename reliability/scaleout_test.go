//go:build reliability

package reliability

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// `deploylens engine` runs the store alone; two `serve --role ingest` and
// one `serve --role query` start on it at once (their migrations race).
// Load split across both ingesters is seen whole by the query node; each
// role refuses the other's routes; a process started later without
// --admin-token does not replace the shared admin token.
func TestScaleOutSharesOneStore(t *testing.T) {
	engineDir := t.TempDir()
	_, store := startEngine(t, engineDir)
	shared := []string{"--clickhouse-url", store}
	launch := func(name, role string) *process {
		return startProcess(t, name, append([]string{"serve", "--role", role, "--data-dir", t.TempDir(),
			"--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--admin-token", adminToken, "--log-level", "warn"}, shared...)...)
	}
	procs := []*process{launch("ingest-1", "ingest"), launch("ingest-2", "ingest"), launch("query", "query")}
	var nodes []*node
	for _, p := range procs {
		line := p.waitLine(t, "deploylens is ready at ", 2*time.Minute)
		nodes = append(nodes, &node{process: p, url: strings.Fields(strings.TrimPrefix(line, "deploylens is ready at "))[0]})
	}
	ingest1, ingest2, query := nodes[0], nodes[1], nodes[2]
	if out, err := exec.Command(deploylens, append([]string{"migrate", "status"}, shared...)...).CombinedOutput(); err != nil ||
		strings.Contains(string(out), "pending") || strings.Contains(string(out), "EDITED") {
		t.Errorf("migrate status after three processes migrated at once: %v\n%s", err, out)
	}
	mem := watchMemory(t, map[string]func() int{"ingest-1": ingest1.pid, "ingest-2": ingest2.pid, "query": query.pid,
		"engine": func() int { return enginePID(engineDir) }})

	p := newPayloads("scaleout")
	s := newSender(ingest1.url, ingest2.url)
	const perRequest = 10
	deploymentRate := settings.nativeRate / 2 // deployments a second, half the native rate: each becomes a deployment to list
	l := s.run([]stream{
		{kindNative, deploymentRate / perRequest, func(seq int) request { return p.deployments(seq, perRequest) }},
		{kindSpans, settings.spanRate / spansPerRequest, func(seq int) request { return p.spans(seq, spansPerRequest) }},
	}, settings.phase, 2*time.Minute)
	mem.close()
	s.ledger.checkAnswers(t, false)
	for _, n := range []*node{ingest1, ingest2} {
		if s.ledger.byTarget[n.url] == 0 {
			t.Errorf("%s acknowledged nothing: the load was not split", n.name)
		}
	}
	tallies := verify(t, openStore(t, store).Conn, p, s, kindNative, kindSpans)

	acked := s.ledger.ackedKeys(kindNative)
	window := "&from=" + url.QueryEscape(p.at.Add(-24*time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(p.at.Add(time.Hour).Format(time.RFC3339))
	dora := getJSON(t, query.url+"/api/v1/dora?team="+url.QueryEscape(p.team)+window)
	if got := dora.(map[string]any)["deployment_frequency"].(map[string]any)["deployments"]; got != float64(len(acked)) {
		t.Errorf("the query node's DORA counts %v deployments; %d were acknowledged", got, len(acked))
	}
	listed := getJSON(t, query.url+"/api/v1/deployments?limit=10000&team="+url.QueryEscape(p.team)+window).(map[string]any)["deployments"].([]any)
	seen := map[string]bool{}
	for _, d := range listed {
		seen[d.(map[string]any)["deployment_id"].(string)] = true
	}
	for id := range acked {
		if !seen[id] {
			t.Errorf("acknowledged deployment %s is not listed by the query node (%d listed, %d acknowledged)", id, len(listed), len(acked))
			break
		}
	}
	if len(listed) != len(acked) {
		t.Errorf("the query node lists %d deployments; %d were acknowledged", len(listed), len(acked))
	}

	for _, tc := range []struct {
		node         *node
		method, path string
		want         int
	}{
		{query, http.MethodPost, "/api/v1/events", http.StatusNotFound},
		{query, http.MethodPost, "/v1/traces", http.StatusNotFound},
		{query, http.MethodPost, "/api/v1/write", http.StatusNotFound},
		{ingest1, http.MethodGet, "/api/v1/dora", http.StatusNotFound},
		{ingest1, http.MethodGet, "/api/v1/deployments", http.StatusNotFound},
		{ingest2, http.MethodGet, "/api/v1/teams", http.StatusNotFound},
		{query, http.MethodGet, "/api/v1/teams", http.StatusOK},
	} {
		if got := status(t, tc.method, tc.node.url+tc.path); got != tc.want {
			t.Errorf("%s %s on %s: %d, want %d", tc.method, tc.path, tc.node.name, got, tc.want)
		}
	}

	// A fourth process without --admin-token generates a token of its own;
	// it must not replace the one the others share.
	late := startProcess(t, "query-2", append([]string{"serve", "--role", "query", "--data-dir", t.TempDir(),
		"--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--admin-token", "", "--log-level", "warn"}, shared...)...)
	line := late.waitLine(t, "deploylens is ready at ", 2*time.Minute)
	if !strings.Contains(line, "already stored") {
		t.Errorf("a process without --admin-token on a store with one says %q", line)
	}
	lateURL := strings.Fields(strings.TrimPrefix(line, "deploylens is ready at "))[0]
	if got := status(t, http.MethodGet, lateURL+"/api/v1/teams"); got != http.StatusOK {
		t.Errorf("the shared admin token on the process started without one: %d", got)
	}

	var rss []string
	for _, name := range []string{"ingest-1", "ingest-2", "query", "engine"} {
		rss = append(rss, fmt.Sprintf("%s %.0f MB", name, mem.peak(name, time.Time{}, time.Time{})))
	}
	_, p99 := s.ledger.latencies()
	report(t, "scale-out (2 ingest + 1 query on one `deploylens engine`): %s over %v, split %d/%d requests; %s; query node lists all %d deployments; ack p99 %d ms; peak RSS %s",
		s.rates(l), l.elapsed.Round(time.Second), s.ledger.byTarget[ingest1.url], s.ledger.byTarget[ingest2.url], summary(tallies), len(listed),
		p99.Milliseconds(), strings.Join(rss, ", "))
}

// status is the status of a request with the admin token and an empty body.
func status(t *testing.T, method, u string) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader("[]"))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	res.Body.Close()
	return res.StatusCode
}
