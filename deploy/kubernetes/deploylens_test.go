package kubernetes

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tempDir != "" {
		os.RemoveAll(tempDir)
	}
	os.Exit(code)
}

var tempDir string

func makeTempDir() (string, error) {
	var err error
	tempDir, err = os.MkdirTemp("", "deploylens-kubernetes-")
	return tempDir, err
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// deploylens builds the real binary once, so the flags the manifests use
// are checked against the flag sets the program parses, not a copy of them.
func deploylens(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		dir, err := makeTempDir()
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "deploylens")
		out, err := exec.Command(goTool, "build", "-o", binary, "github.com/deploylens/deploylens/cmd/deploylens").CombinedOutput()
		if err != nil {
			buildErr = err
			binary = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build deploylens: %v\n%s", buildErr, binary)
	}
	return binary
}

var (
	flagLine = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	envLine  = regexp.MustCompile(`\(env (DEPLOYLENS_[A-Z0-9_]+)\)`)
)

// commandFlags are the flags `deploylens <command words> -h` prints and
// the environment variable it names for each.
type commandFlags struct {
	flags, env map[string]bool
}

func flags(t *testing.T, command []string) commandFlags {
	t.Helper()
	out, _ := exec.Command(deploylens(t), append(slices.Clone(command), "-h")...).CombinedOutput() // -h exits 2 by design
	cf := commandFlags{flags: map[string]bool{}, env: map[string]bool{}}
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		cf.flags[m[1]] = true
	}
	for _, m := range envLine.FindAllStringSubmatch(string(out), -1) {
		cf.env[m[1]] = true
	}
	if len(cf.flags) == 0 || len(cf.env) != len(cf.flags) {
		t.Fatalf("deploylens %s -h printed %d flags and %d variables:\n%s", command, len(cf.flags), len(cf.env), out)
	}
	return cf
}

// deploylensContainer is a container that runs the deploylens binary.
type deploylensContainer struct {
	workload
	c   *corev1.Container
	env map[string]string
}

func (m *manifests) deploylensContainers(t *testing.T) []deploylensContainer {
	var out []deploylensContainer
	for _, w := range m.workloads() {
		for i := range w.pod.Spec.Containers {
			c := &w.pod.Spec.Containers[i]
			if len(c.Command) == 1 && c.Command[0] == "deploylens" {
				out = append(out, deploylensContainer{w, c, m.env(t, c)})
			}
		}
	}
	if len(out) != 3 {
		t.Fatalf("found %d deploylens containers, want ingest, query and migrate", len(out))
	}
	return out
}

// argFlags returns the --flag values of args after the subcommand words.
func argFlags(t *testing.T, args []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			if i+1 >= len(args) {
				t.Fatalf("flag %s has no value in %v", a, args)
			}
			i++
			value = args[i]
		}
		out[name] = value
	}
	return out
}

// Every flag in a container's args and every DEPLOYLENS_ variable in its
// environment is a flag of the subcommand it runs: parseFlags ignores a
// variable that names no flag, so a misspelt one would silently do nothing.
func TestDeploylensFlagsAndVariablesExist(t *testing.T) {
	m := load(t)
	known := map[string]commandFlags{}
	for _, d := range m.deploylensContainers(t) {
		// The words before the first flag: serve, migrate up.
		n := slices.IndexFunc(d.c.Args, func(a string) bool { return strings.HasPrefix(a, "-") })
		if n < 0 {
			n = len(d.c.Args)
		}
		words := d.c.Args[:n]
		sub := strings.Join(words, " ")
		if _, ok := known[sub]; !ok {
			known[sub] = flags(t, words)
			if !known[sub].flags["clickhouse-url"] || !known[sub].env["DEPLOYLENS_CLICKHOUSE_URL"] {
				t.Fatalf("deploylens %s -h lists no --clickhouse-url (DEPLOYLENS_CLICKHOUSE_URL); is the usage parsed right?", sub)
			}
		}
		for name := range argFlags(t, d.c.Args) {
			if !known[sub].flags[name] {
				t.Errorf("%s %s runs deploylens %s --%s, which is not a flag of %s", d.kind, d.name, sub, name, sub)
			}
		}
		for v := range d.env {
			if strings.HasPrefix(v, "DEPLOYLENS_") && !known[sub].env[v] {
				t.Errorf("%s %s sets %s, which names no flag of deploylens %s", d.kind, d.name, v, sub)
			}
		}
	}
}

