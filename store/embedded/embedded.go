// Package embedded runs the ClickHouse engine in a child process through chDB
// (PyPI chdb-core), behind a local endpoint that speaks the ClickHouse HTTP
// interface, so that clickhouse-go reaches it exactly as it reaches a server.
package embedded

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed engine.py
var engineScript []byte

// Requirements is the pinned Python environment the engine needs.
//
//go:embed requirements.txt
var Requirements string

// AddrFile is the file under the data directory where a running engine records
// its address and process id, so that `deploylens sql` can reuse it.
const AddrFile = "engine.addr"

// Options configure an engine process.
type Options struct {
	DataDir string // where ClickHouse keeps its data (DataDir/clickhouse)
	Python  string // interpreter with chdb-core installed; see FindPython
	Addr    string // listen address, default 127.0.0.1:0 (a free port)
	// FollowParent stops the engine when this process dies, even by SIGKILL.
	FollowParent bool
	// RemoveDataDir deletes DataDir when the engine stops: for a throwaway
	// engine, such as the one a test binary starts.
	RemoveDataDir bool
	// Connections is how many queries the engine runs at once, each on its
	// own chDB connection (0: the engine's default, 4); inserts and ingest's
	// lookups have one more connection of their own.
	Connections int
	Logger      *slog.Logger
}

// Engine is a running embedded engine.
type Engine struct {
	url     string
	version string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stderr  *tailBuffer
	once    sync.Once
}

// URL is the engine's ClickHouse HTTP endpoint, e.g. http://127.0.0.1:41234.
func (e *Engine) URL() string { return e.url }

// Version is the ClickHouse version the engine runs.
func (e *Engine) Version() string { return e.version }

// Done is closed when the engine process has exited.
func (e *Engine) Done() <-chan struct{} { return e.done }

// FindPython returns the interpreter to run the engine with: the explicit
// one if given, else .venv/bin/python3 in the working directory or next to
// the executable's parent directory (where `make build` creates it).
func FindPython(explicit string) (string, error) {
	if explicit != "" {
		if _, err := exec.LookPath(explicit); err != nil {
			return "", fmt.Errorf("engine python %q not found: set --engine-python to an interpreter with chdb-core installed (`make build` creates .venv)", explicit)
		}
		return explicit, nil
	}
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, filepath.Join(wd, ".venv", "bin", "python3"))
	}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		candidates = append(candidates,
			filepath.Join(dir, "..", ".venv", "bin", "python3"),
			filepath.Join(dir, ".venv", "bin", "python3"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return filepath.Clean(c), nil
		}
	}
	return "", fmt.Errorf("no Python environment for the embedded engine: run `make build` (it creates .venv with chdb-core) or set --engine-python / DEPLOYLENS_ENGINE_PYTHON, or give --clickhouse-url to use a ClickHouse server")
}

// Start launches the engine and waits until it answers.
func Start(ctx context.Context, opt Options) (*Engine, error) {
	if opt.DataDir == "" {
		return nil, errors.New("embedded engine: data directory is empty; set --data-dir")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	dir := filepath.Join(opt.DataDir, "engine")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded engine: create %s: %w", dir, err)
	}
	script := filepath.Join(dir, "engine.py")
	if err := writeIfChanged(script, engineScript); err != nil {
		return nil, fmt.Errorf("embedded engine: write %s: %w", script, err)
	}
	args := []string{"-u", script, "--data-dir", opt.DataDir, "--addr", opt.Addr,
		"--addr-file", filepath.Join(opt.DataDir, AddrFile)}
	if opt.FollowParent {
		args = append(args, "--follow-parent")
	}
	if opt.RemoveDataDir {
		args = append(args, "--remove-data-dir")
	}
	if opt.Connections > 0 {
		args = append(args, "--connections", strconv.Itoa(opt.Connections))
	}
	cmd := exec.Command(opt.Python, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if opt.FollowParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	e := &Engine{cmd: cmd, done: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = e.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("embedded engine: start %s: %w", opt.Python, err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "ready ") {
				select {
				case ready <- line:
				default:
				}
				continue
			}
			opt.Logger.Info("engine", "line", line)
		}
	}()
	go func() {
		e.waitErr = cmd.Wait()
		close(e.done)
	}()

	timeout := time.NewTimer(90 * time.Second)
	defer timeout.Stop()
	select {
	case line := <-ready:
		f := strings.Fields(line) // ready URL version V
		e.url = f[1]
		if len(f) >= 4 {
			e.version = f[3]
		}
	case <-e.done:
		return nil, fmt.Errorf("embedded engine exited before it was ready (%v): %s", e.waitErr, e.stderr.String())
	case <-timeout.C:
		e.Stop()
		return nil, fmt.Errorf("embedded engine did not become ready in 90s: %s", e.stderr.String())
	case <-ctx.Done():
		e.Stop()
		return nil, ctx.Err()
	}
	if err := Ping(ctx, e.url); err != nil {
		e.Stop()
		return nil, fmt.Errorf("embedded engine at %s does not answer: %w", e.url, err)
	}
	opt.Logger.Info("embedded ClickHouse engine ready", "url", e.url, "version", e.version, "data_dir", opt.DataDir, "pid", cmd.Process.Pid)
	return e, nil
}

// Stop ends the engine gracefully (SIGTERM), killing it after 20 s.
func (e *Engine) Stop() error {
	e.once.Do(func() {
		if e.cmd.Process == nil {
			return
		}
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
			<-e.done
		}
	})
	return nil
}

// Kill ends the engine at once (SIGKILL), for failure tests.
func (e *Engine) Kill() {
	if e.cmd.Process != nil {
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.done
	}
}

// Discover returns the URL of an engine already running on dataDir (started
// by `deploylens serve` or `deploylens engine`), or "" if none answers.
func Discover(ctx context.Context, dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, AddrFile))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return ""
	}
	if len(f) >= 2 {
		if pid, err := strconv.Atoi(f[1]); err == nil && syscall.Kill(pid, 0) != nil {
			return ""
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if Ping(pctx, f[0]) != nil {
		return ""
	}
	return f[0]
}

// Ping checks the endpoint's /ping.
func Ping(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/ping", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64))
	if res.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("Ok.")) {
		return fmt.Errorf("ping answered %d %q", res.StatusCode, body)
	}
	return nil
}

func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// tailBuffer keeps the last max bytes written to it (the engine's stderr),
// so a failed start can say why.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
