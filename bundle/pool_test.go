//go:build linux

package bundle

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// countingOpener opens blobs and counts the opens per digest.
type countingOpener struct {
	open  func(string) (io.ReadCloser, error)
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingOpener) Open(digest string) (io.ReadCloser, error) {
	c.mu.Lock()
	c.opens[digest]++
	c.mu.Unlock()
	return c.open(digest)
}

// take returns the opens counted so far and starts again.
func (c *countingOpener) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.opens
	c.opens = map[string]int{}
	return o
}

func newPool(t *testing.T) (*Pool, string) {
	t.Helper()
	base := t.TempDir()
	return NewPool(base, filepath.Join(t.TempDir(), "pool.json"), -1), base
}

// oneFile is a manifest of one file of b.
func oneFile(b blobs, path, digest string) *dagdeck.Manifest {
	kind := dagdeck.ManifestImage
	if strings.HasPrefix(path, "dags/") {
		kind = dagdeck.ManifestDAGs
	}
	return &dagdeck.Manifest{Kind: kind, Files: []dagdeck.ManifestFile{{Path: path, Mode: 0o644, Size: int64(len(b[digest])), Digest: digest}}}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestPool_Materialize builds a tree from the pool: the same files as the
// copying Materialize, read-only, each blob copied once; a second tree
// that shares files links them and copies only what it adds.
func TestPool_Materialize(t *testing.T) {
	t.Parallel()
	p, err := Pack(context.Background(), newTestProject(t))
	if err != nil {
		t.Fatal(err)
	}
	pool, base := newPool(t)
	opener := &countingOpener{open: projectOpener(p), opens: map[string]int{}}
	if _, err := pool.Materialize(context.Background(), "versions/v1", opener.Open, p.Image(true), p.DAGs()); err != nil {
		t.Fatal(err)
	}
	v1 := filepath.Join(base, "versions/v1")
	again, err := pack(context.Background(), v1, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Files, p.Files) {
		t.Fatalf("materialized tree packs to\n%+v\nwant\n%+v", again.Files, p.Files)
	}
	for name, want := range map[string]os.FileMode{"dags/report.yaml": 0o444, "include/report.sh": 0o555} {
		if fi, err := os.Lstat(filepath.Join(v1, name)); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v; want %v", name, fi.Mode(), err, want)
		}
	}
	// report.yaml and copy.yaml have the same content: one pool file, one
	// open.
	if inode(t, filepath.Join(v1, "dags/report.yaml")) != inode(t, filepath.Join(v1, "dags/copy.yaml")) {
		t.Error("files with the same content are not one pool file")
	}
	for d, n := range opener.take() {
		if n != 1 {
			t.Errorf("blob %s opened %d times, want once", d, n)
		}
	}

	// v2 changes one file: only that blob is copied; the rest are links to
	// the same pool files.
	b := blobs{}
	changed := b.add("echo report v2\n")
	opener.open = func(d string) (io.ReadCloser, error) {
		if d == changed {
			return b.open(d)
		}
		return p.Open(d)
	}
	img := p.Image(true)
	for i, f := range img.Files {
		if f.Path == "include/report.sh" {
			img.Files[i].Digest, img.Files[i].Size = changed, int64(len(b[changed]))
		}
	}
	if _, err := pool.Materialize(context.Background(), "versions/v2", opener.Open, img, p.DAGs()); err != nil {
		t.Fatal(err)
	}
	if got := opener.take(); !reflect.DeepEqual(got, map[string]int{changed: 1}) {
		t.Errorf("v2 opened %v, want only the changed blob", got)
	}
	v2 := filepath.Join(base, "versions/v2")
	if inode(t, filepath.Join(v1, "plugins/sub/util.py")) != inode(t, filepath.Join(v2, "plugins/sub/util.py")) {
		t.Error("an unchanged file is not shared by v1 and v2")
	}
	if s, err := os.ReadFile(filepath.Join(v2, "include/latest.sh")); err != nil || string(s) != "echo report v2\n" {
		t.Errorf("v2 include/latest.sh = %q, %v", s, err)
	}
	if s, err := os.ReadFile(filepath.Join(v1, "include/latest.sh")); err != nil || string(s) != "echo report v1\n" {
		t.Errorf("v1 include/latest.sh = %q, %v", s, err)
	}

	t.Run("DestExists", func(t *testing.T) {
		_, err := pool.Materialize(context.Background(), "versions/v1", opener.Open, p.DAGs())
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
	})
	t.Run("NotATree", func(t *testing.T) {
		for _, dest := range []string{"pool/x", "../x", "/abs"} {
			if _, err := pool.Materialize(context.Background(), dest, opener.Open, p.DAGs()); err == nil {
				t.Errorf("Materialize(%q) succeeded", dest)
			}
		}
	})
}

