// Command generate writes the dashboards' JSON files. Run it from the
// repository root or through `go generate ./dashboards` (make dashboards).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/deploylens/deploylens/dashboards"
)

func main() {
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	for _, d := range dashboards.All() {
		b, err := d.JSON()
		if err != nil {
			fail(err)
		}
		for _, dir := range dashboards.Dirs {
			path := filepath.Join(root, dir, d.File)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				fail(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				fail(err)
			}
			fmt.Println("wrote", filepath.Join(dir, d.File))
		}
	}
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = parent
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "generate dashboards:", err)
	os.Exit(1)
}
