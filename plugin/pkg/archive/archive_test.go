package archive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploylens/deploylens/plugin/pkg/archive"
	"github.com/deploylens/deploylens/store/storetest"
)

// dist lays out a built plugin as webpack and the backend build leave it,
// from the plugin's real sources; the bundle and the executables are
// stand-ins (only their names and modes matter here).
func dist(t *testing.T, platforms ...string) string {
	t.Helper()
	root, err := storetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "plugin", "src")
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
	}
	pj, err := os.ReadFile(filepath.Join(src, "plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	write("plugin.json", []byte(strings.NewReplacer("%VERSION%", "1.0.0", "%TODAY%", "2026-01-01").Replace(string(pj))), 0o644)
	write("module.js", []byte("define([],function(){})"), 0o644)
	logo, _ := os.ReadFile(filepath.Join(src, "img", "logo.svg"))
	write("img/logo.svg", logo, 0o644)
	dashboards, _ := filepath.Glob(filepath.Join(src, "dashboards", "*.json"))
	for _, d := range dashboards {
		b, _ := os.ReadFile(d)
		write("dashboards/"+filepath.Base(d), b, 0o644)
	}
	for _, p := range platforms {
		write("gpx_deploylens_"+p, []byte("#!/bin/sh\n"), 0o755)
	}
	return dir
}

func TestArchiveHasTheLayoutGrafanaLoads(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plugin.zip")
	if err := archive.Build(dist(t, "linux_amd64", "linux_arm64", "darwin_arm64"), out); err != nil {
		t.Fatal(err)
	}
	if err := archive.Check(out); err != nil {
		t.Fatal(err)
	}
}

func TestArchiveCheckNamesWhatIsMissing(t *testing.T) {
	d := dist(t, "linux_amd64")
	if err := os.Remove(filepath.Join(d, "dashboards", "where-we-wait.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(d, "gpx_deploylens_linux_amd64"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "plugin.zip")
	if err := archive.Build(d, out); err != nil {
		t.Fatal(err)
	}
	err := archive.Check(out)
	for _, want := range []string{
		"missing dashboards/where-we-wait.json",
		"gpx_deploylens_linux_amd64 is not executable",
		"missing the backend executable gpx_deploylens_linux_arm64",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check: %v; want it to say %q", err, want)
		}
	}
}
