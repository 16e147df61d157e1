// Package archive packs the built plugin (plugin/dist) into the zip Grafana
// installs — one top-level folder named for the plugin id, holding
// plugin.json, module.js, the backend executables and the bundled files —
// and checks an archive has that layout.
package archive

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Build zips distDir into out under a folder named for the plugin id read
// from distDir/plugin.json, keeping executables executable.
func Build(distDir, out string) error {
	meta, err := readMeta(os.DirFS(distDir))
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(distDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(distDir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = meta.ID + "/" + filepath.ToSlash(rel)
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("zip %s: %w", distDir, err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// Meta is what the layout check reads from plugin.json.
type Meta struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Backend    bool   `json:"backend"`
	Executable string `json:"executable"`
	Info       struct {
		Version string `json:"version"`
		Logos   struct {
			Small string `json:"small"`
			Large string `json:"large"`
		} `json:"logos"`
	} `json:"info"`
	Includes []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"includes"`
}

func readMeta(fsys fs.FS) (Meta, error) {
	var m Meta
	b, err := fs.ReadFile(fsys, "plugin.json")
	if err != nil {
		return m, fmt.Errorf("plugin.json: %w (build the plugin first: make plugin)", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("plugin.json: %w", err)
	}
	if m.ID == "" {
		return m, errors.New("plugin.json has no id")
	}
	return m, nil
}

// RequiredPlatforms are the backend builds an archive must carry.
var RequiredPlatforms = []string{"linux_amd64", "linux_arm64"}

// Check reports every way the archive differs from what Grafana loads:
// one folder named for the plugin id; plugin.json with its placeholders
// replaced; module.js; the logos and included dashboards plugin.json names;
// and an executable <executable>_<os>_<arch> for each required platform.
func Check(zipPath string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	var problems []string
	files := map[string]*zip.File{}
	var top string
	for _, f := range zr.File {
		dir, _, _ := strings.Cut(f.Name, "/")
		if top == "" {
			top = dir
		}
		if dir != top || !strings.Contains(f.Name, "/") {
			problems = append(problems, fmt.Sprintf("%s is outside the plugin's folder %s/", f.Name, top))
		}
		files[strings.TrimPrefix(f.Name, top+"/")] = f
	}
	sub, err := fs.Sub(zr, top)
	if err != nil {
		return err
	}
	meta, err := readMeta(sub)
	if err != nil {
		return err
	}
	if meta.ID != top {
		problems = append(problems, fmt.Sprintf("the folder is %s/ but plugin.json's id is %s", top, meta.ID))
	}
	if strings.Contains(meta.Info.Version, "%") {
		problems = append(problems, "plugin.json still holds the %VERSION% placeholder: the frontend build did not run")
	}
	need := []string{"module.js", meta.Info.Logos.Small, meta.Info.Logos.Large}
	for _, inc := range meta.Includes {
		if inc.Type == "dashboard" {
			need = append(need, inc.Path)
		}
	}
	for _, n := range need {
		if _, ok := files[path.Clean(n)]; !ok {
			problems = append(problems, "missing "+n)
		}
	}
	if meta.Backend {
		for _, p := range RequiredPlatforms {
			name := meta.Executable + "_" + p
			f, ok := files[name]
			switch {
			case !ok:
				problems = append(problems, "missing the backend executable "+name)
			case f.Mode()&0o111 == 0:
				problems = append(problems, name+" is not executable")
			}
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "node_modules/") || strings.HasPrefix(name, "src/") {
			problems = append(problems, name+" does not belong in the archive")
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s: %s", zipPath, strings.Join(problems, "; "))
	}
	return nil
}
