package kubernetes

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The names the rest of the base refers to ClickHouse and Keeper by.
const (
	clickHouseName = "clickhouse"
	keeperName     = "clickhouse-keeper"
)

// xmlNode is any element of a ClickHouse configuration file.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xmlNode  `xml:",any"`
}

func (n *xmlNode) all(name string) []*xmlNode {
	var out []*xmlNode
	for i := range n.Children {
		if n.Children[i].XMLName.Local == name {
			out = append(out, &n.Children[i])
		}
	}
	return out
}

// one returns the only child called name, or an empty node.
func (n *xmlNode) one(name string) *xmlNode {
	if c := n.all(name); len(c) == 1 {
		return c[0]
	}
	return &xmlNode{}
}

func (n *xmlNode) text() string { return strings.TrimSpace(n.Text) }

func (n *xmlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// fromEnv lists every from_env attribute under n.
func (n *xmlNode) fromEnv() []string {
	var out []string
	if v := n.attr("from_env"); v != "" {
		out = append(out, v)
	}
	for i := range n.Children {
		out = append(out, n.Children[i].fromEnv()...)
	}
	return out
}

func parseXML(t *testing.T, cm *corev1.ConfigMap, key string) *xmlNode {
	t.Helper()
	var root xmlNode
	if err := xml.Unmarshal([]byte(cm.Data[key]), &root); err != nil {
		t.Fatalf("ConfigMap %s key %s: %v", cm.Name, key, err)
	}
	if root.XMLName.Local != "clickhouse" {
		t.Fatalf("ConfigMap %s key %s: root element is <%s>, want <clickhouse>", cm.Name, key, root.XMLName.Local)
	}
	return &root
}

// clickHouseCluster is what the ClickHouse manifests define, read from the
// StatefulSet and the configuration files its pods mount.
type clickHouseCluster struct {
	sts, keeper       *appsv1.StatefulSet
	config, keeperCfg *corev1.ConfigMap
	clusterName       string
	cluster           *xmlNode
	// user and its password, as secretValue when it comes from a Secret.
	user, password string
}

func (m *manifests) clickHouse(t *testing.T) *clickHouseCluster {
	t.Helper()
	ch := &clickHouseCluster{sts: m.statefulSet(clickHouseName), keeper: m.statefulSet(keeperName)}
	if ch.sts == nil || ch.keeper == nil {
		t.Fatalf("StatefulSets %s and %s must be defined", clickHouseName, keeperName)
	}
	ch.config = m.mountedConfigMap(t, ch.sts, "/etc/clickhouse-server/config.d")
	ch.keeperCfg = m.mountedConfigMap(t, ch.keeper, "/etc/clickhouse-keeper")
	clusters := parseXML(t, ch.config, "cluster.xml").one("remote_servers").Children
	if len(clusters) != 1 {
		t.Fatalf("remote_servers defines %d clusters, want the one deploylens uses", len(clusters))
	}
	ch.cluster = &clusters[0]
	ch.clusterName = ch.cluster.XMLName.Local
	users := parseXML(t, ch.config, "users.xml").one("users")
	env := m.env(t, &ch.sts.Spec.Template.Spec.Containers[0])
	for _, u := range users.Children {
		if u.XMLName.Local == "default" {
			continue
		}
		if ch.user != "" {
			t.Fatalf("users.xml defines users %s and %s; the test expects deploylens' one", ch.user, u.XMLName.Local)
		}
		ch.user = u.XMLName.Local
		ch.password = env[u.one("password").attr("from_env")]
		if !strings.HasPrefix(ch.password, "secret.") {
			t.Fatalf("the password of ClickHouse user %s does not come from a Secret", ch.user)
		}
	}
	return ch
}

// mountedConfigMap is the ConfigMap a StatefulSet's first container mounts at dir.
func (m *manifests) mountedConfigMap(t *testing.T, sts *appsv1.StatefulSet, dir string) *corev1.ConfigMap {
	t.Helper()
	for _, vm := range sts.Spec.Template.Spec.Containers[0].VolumeMounts {
		if vm.MountPath != dir {
			continue
		}
		for _, v := range sts.Spec.Template.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				if cm := m.configMap(v.ConfigMap.Name); cm != nil {
					return cm
				}
			}
		}
	}
	t.Fatalf("StatefulSet %s mounts no defined ConfigMap at %s", sts.Name, dir)
	return nil
}

// podHost is the name a StatefulSet pod has in its governing Service.
func podHost(sts *appsv1.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d.%s", sts.Name, ordinal, sts.Spec.ServiceName)
}

func portNumber(t *testing.T, c *corev1.Container, name string) string {
	t.Helper()
	p, ok := containerPort(c, intstr.FromString(name))
	if !ok {
		t.Fatalf("container %s has no port named %s", c.Name, name)
	}
	return strconv.Itoa(int(p.ContainerPort))
}

