package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploylens/deploylens/store/embedded"
	"github.com/deploylens/deploylens/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploylens-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "deploylens")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build deploylens: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `deploylens serve`.
type proc struct {
	cmd    *exec.Cmd
	url    string
	token  string
	stderr *strings.Builder
	exited chan error
}

func deploylensCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "DEPLOYLENS_ENGINE_PYTHON="+storetest.Python(t))
	// Gone with the test binary, even one killed by a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

func startServe(t *testing.T, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}, extra...)
	cmd := deploylensCmd(t, args...)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, stderr: &strings.Builder{}, exited: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{b: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.After(90 * time.Second)
	for p.url == "" || p.token == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before it was ready: %s", p.stderr)
			}
			if u, found := strings.CutPrefix(l, "deploylens is ready at "); found {
				p.url = strings.Fields(u)[0]
				if strings.Contains(l, "DEPLOYLENS_ADMIN_TOKEN") {
					p.token = os.Getenv("DEPLOYLENS_ADMIN_TOKEN")
				}
			}
			if tok, found := strings.CutPrefix(l, "admin token: "); found {
				p.token = tok
			}
		case <-deadline:
			t.Fatalf("serve not ready in 90s: %s", p.stderr)
		}
	}
	return p
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM: %s", err, p.stderr)
		}
		p.exited <- err // for the cleanup
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of SIGTERM")
	}
}

