//go:build reliability

package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploylens/deploylens/store/storetest"
)

// deploylens is the binary built from this checkout; python runs its engine.
var deploylens, python string

// settings scale the suite. Each is read from the environment variable named
// beside it; the defaults keep `make reliability` within a few minutes on
// the project's two cores.
var settings = struct {
	sustained time.Duration // RELIABILITY_DURATION: the sustained-load test
	phase     time.Duration // RELIABILITY_PHASE: load before and after each fault
	// Rates of the mixed load, in rows per second.
	nativeRate float64 // RELIABILITY_NATIVE_RATE: native events
	spanRate   float64 // RELIABILITY_SPAN_RATE: OTLP spans
	logRate    float64 // RELIABILITY_LOG_RATE: OTLP log records
	sampleRate float64 // RELIABILITY_SAMPLE_RATE: remote_write samples
}{
	sustained:  envDuration("RELIABILITY_DURATION", 60*time.Second),
	phase:      envDuration("RELIABILITY_PHASE", 15*time.Second),
	nativeRate: envFloat("RELIABILITY_NATIVE_RATE", 400),
	spanRate:   envFloat("RELIABILITY_SPAN_RATE", 4000),
	logRate:    envFloat("RELIABILITY_LOG_RATE", 2000),
	sampleRate: envFloat("RELIABILITY_SAMPLE_RATE", 4000),
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fmt.Fprintf(os.Stderr, "%s=%q is not a positive duration such as 30s\n", name, v)
			os.Exit(2)
		}
		return d
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			fmt.Fprintf(os.Stderr, "%s=%q is not a positive number\n", name, v)
			os.Exit(2)
		}
		return f
	}
	return def
}

func TestMain(m *testing.M) {
	root, err := storetest.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	python = os.Getenv("DEPLOYLENS_ENGINE_PYTHON")
	if python == "" {
		python = filepath.Join(root, ".venv", "bin", "python3")
	}
	if _, err := os.Stat(python); err != nil {
		fmt.Fprintf(os.Stderr, "the engine's Python environment is missing (%s): run `make venv` or set DEPLOYLENS_ENGINE_PYTHON\n", python)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "deploylens-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deploylens = filepath.Join(dir, "deploylens")
	build := exec.Command("go", "build", "-o", deploylens, "./cmd/deploylens")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build deploylens: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	printFigures()
	os.RemoveAll(dir)
	os.Exit(code)
}

var figures struct {
	mu    sync.Mutex
	lines []string
}

// report logs one test's figures and keeps the line for the table printed
// when the suite ends.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...) + fmt.Sprintf(" [load average %s]", loadAverage())
	t.Log(line)
	figures.mu.Lock()
	figures.lines = append(figures.lines, line)
	figures.mu.Unlock()
}

// printFigures prints every reported line, each starting with RELIABILITY,
// which scripts/gotest-summary.py passes through.
func printFigures() {
	figures.mu.Lock()
	defer figures.mu.Unlock()
	if len(figures.lines) == 0 {
		return
	}
	fmt.Printf("RELIABILITY figures (sustained %v, phase %v, %d CPUs):\n", settings.sustained, settings.phase, runtime.NumCPU())
	for _, l := range figures.lines {
		fmt.Println("RELIABILITY " + l)
	}
}

// loadAverage is the one-minute load average: the machine is shared, and
// latency figures mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
