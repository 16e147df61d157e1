//go:build reliability

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/embedded"
)

// adminToken is the bootstrap admin token every process of a test shares
// (--admin-token), so that several processes on one store agree on it.
const adminToken = "reliability-admin-0123456789abcdef"

// process is a running deploylens command.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *output
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

func startProcess(t *testing.T, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(deploylens, args...)
	cmd.Env = append(os.Environ(), "DEPLOYLENS_ENGINE_PYTHON="+python)
	// Gone with the test binary, even one killed by a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, out: newOutput(), exited: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.terminate() })
	return p
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// waitLine returns the first output line that starts with prefix.
func (p *process) waitLine(t *testing.T, prefix string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l := <-p.out.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-p.exited:
			t.Fatalf("%s exited (%v) before printing %q:\n%s", p.name, p.err, prefix, p.out.tail())
		case <-deadline:
			t.Fatalf("%s did not print %q within %v:\n%s", p.name, prefix, within, p.out.tail())
		}
	}
}

// stop ends the process with SIGTERM, as an operator would, and fails the
// test if it does not exit cleanly within a minute.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("%s exited with %v after SIGTERM:\n%s", p.name, p.err, p.out.tail())
		}
	case <-time.After(time.Minute):
		t.Errorf("%s did not stop within a minute of SIGTERM", p.name)
		p.kill()
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// terminate is the cleanup: SIGTERM, then SIGKILL after 30 s.
func (p *process) terminate() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

// node is a running `deploylens serve`.
type node struct {
	*process
	url     string
	dataDir string
}

// startServe runs `deploylens serve` on dataDir (the embedded engine unless
// extra gives --clickhouse-url) and waits until it is ready. extra flags come
// last, so they override the defaults here.
func startServe(t *testing.T, name, dataDir string, extra ...string) *node {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0",
		"--admin-token", adminToken, "--log-level", "warn"}, extra...)
	p := startProcess(t, name, args...)
	line := p.waitLine(t, "deploylens is ready at ", 2*time.Minute)
	return &node{process: p, url: strings.Fields(strings.TrimPrefix(line, "deploylens is ready at "))[0], dataDir: dataDir}
}

// startEngine runs `deploylens engine` on a free loopback port and returns
// it with its ClickHouse HTTP URL.
func startEngine(t *testing.T, dataDir string) (*process, string) {
	t.Helper()
	p := startProcess(t, "engine", "engine", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--log-level", "warn")
	line := p.waitLine(t, "embedded ClickHouse engine ", 2*time.Minute)
	_, after, _ := strings.Cut(line, " at ")
	return p, strings.Fields(after)[0]
}

// enginePID is the pid of the engine serving dataDir, as it recorded it in
// engine.addr; 0 when none is recorded.
func enginePID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, embedded.AddrFile))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pid, _ := strconv.Atoi(f[1])
	return pid
}

// engineURL is the URL of the engine serving dataDir.
func engineURL(t *testing.T, dataDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, embedded.AddrFile))
	if err != nil {
		t.Fatalf("no engine recorded in %s: %v", dataDir, err)
	}
	return strings.Fields(string(b))[0]
}

// openStore connects to a ClickHouse HTTP URL for counting stored rows.
func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// freeAddr returns a loopback address nothing listens on, for a process that
// must come back on the same address after a restart.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// output keeps a process's recent output for failure messages and hands
// its lines to waitLine.
type output struct {
	mu    sync.Mutex
	buf   []byte // the unfinished last line
	last  []string
	lines chan string
}

func newOutput() *output { return &output{lines: make(chan string, 256)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	for {
		i := bytes.IndexByte(o.buf, '\n')
		if i < 0 {
			break
		}
		line := string(o.buf[:i])
		o.buf = o.buf[i+1:]
		o.last = append(o.last, line)
		if len(o.last) > 200 {
			o.last = o.last[len(o.last)-200:]
		}
		select {
		case o.lines <- line:
		default: // nobody waits for lines any more
		}
	}
	return len(p), nil
}

func (o *output) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.last, "\n")
}

// memory samples the resident set size (VmRSS) of named processes every
// 200 ms. A process is named by a function returning its current pid, so
// that an engine restarted under a new pid is followed.
type memory struct {
	mu      sync.Mutex
	samples map[string][]rssSample
	stop    chan struct{}
	done    chan struct{}
}

type rssSample struct {
	at time.Time
	mb float64
}

func watchMemory(t *testing.T, pids map[string]func() int) *memory {
	m := &memory{samples: map[string][]rssSample{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now()
			for name, pid := range pids {
				if mb, ok := rssMB(pid()); ok {
					m.mu.Lock()
					m.samples[name] = append(m.samples[name], rssSample{now, mb})
					m.mu.Unlock()
				}
			}
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(m.close)
	return m
}

func (m *memory) close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// peak is the largest sample of name taken in [from, to); zero time bounds
// are open.
func (m *memory) peak(name string, from, to time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	peak := 0.0
	for _, s := range m.samples[name] {
		if (!from.IsZero() && s.at.Before(from)) || (!to.IsZero() && !s.at.Before(to)) {
			continue
		}
		peak = max(peak, s.mb)
	}
	return peak
}

// rssMB reads VmRSS of pid from /proc, in MiB.
func rssMB(pid int) (float64, bool) {
	if pid <= 0 {
		return 0, false
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest) // "123456 kB"
			kb, err := strconv.ParseFloat(fields[0], 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}
