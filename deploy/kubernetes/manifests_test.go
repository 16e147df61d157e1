package kubernetes

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Files here that are not Kubernetes resources.
var notResources = map[string]bool{"kustomization.yaml": true, "schema-cluster.sql": true}

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := load(t)
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case notResources[name], strings.HasSuffix(name, "_test.go"):
		case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"):
			if !slices.Contains(m.Resources, name) {
				t.Errorf("%s is not listed in kustomization.yaml resources, so kubectl apply -k would skip it", name)
			}
		default:
			t.Errorf("%s is neither a listed manifest nor a known file of this directory", name)
		}
	}
	if m.Namespace == "" || len(m.namespaces) != 1 || m.namespaces[0].Name != m.Namespace {
		t.Errorf("kustomization namespace %q must be the one Namespace defined here", m.Namespace)
	}
}

// A strict decoder is what makes the other tests worth anything: a
// misspelt field would otherwise decode to nothing and pass every check.
func TestDecoderRefusesUnknownFields(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt field":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n",
		"duplicate field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",
		"unknown kind":    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n",
		"wrong type":      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: {name: http}\n",
	} {
		if _, err := decodeDocuments(strictDecoder(), []byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// kubectl's own kustomize renders the base; skipped where kubectl is absent.
func TestKustomizeBuilds(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: the typed checks in this package are the validation")
	}
	out, err := exec.Command(kubectl, "kustomize", ".").Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	objs, err := decodeDocuments(strictDecoder(), out)
	if err != nil {
		t.Fatalf("kustomize output: %v", err)
	}
	m := load(t)
	want := len(m.namespaces) + len(m.configMaps) + len(m.services) + len(m.deployments) + len(m.statefulSets) + len(m.jobs) + len(m.hpas) + len(m.pdbs)
	if len(objs) != want {
		t.Errorf("kustomize rendered %d objects, the files hold %d", len(objs), want)
	}
	if img := m.Images; len(img) != 1 || !strings.Contains(string(out), "image: "+img[0].NewName+":"+img[0].NewTag) {
		t.Errorf("the deploylens image is not replaced by kustomization images: %+v", img)
	}
}

func TestServicesSelectPodsAndPorts(t *testing.T) {
	m := load(t)
	for _, s := range m.services {
		matched := 0
		for _, w := range m.workloads() {
			if !selects(s.Spec.Selector, w.pod.Labels) {
				continue
			}
			matched++
			for _, p := range s.Spec.Ports {
				for _, c := range w.pod.Spec.Containers {
					if _, ok := containerPort(&c, p.TargetPort); !ok {
						t.Errorf("Service %s port %s targets %s, which container %s of %s %s does not expose", s.Name, p.Name, p.TargetPort.String(), c.Name, w.kind, w.name)
					}
				}
			}
		}
		if matched == 0 {
			t.Errorf("Service %s selects %v, which no pod template carries", s.Name, s.Spec.Selector)
		}
	}
}

func TestWorkloadSelectorsMatchOnlyTheirPods(t *testing.T) {
	m := load(t)
	for _, w := range m.workloads() {
		if w.kind == "Job" {
			continue
		}
		if !selects(w.selector, w.pod.Labels) {
			t.Errorf("%s %s selector %v does not match its pod labels %v", w.kind, w.name, w.selector, w.pod.Labels)
		}
		for _, other := range m.workloads() {
			if other.name != w.name && selects(w.selector, other.pod.Labels) {
				t.Errorf("%s %s selector %v also matches the pods of %s %s", w.kind, w.name, w.selector, other.kind, other.name)
			}
		}
	}
}

func TestEveryDeploymentHasAnAutoscalerAndDisruptionBudget(t *testing.T) {
	m := load(t)
	for _, d := range m.deployments {
		var hpas, pdbs int
		for _, h := range m.hpas {
			ref := h.Spec.ScaleTargetRef
			if ref.Kind != "Deployment" || ref.Name != d.Name {
				continue
			}
			hpas++
			if ref.APIVersion != "apps/v1" {
				t.Errorf("HPA %s targets apiVersion %q, want apps/v1", h.Name, ref.APIVersion)
			}
			if min := ptrValue(h.Spec.MinReplicas, 1); min < 2 || min > h.Spec.MaxReplicas {
				t.Errorf("HPA %s: minReplicas %d must be at least 2 (the PDB needs one to spare) and at most maxReplicas %d", h.Name, min, h.Spec.MaxReplicas)
			}
			if len(h.Spec.Metrics) == 0 {
				t.Errorf("HPA %s has no metric to scale on", h.Name)
			}
			for _, mt := range h.Spec.Metrics {
				if mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU {
					if _, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; !ok {
						t.Errorf("HPA %s scales on CPU utilization, but Deployment %s requests no CPU", h.Name, d.Name)
					}
				}
			}
		}
		for _, p := range m.pdbs {
			if selects(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				pdbs++
				if p.Spec.MinAvailable != nil && p.Spec.MinAvailable.IntValue() >= int(ptrValue(d.Spec.Replicas, 1)) {
					t.Errorf("PDB %s minAvailable %s leaves no pod of %s to evict", p.Name, p.Spec.MinAvailable.String(), d.Name)
				}
			}
		}
		if hpas != 1 || pdbs != 1 {
			t.Errorf("Deployment %s has %d HPAs and %d PDBs, want one each", d.Name, hpas, pdbs)
		}
	}
	for _, h := range m.hpas {
		found := false
		for _, d := range m.deployments {
			found = found || d.Name == h.Spec.ScaleTargetRef.Name
		}
		if !found {
			t.Errorf("HPA %s targets %s %s, which is not defined", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
	}
	for _, p := range m.pdbs {
		n := 0
		for _, w := range m.workloads() {
			if w.kind != "Job" && selects(p.Spec.Selector.MatchLabels, w.pod.Labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("PDB %s selects the pods of %d workloads, want exactly one", p.Name, n)
		}
	}
	for _, s := range m.statefulSets {
		n := 0
		for _, p := range m.pdbs {
			if selects(p.Spec.Selector.MatchLabels, s.Spec.Template.Labels) {
				n++
				if p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 {
					t.Errorf("PDB %s of StatefulSet %s must allow one pod away at a time", p.Name, s.Name)
				}
			}
		}
		if n != 1 {
			t.Errorf("StatefulSet %s has %d PDBs, want one", s.Name, n)
		}
	}
}

func TestProbesUseContainerPorts(t *testing.T) {
	m := load(t)
	for _, w := range m.workloads() {
		for _, c := range w.pod.Spec.Containers {
			for kind, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				if p == nil {
					if w.kind != "Job" && kind != "startup" {
						t.Errorf("%s %s container %s has no %s probe", w.kind, w.name, c.Name, kind)
					}
					continue
				}
				var port intstr.IntOrString
				switch {
				case p.HTTPGet != nil:
					port = p.HTTPGet.Port
				case p.TCPSocket != nil:
					port = p.TCPSocket.Port
				default:
					t.Errorf("%s %s container %s: %s probe is neither httpGet nor tcpSocket", w.kind, w.name, c.Name, kind)
					continue
				}
				if _, ok := containerPort(&c, port); !ok {
					t.Errorf("%s %s container %s: %s probe port %s is not a port of the container", w.kind, w.name, c.Name, kind, port.String())
				}
			}
		}
	}
}

// Pods meet the "restricted" Pod Security Standard the namespace enforces,
// have requests to schedule and autoscale by, and a memory limit.
func TestPodsAreRestrictedAndSized(t *testing.T) {
	m := load(t)
	if ns := m.namespaces[0]; ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %s does not enforce the restricted Pod Security Standard", ns.Name)
	}
	for _, w := range m.workloads() {
		spec := &w.pod.Spec
		where := w.kind + " " + w.name
		psc := spec.SecurityContext
		if psc == nil || !ptrValue(psc.RunAsNonRoot, false) || ptrValue(psc.RunAsUser, 0) == 0 {
			t.Errorf("%s: pod must set runAsNonRoot and a non-zero runAsUser", where)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod must use the RuntimeDefault seccomp profile", where)
		}
		if ptrValue(spec.AutomountServiceAccountToken, true) {
			t.Errorf("%s: nothing here talks to the Kubernetes API; do not mount a service account token", where)
		}
		for _, v := range spec.Volumes {
			if v.ConfigMap == nil && v.EmptyDir == nil && v.Secret == nil && v.PersistentVolumeClaim == nil {
				t.Errorf("%s: volume %s is of a type this base does not check", where, v.Name)
			}
		}
		for _, c := range spec.Containers {
			sc := c.SecurityContext
			if sc == nil || ptrValue(sc.AllowPrivilegeEscalation, true) || !ptrValue(sc.ReadOnlyRootFilesystem, false) ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s container %s: needs allowPrivilegeEscalation false, readOnlyRootFilesystem true and all capabilities dropped", where, c.Name)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s container %s: needs CPU and memory requests and a memory limit", where, c.Name)
			}
			if c.Image == "" || strings.HasSuffix(c.Image, ":latest") {
				t.Errorf("%s container %s: image %q is not pinned", where, c.Name, c.Image)
			}
			for _, vm := range c.VolumeMounts {
				if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name }) &&
					!(w.kind == "StatefulSet" && slices.ContainsFunc(m.statefulSet(w.name).Spec.VolumeClaimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == vm.Name })) {
					t.Errorf("%s container %s mounts %s, which is neither a volume nor a claim template", where, c.Name, vm.Name)
				}
			}
		}
	}
}

