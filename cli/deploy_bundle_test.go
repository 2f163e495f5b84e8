package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeploy_PackedProject deploys a real project folder through bundle.Pack.
// It sets XDG_CACHE_HOME (for the hash cache), so it does not run in parallel.
func TestDeploy_PackedProject(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	for path, content := range map[string]string{
		"Dockerfile":          "FROM quay.io/dagdeck/runtime:1.1.0\n",
		"dags/weather.yaml":   "weather:\n  schedule: '@daily'\n",
		"include/query.sql":   "select 1;\n",
		"requirements.txt":    "",
		"plugins/same.txt":    "select 1;\n", // same content as query.sql: uploaded once
		".dagdeckignore":      "*.tmp\n",
		"include/scratch.tmp": "ignored\n",
	} {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	api := newFakeAPI(t)
	tio := newTestFactory(t, api.start(), "")
	tio.f.pack = packProject
	if code := tio.run("deploy", dir, "-d", "etl", "--description", "real"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	req := api.createdReqs()[0]
	if req.RuntimeVersion != "1.1.0" || manifestPaths(req.DagManifest) != "dags/weather.yaml" {
		t.Fatalf("runtime %q, DAGs %s", req.RuntimeVersion, manifestPaths(req.DagManifest))
	}
	if img := manifestPaths(req.ImageManifest); strings.Contains(img, "dags/") || strings.Contains(img, "scratch.tmp") || !strings.Contains(img, "plugins/same.txt") {
		t.Fatalf("image manifest: %s", img)
	}
	if n := len(api.uploads()); n != len(totalDigests(req)) {
		t.Fatalf("uploaded %d files, want %d distinct", n, len(totalDigests(req)))
	}
}