func TestClickHouseIsTwoShardsOfTwoReplicas(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	container := &ch.sts.Spec.Template.Spec.Containers[0]
	native := portNumber(t, container, "native")
	shards := ch.cluster.all("shard")
	if len(shards) != 2 {
		t.Fatalf("cluster %s has %d shards, want 2", ch.clusterName, len(shards))
	}
	var hosts []string
	for i, s := range shards {
		if s.one("internal_replication").text() != "true" {
			t.Errorf("shard %d: internal_replication must be true; the replicated tables copy rows themselves", i+1)
		}
		replicas := s.all("replica")
		if len(replicas) != 2 {
			t.Errorf("shard %d has %d replicas, want 2", i+1, len(replicas))
		}
		for _, r := range replicas {
			hosts = append(hosts, r.one("host").text())
			if r.one("port").text() != native {
				t.Errorf("shard %d replica %s: port %s is not ClickHouse's native port %s", i+1, r.one("host").text(), r.one("port").text(), native)
			}
		}
	}
	if n := int(ptrValue(ch.sts.Spec.Replicas, 1)); n != len(hosts) {
		t.Errorf("StatefulSet %s runs %d pods; remote_servers lists %d replicas", ch.sts.Name, n, len(hosts))
	}
	for i := range hosts {
		if want := podHost(ch.sts, i); !slices.Contains(hosts, want) {
			t.Errorf("remote_servers does not list pod %s", want)
		}
	}
	headless := m.service(ch.sts.Spec.ServiceName)
	if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses || !selects(headless.Spec.Selector, ch.sts.Spec.Template.Labels) {
		t.Errorf("StatefulSet %s needs headless Service %s publishing not-ready pods (a node must find itself in remote_servers before it is ready)", ch.sts.Name, ch.sts.Spec.ServiceName)
	}
}

// runScript runs a ConfigMap's start.sh as the pod ordinal's container
// would, with env, and returns the environment it hands to the server.
func runScript(t *testing.T, script, hostname string, env map[string]string) (map[string]string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "start.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", path, "env")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOSTNAME=" + hostname}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	return got, nil
}

// start.sh gives each pod the shard remote_servers puts it in and a replica
// name unique in that shard, which the migrations' replication paths use.
func TestReplicaMacrosFollowThePodOrdinal(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	container := &ch.sts.Spec.Template.Spec.Containers[0]
	env := m.env(t, container)
	macros := parseXML(t, ch.config, "cluster.xml").one("macros")
	shardVar, replicaVar := macros.one("shard").attr("from_env"), macros.one("replica").attr("from_env")
	if shardVar == "" || replicaVar == "" {
		t.Fatal("cluster.xml macros must take shard and replica from_env (set by start.sh)")
	}
	if got := macros.one("cluster").text(); got != ch.clusterName {
		t.Errorf("macro cluster is %q, remote_servers defines %q", got, ch.clusterName)
	}
	server := parseXML(t, ch.config, "server.xml")
	interserverVar := server.one("interserver_http_host").attr("from_env")
	for shard, s := range ch.cluster.all("shard") {
		seen := map[string]bool{}
		for _, r := range s.all("replica") {
			host := r.one("host").text()
			pod, _, _ := strings.Cut(host, ".")
			got, err := runScript(t, ch.config.Data["start.sh"], pod, env)
			if err != nil {
				t.Fatalf("start.sh on %s: %v", pod, err)
			}
			if got[shardVar] != strconv.Itoa(shard+1) {
				t.Errorf("%s: start.sh says shard %q; remote_servers lists it in shard %d", pod, got[shardVar], shard+1)
			}
			if got[replicaVar] == "" || seen[got[replicaVar]] {
				t.Errorf("%s: replica name %q is empty or not unique in shard %d", pod, got[replicaVar], shard+1)
			}
			seen[got[replicaVar]] = true
			if got[interserverVar] != host {
				t.Errorf("%s: interserver host %q is not its name in remote_servers, %s", pod, got[interserverVar], host)
			}
		}
	}
	if _, err := runScript(t, ch.config.Data["start.sh"], "clickhouse", env); err == nil {
		t.Error("start.sh accepted a hostname without an ordinal")
	}
	schema, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schema), "'/clickhouse/tables/{shard}/{database}/") || !strings.Contains(string(schema), "'{replica}'") {
		t.Errorf("%s no longer uses the {shard} and {replica} macros defined here", schemaFile)
	}
}