func TestConfigMapReferencesExist(t *testing.T) {
	m := load(t)
	for _, w := range m.workloads() {
		for _, v := range w.pod.Spec.Volumes {
			if v.ConfigMap == nil {
				continue
			}
			cm := m.configMap(v.ConfigMap.Name)
			if cm == nil {
				t.Errorf("%s %s volume %s: ConfigMap %s is not defined", w.kind, w.name, v.Name, v.ConfigMap.Name)
				continue
			}
			for _, item := range v.ConfigMap.Items {
				if _, ok := cm.Data[item.Key]; !ok {
					t.Errorf("%s %s volume %s: ConfigMap %s has no key %s", w.kind, w.name, v.Name, cm.Name, item.Key)
				}
			}
		}
		for _, c := range w.pod.Spec.Containers {
			m.env(t, &c) // fails on an undefined ConfigMap
			for _, e := range c.Env {
				if r := e.ValueFrom; r != nil && r.ConfigMapKeyRef != nil {
					if _, ok := m.configMap(r.ConfigMapKeyRef.Name).Data[r.ConfigMapKeyRef.Key]; !ok {
						t.Errorf("%s %s env %s: ConfigMap %s has no key %s", w.kind, w.name, e.Name, r.ConfigMapKeyRef.Name, r.ConfigMapKeyRef.Key)
					}
				}
			}
			// A script the container runs from a ConfigMap volume must be in it.
			for _, arg := range c.Command {
				if strings.HasPrefix(arg, "/etc/") && strings.HasSuffix(arg, ".sh") && !m.mountedFromConfigMap(w, &c, arg) {
					t.Errorf("%s %s container %s runs %s, which no ConfigMap volume mounts", w.kind, w.name, c.Name, arg)
				}
			}
		}
	}
}

