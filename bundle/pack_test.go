package bundle

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// newTestProject writes a small project with ignored files, a .git folder,
// a server's .dagdeck data folder,
// an executable script and symlinks, and returns its directory.
func newTestProject(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":          "FROM quay.io/dagdeck/runtime:1.1.0\n",
		".dagdeckignore":      "*.pyc\ntmp/\n",
		"requirements.txt":    "# none\n",
		"dags/report.yaml":    "dag_id: report\n",
		"dags/copy.yaml":      "dag_id: report\n", // same content as report.yaml
		"dags/cache.pyc":      "junk",
		"include/report.sh":   "echo report v1\n",
		"tmp/scratch.txt":     "scratch",
		".git/HEAD":           "ref: refs/heads/main\n",
		".dagdeck/dagdeck.db": "a server started in the project", // never deployed
		"plugins/sub/.git":    "gitdir: ../x\n",
		"plugins/sub/util.py": "X = 1\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	if err := os.Chmod(filepath.Join(dir, "include/report.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "report.sh", filepath.Join(dir, "include/latest.sh"))
	mustSymlink(t, "../include", filepath.Join(dir, "dags/include"))
	mustSymlink(t, filepath.Join(dir, "requirements.txt"), filepath.Join(dir, "include/abs.txt"))
	return dir
}

func mustSymlink(t testing.TB, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func TestPack(t *testing.T) {
	t.Parallel()
	dir := newTestProject(t)
	p, err := Pack(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	file := func(path, content string, mode fs.FileMode) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: path, Mode: mode, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))}
	}
	link := func(path, target string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: path, Mode: fs.ModeSymlink | 0o777, Target: target}
	}
	want := []dagdeck.ManifestFile{
		file(".dagdeckignore", "*.pyc\ntmp/\n", 0o644),
		file("Dockerfile", "FROM quay.io/dagdeck/runtime:1.1.0\n", 0o644),
		file("dags/copy.yaml", "dag_id: report\n", 0o644),
		link("dags/include", "../include"),
		file("dags/report.yaml", "dag_id: report\n", 0o644),
		link("include/abs.txt", "../requirements.txt"),
		link("include/latest.sh", "report.sh"),
		file("include/report.sh", "echo report v1\n", 0o755),
		file("plugins/sub/util.py", "X = 1\n", 0o644),
		file("requirements.txt", "# none\n", 0o644),
	}
	if !reflect.DeepEqual(p.Files, want) {
		t.Fatalf("Files:\n got %+v\nwant %+v", p.Files, want)
	}
	if p.RuntimeVersion != "1.1.0" || p.Dir != dir {
		t.Errorf("RuntimeVersion, Dir = %q, %q", p.RuntimeVersion, p.Dir)
	}

	t.Run("Manifests", func(t *testing.T) {
		tests := []struct {
			m     *dagdeck.Manifest
			kind  string
			paths []string
		}{
			{p.Image(true), dagdeck.ManifestImage, []string{".dagdeckignore", "Dockerfile", "include/abs.txt", "include/latest.sh", "include/report.sh", "plugins/sub/util.py", "requirements.txt"}},
			{p.Image(false), dagdeck.ManifestImage, pathsOf(want)},
			{p.DAGs(), dagdeck.ManifestDAGs, []string{"dags/copy.yaml", "dags/include", "dags/report.yaml"}},
		}
		for _, tt := range tests {
			if err := tt.m.Validate(); err != nil {
				t.Errorf("%s manifest: Validate: %v", tt.kind, err)
			}
			if tt.m.Kind != tt.kind || !reflect.DeepEqual(pathsOf(tt.m.Files), tt.paths) {
				t.Errorf("manifest %s %v, want %s %v", tt.m.Kind, pathsOf(tt.m.Files), tt.kind, tt.paths)
			}
		}
	})

	t.Run("OpenAndSize", func(t *testing.T) {
		d := dagdeck.DigestOf([]byte("echo report v1\n"))
		f, err := p.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if b, _ := io.ReadAll(f); string(b) != "echo report v1\n" {
			t.Errorf("Open(%s) read %q", d, b)
		}
		if _, err := p.Open(dagdeck.DigestOf([]byte("nope"))); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Errorf("Open(unknown) err = %v, want ENOTFOUND", err)
		}
		if got := p.Size(p.DAGs().Digests()); got != int64(len("dag_id: report\n")) {
			t.Errorf("Size(DAG digests) = %d, want one copy of the shared content", got)
		}
	})
}

