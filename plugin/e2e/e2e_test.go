// Package e2e holds the plugin's end-to-end suite: Grafana with the plugin
// loaded, deploylens and ClickHouse in Docker (deploy/grafana/docker-compose.yml), driven
// by Playwright with @grafana/plugin-e2e (*.spec.ts). See README.md.
package e2e

import (
	"os"
	"os/exec"
	"testing"

	"github.com/deploylens/deploylens/store/storetest"
)

// TestGrafanaEndToEnd runs `make plugin-e2e` on a machine with a Docker
// engine when asked to (DEPLOYLENS_E2E=1), and otherwise says why not.
func TestGrafanaEndToEnd(t *testing.T) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("no Docker engine on this machine (docker info: %v): the Grafana end-to-end suite needs one", err)
	}
	if os.Getenv("DEPLOYLENS_E2E") != "1" {
		t.Skip("the Grafana end-to-end suite runs only when asked, with DEPLOYLENS_E2E=1 (it starts Grafana, ClickHouse and deploylens in Docker and a browser): DEPLOYLENS_E2E=1 go test ./plugin/e2e, or make plugin-e2e")
	}
	root, err := storetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "plugin-e2e")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("make plugin-e2e: %v", err)
	}
}