// TestPool_ChangedFileIsCopiedAgain changes a pool file through a tree's
// link (as a task running as the runtime's user could): the next tree gets
// a fresh, verified copy, and the old tree keeps the changed inode for its
// own stamp to catch.
func TestPool_ChangedFileIsCopiedAgain(t *testing.T) {
	t.Parallel()
	b := blobs{}
	d := b.add("echo v1\n")
	m := oneFile(b, "run.sh", d)
	pool, base := newPool(t)
	opener := &countingOpener{open: b.open, opens: map[string]int{}}
	if _, err := pool.Materialize(context.Background(), "v1", opener.Open, m); err != nil {
		t.Fatal(err)
	}
	opener.take()
	tampered := filepath.Join(base, "v1/run.sh")
	if err := os.Chmod(tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	// Other content of another size: the check never depends on the clock
	// having ticked since the copy.
	if err := os.WriteFile(tampered, []byte("rm -rf /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tampered, 0o444); err != nil { // the mode as it was
		t.Fatal(err)
	}
	if _, err := pool.Materialize(context.Background(), "v2", opener.Open, m); err != nil {
		t.Fatal(err)
	}
	if got := opener.take(); got[d] != 1 {
		t.Errorf("the changed file was not copied again: opens %v", got)
	}
	if s, err := os.ReadFile(filepath.Join(base, "v2/run.sh")); err != nil || string(s) != "echo v1\n" {
		t.Errorf("v2 run.sh = %q, %v; want the archived content", s, err)
	}
	if inode(t, tampered) == inode(t, filepath.Join(base, "v2/run.sh")) {
		t.Error("v2 links the changed inode")
	}
}

// TestPool_UnrecordedFileIsNotTrusted puts a file into the pool under the
// right name but without the index knowing it (a copy a crash cut short, or
// a file planted by hand): it is replaced, not linked.
func TestPool_UnrecordedFileIsNotTrusted(t *testing.T) {
	t.Parallel()
	b := blobs{}
	d := b.add("good\n")
	m := oneFile(b, "dags/a.yaml", d)
	pool, base := newPool(t)
	if err := os.MkdirAll(filepath.Join(base, "pool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "pool", strings.TrimPrefix(d, "sha256:")), []byte("evil\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Materialize(context.Background(), "v1", b.open, m); err != nil {
		t.Fatal(err)
	}
	if s, err := os.ReadFile(filepath.Join(base, "v1/dags/a.yaml")); err != nil || string(s) != "good\n" {
		t.Errorf("v1 dags/a.yaml = %q, %v; want the archived content", s, err)
	}

	// A new Pool (a restarted runtime) trusts what the index recorded: a
	// file only once SyncNew made it durable.
	opener := &countingOpener{open: b.open, opens: map[string]int{}}
	early := NewPool(base, pool.index, -1)
	if _, err := early.Materialize(context.Background(), "v1b", opener.Open, m); err != nil {
		t.Fatal(err)
	}
	if got := opener.take(); got[d] != 1 {
		t.Errorf("a pool restarted before SyncNew copied %v; want the file not yet durable copied again", got)
	}
	if err := early.SyncNew(); err != nil {
		t.Fatal(err)
	}
	again := NewPool(base, pool.index, -1)
	if _, err := again.Materialize(context.Background(), "v2", opener.Open, m); err != nil {
		t.Fatal(err)
	}
	if got := opener.take(); len(got) != 0 {
		t.Errorf("a pool restarted after SyncNew copied %v again", got)
	}
}

// TestPool_FailureLeavesNoTree: a blob that does not match its digest, or a
// missing one, fails the build; no tree and no temp file is left, and the
// pool records nothing it did not verify.
func TestPool_FailureLeavesNoTree(t *testing.T) {
	t.Parallel()
	b := blobs{}
	good := b.add("good\n")
	bad := b.add("fine\n")
	b[bad] = []byte("evil\n") // same size, other content
	file := func(p, d string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: 0o644, Size: 5, Digest: d}
	}
	for name, m := range map[string]*dagdeck.Manifest{
		"BadBlob":     {Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("a", good), file("b", bad)}},
		"MissingBlob": {Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("a", good), file("c", dagdeck.DigestOf([]byte("other")))}},
		"Invalid":     {Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("../a", good)}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pool, base := newPool(t)
			if _, err := pool.Materialize(context.Background(), "v1", b.open, m); err == nil {
				t.Fatal("Materialize succeeded")
			}
			if _, err := os.Stat(filepath.Join(base, "v1")); err == nil {
				t.Error("a tree was left")
			}
			entries, _ := os.ReadDir(filepath.Join(base, "pool"))
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Errorf("temp file %s left in the pool", e.Name())
				}
			}
			if _, err := os.Stat(pool.index); err == nil {
				t.Error("the index records files of a failed build")
			}
		})
	}
}