func pathsOf(files []dagdeck.ManifestFile) []string {
	out := []string{}
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestPack_SymlinkedProjectDir(t *testing.T) {
	t.Parallel()
	real := newTestProject(t)
	dir := filepath.Join(t.TempDir(), "proj")
	mustSymlink(t, real, dir)
	p, err := Pack(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 10 || p.Dir != dir {
		t.Fatalf("packed %d files in %s, want 10 in %s", len(p.Files), p.Dir, dir)
	}
}

func TestPack_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantMsg string
	}{
		{"NoDockerfile", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "Dockerfile"))
		}, "no Dockerfile in "},
		{"DockerfileIsDir", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "Dockerfile"))
			os.Mkdir(filepath.Join(dir, "Dockerfile"), 0o755)
		}, "is a directory"},
		{"NoVersionTag", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM quay.io/dagdeck/runtime\n")
		}, "needs a version tag"},
		{"LinkOutRelative", func(t *testing.T, dir string) {
			mustSymlink(t, "../../etc/passwd", filepath.Join(dir, "include/passwd"))
		}, `symlink "include/passwd" points to "../../etc/passwd", outside the project`},
		{"LinkOutAbsolute", func(t *testing.T, dir string) {
			mustSymlink(t, "/etc/passwd", filepath.Join(dir, "dags/passwd"))
		}, `symlink "dags/passwd" points to "/etc/passwd", outside the project`},
		{"LinkThroughDirectory", func(t *testing.T, dir string) {
			mustSymlink(t, "x/../report.yaml", filepath.Join(dir, "dags/odd"))
		}, `".." after a directory name is not supported`},
		{"Backslash", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, `dags/a\b.yaml`), "x")
		}, "backslashes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := newTestProject(t)
			tt.setup(t, dir)
			_, err := Pack(context.Background(), dir)
			if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), tt.wantMsg) {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestPack_MissingDir(t *testing.T) {
	t.Parallel()
	_, err := Pack(context.Background(), filepath.Join(t.TempDir(), "nope"))
	if dagdeck.ErrorCode(err) != dagdeck.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
}

func TestPack_Canceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pack(ctx, newTestProject(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestPack_Example keeps examples/hello, which the README walks through, packable.
func TestPack_Example(t *testing.T) {
	t.Parallel()
	p, err := Pack(context.Background(), filepath.Join("..", "examples", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if p.RuntimeVersion != "1.1.0" {
		t.Errorf("RuntimeVersion = %q, want 1.1.0", p.RuntimeVersion)
	}
	dags, image := p.DAGs(), p.Image(true)
	for _, m := range []*dagdeck.Manifest{dags, image} {
		if err := m.Validate(); err != nil {
			t.Errorf("%s manifest: %v", m.Kind, err)
		}
	}
	if got := pathsOf(dags.Files); !reflect.DeepEqual(got, []string{"dags/hello.yaml", "dags/nightly_cleanup.yaml"}) {
		t.Errorf("DAG bundle %v", got)
	}
	for _, f := range image.Files {
		if strings.HasPrefix(f.Path, "include/") && f.Mode != 0o755 {
			t.Errorf("%s has mode %v, want an executable script", f.Path, f.Mode)
		}
	}
}

// TestPack_IgnoreFileKept: .dagdeckignore ships even when it matches itself.
func TestPack_IgnoreFileKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM quay.io/dagdeck/runtime:1.0.0\n")
	writeFile(t, filepath.Join(dir, ".dagdeckignore"), ".*\n!.keep\n")
	writeFile(t, filepath.Join(dir, ".env"), "SECRET=1\n")
	writeFile(t, filepath.Join(dir, ".keep"), "")
	writeFile(t, filepath.Join(dir, "dags/.cache/x"), "x")
	p, err := Pack(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pathsOf(p.Files), []string{".dagdeckignore", ".keep", "Dockerfile"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("packed %v, want %v", got, want)
	}
}
