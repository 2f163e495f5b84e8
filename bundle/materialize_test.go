package bundle

import (
	"bytes"
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

// blobs is an in-memory blob store for tests.
type blobs map[string][]byte

func (b blobs) add(content string) string {
	d := dagdeck.DigestOf([]byte(content))
	b[d] = []byte(content)
	return d
}

func (b blobs) open(digest string) (io.ReadCloser, error) {
	c, ok := b[digest]
	if !ok {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "no blob %s", digest)
	}
	return io.NopCloser(bytes.NewReader(c)), nil
}

// projectOpener opens blobs from a packed project.
func projectOpener(p *Project) func(string) (io.ReadCloser, error) {
	return func(d string) (io.ReadCloser, error) { return p.Open(d) }
}

// TestMaterialize: a tree from the pool packs back to the same files; reads
// go through its symlinks; folders are 0755.
func TestMaterialize(t *testing.T) {
	t.Parallel()
	p, err := Pack(context.Background(), newTestProject(t))
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	pool := NewPool(parent, filepath.Join(t.TempDir(), "pool.json"), -1)
	if _, err := pool.Materialize(context.Background(), "v1", projectOpener(p), p.Image(true), p.DAGs()); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(parent, "v1")
	again, err := pack(context.Background(), dest, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Files, p.Files) {
		t.Fatalf("materialized tree packs to\n%+v\nwant\n%+v", again.Files, p.Files)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "dags/include/latest.sh")); err != nil || string(b) != "echo report v1\n" {
		t.Errorf("read through symlinks: %q, %v", b, err)
	}
	for _, d := range []string{".", "dags", "plugins/sub"} {
		if fi, err := os.Stat(filepath.Join(dest, d)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("directory %s: %v, %v; want mode 0755", d, fi.Mode(), err)
		}
	}
	assertEntries(t, parent, "pool", "v1")
}

// assertEntries fails unless dir holds exactly the named entries.
func assertEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
}

func TestMaterialize_Hostile(t *testing.T) {
	t.Parallel()
	b := blobs{}
	good := b.add("good\n")
	evil := b.add("evil\n")
	reg := func(p, d string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: 0o644, Size: int64(len(b[d])), Digest: d}
	}
	link := func(p, target string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: fs.ModeSymlink | 0o777, Target: target}
	}
	img := func(files ...dagdeck.ManifestFile) *dagdeck.Manifest {
		return &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: files}
	}
	wrongSize := reg("big", good)
	wrongSize.Size = 2
	tests := []struct {
		name    string
		ms      []*dagdeck.Manifest
		wantMsg string
	}{
		{"DotDot", []*dagdeck.Manifest{img(reg("../outside/pwned", evil))}, `".." is not allowed`},
		{"DotDotInside", []*dagdeck.Manifest{img(reg("dags/../../outside/pwned", evil))}, `".." is not allowed`},
		{"Absolute", []*dagdeck.Manifest{img(reg("/tmp/pwned", evil))}, "absolute"},
		{"Backslash", []*dagdeck.Manifest{img(reg(`..\outside\pwned`, evil))}, "backslashes"},
		{"LinkOut", []*dagdeck.Manifest{img(link("out", "../outside"))}, "outside the project"},
		{"LinkAbsolute", []*dagdeck.Manifest{img(link("out", "/etc"))}, "outside the project"},
		{"LinkClimbsThroughLink", []*dagdeck.Manifest{img(link("b", "."), link("c", "."), link("a", "b/c/../.."))}, "not supported"},
		{"FileThroughLink", []*dagdeck.Manifest{img(link("l", "."), reg("l/pwned", evil))}, "not a directory"},
		{"FileUnderFile", []*dagdeck.Manifest{img(reg("f", good), reg("f/x", evil))}, "not a directory"},
		{"FIFO", []*dagdeck.Manifest{img(dagdeck.ManifestFile{Path: "fifo", Mode: fs.ModeNamedPipe | 0o644})}, "special file"},
		{"Device", []*dagdeck.Manifest{img(dagdeck.ManifestFile{Path: "dev", Mode: fs.ModeDevice | 0o644})}, "special file"},
		{"DAGOutsideDags", []*dagdeck.Manifest{{Kind: dagdeck.ManifestDAGs, Files: []dagdeck.ManifestFile{reg("include/x", evil)}}}, "not under dags/"},
		{"Conflict", []*dagdeck.Manifest{img(reg("dags/a", good)), {Kind: dagdeck.ManifestDAGs, Files: []dagdeck.ManifestFile{reg("dags/a", evil)}}}, "twice"},
		{"MissingBlob", []*dagdeck.Manifest{img(reg("a", good), dagdeck.ManifestFile{Path: "b", Mode: 0o644, Size: 5, Digest: dagdeck.DigestOf([]byte("other"))})}, "no blob"},
		{"BlobLongerThanSize", []*dagdeck.Manifest{img(wrongSize)}, "has 3 bytes, want 2"},
		{"OneContentTwoSizes", []*dagdeck.Manifest{img(reg("a", good), wrongSize)}, "same content"},
		{"NilManifest", []*dagdeck.Manifest{nil}, "missing manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			if err := os.Mkdir(filepath.Join(parent, "outside"), 0o755); err != nil {
				t.Fatal(err)
			}
			pool := NewPool(parent, filepath.Join(t.TempDir(), "pool.json"), -1)
			_, err := pool.Materialize(context.Background(), "v1", b.open, tt.ms...)
			if err == nil || !strings.Contains(dagdeck.ErrorMessage(err), tt.wantMsg) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantMsg)
			}
			if _, err := os.Lstat(filepath.Join(parent, "v1")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a tree was left: %v", err)
			}
			assertEntries(t, filepath.Join(parent, "outside"))
		})
	}
}

// TestCreateVerified_StaysInsideRoot bypasses the manifest checks to show
// the second line of defence: writes go through an os.Root.
func TestCreateVerified_StaysInsideRoot(t *testing.T) {
	t.Parallel()
	b := blobs{}
	d := b.add("evil\n")
	parent := t.TempDir()
	dir := filepath.Join(parent, "tree")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A link out of the root, then a file through it.
	if err := os.Symlink("..", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	f := dagdeck.ManifestFile{Path: "l/pwned", Mode: 0o644, Size: 5, Digest: d}
	if _, err := createVerified(root, f.Path, f, b.open, make([]byte, 512)); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("a write through a link out of its root: err = %v, want a path-escapes error", err)
	}
	if _, err := os.Lstat(filepath.Join(parent, "pwned")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file written outside the root: %v", err)
	}
}

func TestMaterialize_Canceled(t *testing.T) {
	t.Parallel()
	p, err := Pack(context.Background(), newTestProject(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	parent := t.TempDir()
	pool := NewPool(parent, filepath.Join(t.TempDir(), "pool.json"), -1)
	if _, err := pool.Materialize(ctx, "v1", projectOpener(p), p.Image(false)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertEntries(t, parent, "pool")
}