// Three Keeper nodes, each with the Raft id its start.sh derives, and every
// ClickHouse node pointed at all three.
func TestClickHouseUsesTheThreeKeepers(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	keeperContainer := &ch.keeper.Spec.Template.Spec.Containers[0]
	if n := ptrValue(ch.keeper.Spec.Replicas, 1); n != 3 {
		t.Fatalf("Keeper runs %d nodes, want 3", n)
	}
	client, raftPort := portNumber(t, keeperContainer, "client"), portNumber(t, keeperContainer, "raft")
	var nodes []string
	for _, n := range parseXML(t, ch.config, "zookeeper.xml").one("zookeeper").all("node") {
		nodes = append(nodes, n.one("host").text()+":"+n.one("port").text())
	}
	keeper := parseXML(t, ch.keeperCfg, "keeper_config.xml").one("keeper_server")
	if keeper.one("tcp_port").text() != client {
		t.Errorf("keeper tcp_port %s is not the container's client port %s", keeper.one("tcp_port").text(), client)
	}
	idVar := keeper.one("server_id").attr("from_env")
	servers := keeper.one("raft_configuration").all("server")
	if len(servers) != 3 {
		t.Errorf("raft_configuration lists %d servers, want 3", len(servers))
	}
	for i := 0; i < 3; i++ {
		host := podHost(ch.keeper, i)
		if !slices.Contains(nodes, host+":"+client) {
			t.Errorf("zookeeper.xml does not list Keeper %s:%s (has %v)", host, client, nodes)
		}
		got, err := runScript(t, ch.keeperCfg.Data["start.sh"], strings.Split(host, ".")[0], m.env(t, keeperContainer))
		if err != nil {
			t.Fatalf("keeper start.sh: %v", err)
		}
		found := false
		for _, s := range servers {
			if s.one("hostname").text() == host {
				found = true
				if s.one("id").text() != got[idVar] || s.one("port").text() != raftPort {
					t.Errorf("%s: start.sh gives server_id %q; raft_configuration has id %s port %s (raft port %s)", host, got[idVar], s.one("id").text(), s.one("port").text(), raftPort)
				}
			}
		}
		if !found {
			t.Errorf("raft_configuration does not list %s", host)
		}
	}
	if len(nodes) != 3 {
		t.Errorf("zookeeper.xml lists %d Keeper nodes, want 3", len(nodes))
	}
	headless := m.service(ch.keeper.Spec.ServiceName)
	if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Keeper needs headless Service %s publishing not-ready pods: no node is ready before a quorum forms", ch.keeper.Spec.ServiceName)
	}
}

var exported = regexp.MustCompile(`(?m)^\s*export ([A-Z_]+)=`)

// Every from_env in the ClickHouse and Keeper configuration names a
// variable the container sets or its start.sh exports; ClickHouse would
// otherwise start with an empty password, macro or server id.
func TestEveryFromEnvIsSet(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	for _, c := range []struct {
		sts *appsv1.StatefulSet
		cm  *corev1.ConfigMap
	}{{ch.sts, ch.config}, {ch.keeper, ch.keeperCfg}} {
		set := m.env(t, &c.sts.Spec.Template.Spec.Containers[0])
		for _, e := range exported.FindAllStringSubmatch(c.cm.Data["start.sh"], -1) {
			set[e[1]] = "exported"
		}
		var used int
		for key := range c.cm.Data {
			if !strings.HasSuffix(key, ".xml") {
				continue
			}
			for _, v := range parseXML(t, c.cm, key).fromEnv() {
				used++
				if set[v] == "" {
					t.Errorf("ConfigMap %s %s reads from_env %s, which StatefulSet %s neither sets nor exports", c.cm.Name, key, v, c.sts.Name)
				}
			}
		}
		if used == 0 {
			t.Errorf("ConfigMap %s reads no variable; the test is not reading it", c.cm.Name)
		}
	}
}

// Every file of the ClickHouse ConfigMap reaches the server: the
// configuration under config.d, the users under users.d.
func TestClickHouseConfigFilesAreMounted(t *testing.T) {
	m := load(t)
	ch := m.clickHouse(t)
	mounted := map[string]string{}
	pod := &ch.sts.Spec.Template.Spec
	for _, vm := range pod.Containers[0].VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == ch.config.Name {
				for _, item := range v.ConfigMap.Items {
					mounted[item.Key] = filepath.Join(vm.MountPath, item.Path)
				}
			}
		}
	}
	for key := range ch.config.Data {
		want := "/etc/clickhouse-server/config.d/"
		switch {
		case key == "users.xml":
			want = "/etc/clickhouse-server/users.d/"
		case strings.HasSuffix(key, ".sh"):
			want = "/etc/clickhouse-server/scripts/"
		}
		if !strings.HasPrefix(mounted[key], want) {
			t.Errorf("ConfigMap %s key %s is mounted at %q, want under %s", ch.config.Name, key, mounted[key], want)
		}
	}
}