// The role a Deployment serves is the one its labels and Service claim, and
// its probes reach /healthz and /readyz on the port it listens on.
func TestDeploylensRolesAndProbes(t *testing.T) {
	m := load(t)
	for _, d := range m.deploylensContainers(t) {
		component := d.pod.Labels["app.kubernetes.io/component"]
		args := argFlags(t, d.c.Args)
		switch d.c.Args[0] {
		case "serve":
			if args["role"] != component {
				t.Errorf("%s %s serves --role %q but is labelled component %q", d.kind, d.name, args["role"], component)
			}
			_, port, err := net.SplitHostPort(args["http-addr"])
			if err != nil {
				t.Fatalf("%s: --http-addr %q: %v", d.name, args["http-addr"], err)
			}
			for kind, probe := range map[string]struct {
				p    *corev1.Probe
				path string
			}{"liveness": {d.c.LivenessProbe, "/healthz"}, "readiness": {d.c.ReadinessProbe, "/readyz"}, "startup": {d.c.StartupProbe, "/healthz"}} {
				if probe.p == nil || probe.p.HTTPGet == nil || probe.p.HTTPGet.Path != probe.path {
					t.Errorf("%s: %s probe must GET %s", d.name, kind, probe.path)
					continue
				}
				cp, ok := containerPort(d.c, probe.p.HTTPGet.Port)
				if !ok || strconv.Itoa(int(cp.ContainerPort)) != port {
					t.Errorf("%s: %s probe port %s is not the --http-addr port %s", d.name, kind, probe.p.HTTPGet.Port.String(), port)
				}
			}
			if component == "ingest" {
				_, grpcPort, _ := net.SplitHostPort(args["grpc-addr"])
				if cp, ok := containerPort(d.c, intstr.FromString("otlp-grpc")); !ok || strconv.Itoa(int(cp.ContainerPort)) != grpcPort {
					t.Errorf("%s: container port otlp-grpc is not the --grpc-addr port %s", d.name, grpcPort)
				}
			}
		case "migrate":
			if len(d.c.Args) < 2 || d.c.Args[1] != "up" {
				t.Errorf("%s %s runs migrate %v, want migrate up", d.kind, d.name, d.c.Args[1:])
			}
		default:
			t.Errorf("%s %s runs deploylens %s, which this base has no check for", d.kind, d.name, d.c.Args[0])
		}
	}
}

// Every deploylens process reaches the ClickHouse Service on its native
// port as the user ClickHouse defines, with the password from the Secret
// ClickHouse reads it from, and renders the schema for the cluster
// remote_servers defines (serve migrates at start, so all of them need it).
func TestDeploylensReachesTheClickHouseCluster(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	for _, d := range m.deploylensContainers(t) {
		if got := d.env["DEPLOYLENS_CLICKHOUSE_CLUSTER"]; got != ch.clusterName {
			t.Errorf("%s %s: --clickhouse-cluster is %q, remote_servers defines %q", d.kind, d.name, got, ch.clusterName)
		}
		raw := d.env["DEPLOYLENS_CLICKHOUSE_URL"]
		if strings.Contains(raw, "$(") {
			t.Errorf("%s %s: DEPLOYLENS_CLICKHOUSE_URL %q refers to a variable not defined before it", d.kind, d.name, raw)
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "clickhouse" {
			t.Errorf("%s %s: DEPLOYLENS_CLICKHOUSE_URL %q is not a clickhouse:// URL", d.kind, d.name, raw)
			continue
		}
		pw, _ := u.User.Password()
		if u.User.Username() != ch.user || pw != ch.password {
			t.Errorf("%s %s: connects as %s with password %s; ClickHouse defines user %s with password %s", d.kind, d.name, u.User.Username(), pw, ch.user, ch.password)
		}
		svc := m.service(u.Hostname())
		if svc == nil {
			t.Errorf("%s %s: ClickHouse host %s is not a Service here", d.kind, d.name, u.Hostname())
			continue
		}
		if !selects(svc.Spec.Selector, ch.sts.Spec.Template.Labels) {
			t.Errorf("Service %s does not select the ClickHouse pods", svc.Name)
		}
		ok := false
		for _, p := range svc.Spec.Ports {
			if strconv.Itoa(int(p.Port)) == u.Port() {
				cp, found := containerPort(&ch.sts.Spec.Template.Spec.Containers[0], p.TargetPort)
				ok = found && cp.Name == "native"
			}
		}
		if !ok {
			t.Errorf("%s %s: port %s of Service %s does not reach ClickHouse's native port", d.kind, d.name, u.Port(), svc.Name)
		}
	}
}