func (p *proc) request(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeKeepsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	if code, body := p.request(t, "PUT", "/api/v1/catalog/services/checkout", `{"team":"payments","attributes":{"tier":"1"}}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	firstToken := p.token
	p.stop(t)

	p2 := startServe(t, dir)
	if p2.token != firstToken {
		t.Fatalf("the generated admin token changed across restarts")
	}
	code, body := p2.request(t, "GET", "/api/v1/services", "")
	if code != 200 || !strings.Contains(body, `"service":"checkout"`) || !strings.Contains(body, `"tier":"1"`) {
		t.Fatalf("after restart: %d %s", code, body)
	}
	// The schema was not applied twice.
	out, err := deploylensCmd(t, "sql", "--data-dir", dir, "SELECT count() FROM deploylens_schema_migrations").CombinedOutput()
	if err != nil {
		t.Fatalf("sql: %v %s", err, out)
	}
	all, _ := os.ReadDir("../../migrations")
	n := 0
	for _, e := range all {
		if strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(n) {
		t.Fatalf("version table has %s rows, want %d", got, n)
	}
}

func TestBadConfigurationStopsWithOneClearSentence(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unreachable ClickHouse", []string{"--clickhouse-url", "http://127.0.0.1:1"}, nil, "does not answer"},
		{"unsupported scheme", []string{"--clickhouse-url", "ftp://db:21"}, nil, "scheme \"ftp\" is not supported"},
		{"cluster without URL", []string{"--clickhouse-cluster", "c1"}, nil, "--clickhouse-cluster needs --clickhouse-url"},
		{"unknown role", []string{"--role", "both"}, nil, "--role \"both\" is not one of all, ingest, query"},
		{"bad address", []string{"--http-addr", "8080"}, nil, "--http-addr \"8080\" is not host:port"},
		{"bad env value", nil, []string{"DEPLOYLENS_SHUTDOWN_TIMEOUT=soon"}, "DEPLOYLENS_SHUTDOWN_TIMEOUT=\"soon\" is not valid for --shutdown-timeout"},
		{"bad retention", []string{"--retention", "nope=3"}, nil, "--retention names table \"nope\""},
		{"missing engine python", []string{"--engine-python", "/nonexistent/python3"}, nil, "engine python \"/nonexistent/python3\" not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0"}, tc.args...)
			cmd := deploylensCmd(t, args...)
			cmd.Env = append(cmd.Env, tc.env...)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				_ = cmd.Process.Kill()
				t.Fatal("serve with a bad configuration did not stop")
			}
			if err == nil {
				t.Fatalf("serve exited 0 with a bad configuration: %s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("message %q does not say %q", out, tc.want)
			}
		})
	}
}

func TestReadyzFollowsTheEngine(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	ready := func() int {
		res, err := http.Get(p.url + "/readyz")
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := ready(); got != 200 {
		t.Fatalf("readyz = %d before the outage", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, embedded.AddrFile))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(b))[1])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill engine %d: %v", pid, err)
	}
	waitFor(t, 20*time.Second, "readyz to report the outage", func() bool { return ready() == 503 })
	waitFor(t, 90*time.Second, "readyz to recover after the engine restarts", func() bool { return ready() == 200 })
	if code, body := p.request(t, "GET", "/api/v1/teams", ""); code != 200 {
		t.Fatalf("API after recovery: %d %s", code, body)
	}
}

func TestTokenCommandsAgainstARunningServe(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	out, err := deploylensCmd(t, "token", "create", "--data-dir", dir, "--name", "grafana", "--role", "read", "--teams", "payments").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	tok := strings.TrimSpace(string(out))
	if !strings.HasPrefix(tok, "dlk_") {
		t.Fatalf("token create printed %q", out)
	}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", p.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get("/api/v1/services?team=payments"); got != 200 {
		t.Fatalf("new token on its team: %d", got)
	}
	if got := get("/api/v1/services?team=search"); got != 403 {
		t.Fatalf("new token on another team: %d", got)
	}
	list, err := deploylensCmd(t, "token", "list", "--data-dir", dir).Output()
	if err != nil || !strings.Contains(string(list), "grafana") || strings.Contains(string(list), tok) {
		t.Fatalf("token list: %v %s", err, list)
	}
	id := strings.SplitN(strings.TrimPrefix(tok, "dlk_"), "_", 2)[0]
	if out, err := deploylensCmd(t, "token", "revoke", "--data-dir", dir, id).CombinedOutput(); err != nil {
		t.Fatalf("revoke: %v %s", err, out)
	}
	// The server caches a checked token for --token-cache-ttl (10s).
	waitFor(t, 30*time.Second, "the revoked token to be refused", func() bool { return get("/api/v1/teams") == 401 })
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

// SIGTERM lets a request that is in flight finish before the process exits.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	p := startServe(t, t.TempDir())
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", p.url+"/api/v1/catalog/services/slow-upload", pr)
	req.Header.Set("Authorization", "Bearer "+p.token)
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{0, err}
			return
		}
		res.Body.Close()
		done <- result{res.StatusCode, nil}
	}()
	if _, err := pw.Write([]byte(`{"team":`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the request is now being read by a handler
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case <-p.exited:
		t.Fatal("serve exited with a request in flight")
	default:
	}
	if _, err := pw.Write([]byte(`"payments"}`)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.code != 200 {
		t.Fatalf("in-flight request: %d %v", r.code, r.err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
		p.exited <- err
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not exit after the in-flight request finished")
	}
}

// Without a running serve, `deploylens sql` starts an engine of its own on the
// data directory, and stops it again.
func TestSQLStartsItsOwnEngine(t *testing.T) {
	dir := t.TempDir()
	out, err := deploylensCmd(t, "sql", "--data-dir", dir, "--format", "tsv-header", "SELECT 41 + 1 AS answer, 'ünïcode' AS s").CombinedOutput()
	if err != nil {
		t.Fatalf("sql: %v %s", err, out)
	}
	if got := string(out); got != "answer\ts\n42\tünïcode\n" {
		t.Fatalf("sql printed %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, embedded.AddrFile)); !os.IsNotExist(err) {
		t.Fatalf("the engine sql started is still registered: %v", err)
	}
	out, err = deploylensCmd(t, "sql", "--data-dir", dir, "SELECT * FROM no_such_table").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "UNKNOWN_TABLE") && !strings.Contains(string(out), "60") {
		t.Fatalf("sql on a missing table: %v %s", err, out)
	}
}