// TestPool_Prune removes the pool files no tree links any more, and keeps
// the others.
func TestPool_Prune(t *testing.T) {
	t.Parallel()
	b := blobs{}
	shared, only1 := b.add("shared\n"), b.add("only in v1\n")
	file := func(p, d string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: 0o644, Size: int64(len(b[d])), Digest: d}
	}
	pool, base := newPool(t)
	v1 := &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("a", shared), file("b", only1)}}
	v2 := &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("a", shared)}}
	for dest, m := range map[string]*dagdeck.Manifest{"v1": v1, "v2": v2} {
		if _, err := pool.Materialize(context.Background(), dest, b.open, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "pool", ".tmp-leftover"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(base, "v1")); err != nil {
		t.Fatal(err)
	}
	if err := pool.Prune(); err != nil {
		t.Fatal(err)
	}
	assertEntries(t, filepath.Join(base, "pool"), strings.TrimPrefix(shared, "sha256:"))
	opener := &countingOpener{open: b.open, opens: map[string]int{}}
	if _, err := pool.Materialize(context.Background(), "v3", opener.Open, v1); err != nil {
		t.Fatal(err)
	}
	if got := opener.take(); !reflect.DeepEqual(got, map[string]int{only1: 1}) {
		t.Errorf("after Prune v1's files were opened %v, want only the pruned one", got)
	}
}

// TestPool_Group: with a group, a tree and its pool files belong to this
// process's user and that group, readable by the group only: files 0440
// (0550 when executable), folders 0750, symlinks the group's too.
func TestPool_Group(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving files to another group needs root")
	}
	t.Parallel()
	p, err := Pack(context.Background(), newTestProject(t))
	if err != nil {
		t.Fatal(err)
	}
	const gid = 1234567
	base := t.TempDir()
	pool := NewPool(base, filepath.Join(t.TempDir(), "pool.json"), gid)
	if _, err := pool.Materialize(context.Background(), "v1", projectOpener(p), p.Image(true), p.DAGs()); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		".": os.ModeDir | 0o750, "plugins/sub": os.ModeDir | 0o750,
		"dags/report.yaml": 0o440, "include/report.sh": 0o550, "include/latest.sh": os.ModeSymlink,
	}
	for name, mode := range want {
		fi, err := os.Lstat(filepath.Join(base, "v1", name))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 0 || st.Gid != gid {
			t.Errorf("%s: owner %d:%d, want 0:%d", name, st.Uid, st.Gid, gid)
		}
		if mode != os.ModeSymlink && fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
	}
}

// TestPool_SizeMustMatch: a pool file is linked only for a manifest that
// gives its true size; one that says another size is refused.
func TestPool_SizeMustMatch(t *testing.T) {
	t.Parallel()
	b := blobs{}
	d := b.add("good\n")
	pool, base := newPool(t)
	if _, err := pool.Materialize(context.Background(), "v1", b.open, oneFile(b, "a", d)); err != nil {
		t.Fatal(err)
	}
	lying := oneFile(b, "a", d)
	lying.Files[0].Size = 2
	_, err := pool.Materialize(context.Background(), "v2", b.open, lying)
	if dagdeck.ErrorCode(err) != dagdeck.EINVALID {
		t.Fatalf("a manifest with a wrong size: %v, want EINVALID", err)
	}
	if _, err := os.Stat(filepath.Join(base, "v2")); err == nil {
		t.Error("a tree was built for it")
	}
}