func (m *manifests) mountedFromConfigMap(w workload, c *corev1.Container, path string) bool {
	for _, vm := range c.VolumeMounts {
		rel, err := filepath.Rel(vm.MountPath, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, v := range w.pod.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				return slices.ContainsFunc(v.ConfigMap.Items, func(i corev1.KeyToPath) bool { return i.Path == rel })
			}
		}
	}
	return false
}

// secretRow is a row of deploy/README.md's table of Secrets the user creates:
// | `secret` | `key` | required or optional | what |
var secretRow = regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| `([a-z0-9-]+)` \\| (required|optional) \\|")

// No Secret is defined here (no secret belongs in a repository); each one a
// pod reads is documented in the README for the user to create, with
// whether it is optional as the manifest says.
func TestSecretsAreDocumentedNotDefined(t *testing.T) {
	m := load(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, row := range secretRow.FindAllStringSubmatch(string(readme), -1) {
		documented[row[1]+"/"+row[2]] = row[3]
	}
	used := map[string]string{}
	for _, w := range m.workloads() {
		for _, v := range w.pod.Spec.Volumes {
			if v.Secret != nil {
				t.Errorf("%s %s mounts Secret %s: document its keys in the README table first", w.kind, w.name, v.Secret.SecretName)
			}
		}
		for _, c := range w.pod.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					if strings.Contains(strings.ToLower(e.Name), "password") || strings.Contains(strings.ToLower(e.Name), "secret") || strings.Contains(strings.ToLower(e.Name), "token") {
						t.Errorf("%s %s env %s holds a literal value; take it from a Secret", w.kind, w.name, e.Name)
					}
					continue
				}
				ref := e.ValueFrom.SecretKeyRef
				need := "required"
				if ptrValue(ref.Optional, false) {
					need = "optional"
				}
				key := ref.Name + "/" + ref.Key
				if prev, ok := used[key]; ok && prev != need {
					t.Errorf("Secret key %s is optional in one place and required in another", key)
				}
				used[key] = need
			}
		}
	}
	for key, need := range used {
		if documented[key] != need {
			t.Errorf("Secret key %s (%s) is not in deploy/README.md's table of Secrets as %s", key, need, need)
		}
	}
	for key := range documented {
		if _, ok := used[key]; !ok {
			t.Errorf("deploy/README.md documents Secret key %s, which no manifest reads", key)
		}
	}
	if len(documented) == 0 {
		t.Error("deploy/README.md has no table of Secrets")
	}
}

// containerPort finds the container port a Service or probe port names.
func containerPort(c *corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}
