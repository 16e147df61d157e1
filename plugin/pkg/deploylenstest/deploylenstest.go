// Package deploylenstest runs a real deploylens for the plugin's and the
// dashboards' tests: the deploylens binary built from this repository,
// serving on loopback against a fresh database of the embedded ClickHouse
// engine (store/storetest), with demo data sent through its public API.
// Nothing of the deploylens API is mocked.
package deploylenstest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// Server is a running `deploylens serve`.
type Server struct {
	URL        string
	AdminToken string
	// ReadToken is a read token scoped to every team.
	ReadToken string
	// Store is a connection to the server's database.
	Store *store.Store

	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan error
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds cmd/deploylens once per test binary and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := storetest.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "deploylens-plugin-test-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "deploylens")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/deploylens")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/deploylens: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binary
}

// Start runs deploylens on a fresh database and waits until it is ready.
// It is stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary(tb)
	dbURL := storetest.Database(tb)
	s := &Server{AdminToken: "dladmin-" + randomHex(16), stderr: &lockedBuffer{}, exited: make(chan error, 1)}

	s.cmd = exec.Command(bin, "serve",
		"--clickhouse-url", dbURL,
		"--data-dir", tb.TempDir(),
		"--http-addr", "127.0.0.1:0",
		"--grpc-addr", "127.0.0.1:0",
		"--admin-token", s.AdminToken,
		"--token-cache-ttl", "0s",
		"--log-level", "warn")
	s.cmd.Env = append(os.Environ(), "DEPLOYLENS_ENGINE_PYTHON="+storetest.Python(tb))
	// Gone with the test binary, even one killed by a timeout.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start deploylens: %v", err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	tb.Cleanup(s.stop)

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "deploylens is ready at "); ok {
				ready <- strings.Fields(u)[0]
			}
		}
	}()
	select {
	case s.URL = <-ready:
	case err := <-s.exited:
		s.exited <- err
		tb.Fatalf("deploylens exited before it was ready (%v): %s", err, s.stderr)
	case <-time.After(120 * time.Second):
		tb.Fatalf("deploylens not ready in 120s: %s", s.stderr)
	}

	st, err := store.Open(context.Background(), store.Config{URL: dbURL})
	if err != nil {
		tb.Fatalf("open the server's database: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	s.Store = st
	s.ReadToken = s.Token(tb, auth.RoleRead, auth.AllTeams)
	return s
}

// Token creates a token of role for teams on the server's database.
func (s *Server) Token(tb testing.TB, role auth.Role, teams ...string) string {
	tb.Helper()
	secret, _, err := auth.NewTokens(s.Store.Conn, 0).Create(context.Background(), "plugin-test-"+string(role), role, teams)
	if err != nil {
		tb.Fatalf("create %s token: %v", role, err)
	}
	return secret
}

// Revoke revokes the token with this secret.
func (s *Server) Revoke(tb testing.TB, secret string) {
	tb.Helper()
	id := strings.SplitN(strings.TrimPrefix(secret, "dlk_"), "_", 2)[0]
	if err := auth.NewTokens(s.Store.Conn, 0).Revoke(context.Background(), id); err != nil {
		tb.Fatalf("revoke token: %v", err)
	}
}

// Do sends one request with the admin token and returns status and body.
func (s *Server) Do(tb testing.TB, method, path string, body []byte) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// Logs is what the server wrote to stderr so far.
func (s *Server) Logs() string { return s.stderr.String() }

func (s *Server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
