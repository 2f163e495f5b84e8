package localruntime

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// blobBackend serves blobs from memory; versionSet needs nothing else.
type blobBackend struct {
	dagdeck.RuntimeBackend
	blobs map[string][]byte
}

func (b blobBackend) OpenBlob(_ context.Context, digest string) (io.ReadCloser, error) {
	if c, ok := b.blobs[digest]; ok {
		return io.NopCloser(bytes.NewReader(c)), nil
	}
	return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "no blob %s", digest)
}

// TestVersionSet_BuildParsesAheadAndStampsLater: building a version
// directory parses its Dag files as the pool copies them in (loading it
// then parses nothing), and records its stamp only once its pool files are
// durable, in the background; until then its stamp is checked from memory.
func TestVersionSet_BuildParsesAheadAndStampsLater(t *testing.T) {
	b := blobBackend{blobs: map[string][]byte{}}
	add := func(content []byte) string {
		d := dagdeck.DigestOf(content)
		b.blobs[d] = content
		return d
	}
	dagYAML := []byte("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: pipe\nschedule: null\ntasks:\n  - id: t\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo hi'}\n")
	script := []byte("echo hi\n")
	manifest := func(kind string, files ...dagdeck.ManifestFile) string {
		raw, _, err := (&dagdeck.Manifest{Kind: kind, Files: files}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		return add(raw)
	}
	d := &dagdeck.Deploy{ID: dagdeck.NewID(), RuntimeVersion: "1.1.0",
		ImageDigest:     manifest(dagdeck.ManifestImage, dagdeck.ManifestFile{Path: "include/x.sh", Mode: 0o644, Size: int64(len(script)), Digest: add(script)}),
		DagBundleDigest: manifest(dagdeck.ManifestDAGs, dagdeck.ManifestFile{Path: "dags/pipe.yaml", Mode: 0o644, Size: int64(len(dagYAML)), Digest: add(dagYAML)}),
	}
	vs := newVersionSet(filepath.Join(t.TempDir(), "code"), filepath.Join(t.TempDir(), "state"), b, 2)
	var held []func()
	vs.background = func(f func()) { held = append(held, f) }

	if err := vs.prepareAhead(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if vs.parsed.Hits() != 1 {
		t.Errorf("loading the new directory parsed its Dag file again (cache hits %d, want 1)", vs.parsed.Hits())
	}
	key := versionKey(d)
	if _, err := os.Stat(vs.stampPath(key)); !os.IsNotExist(err) {
		t.Fatalf("the stamp is recorded before the pool files are durable: %v", err)
	}
	if !vs.unchanged(key, vs.pendingStamps[key]) {
		t.Fatal("a directory just built does not match its pending stamp")
	}
	if len(held) != 1 {
		t.Fatalf("%d pieces of background work, want 1", len(held))
	}
	held[0]()
	if _, err := os.Stat(vs.stampPath(key)); err != nil {
		t.Fatalf("no stamp once the pool files are durable: %v", err)
	}
	if !vs.unchanged(key, "") {
		t.Fatal("the recorded stamp does not match the directory")
	}
	if err := os.Chmod(filepath.Join(vs.dir(key), "include", "x.sh"), 0o600); err != nil {
		t.Fatal(err)
	}
	if vs.unchanged(key, "") {
		t.Fatal("a changed directory matches its stamp")
	}
}

// TestBuiltDir_IsFor: the activation that may skip the stamp check of a
// directory prepareAhead just built is that deploy's, or a rollback's to
// it, and only moments after the build.
func TestBuiltDir_IsFor(t *testing.T) {
	now := time.Now()
	b := builtDir{deployID: "d1", key: "k1", at: now}
	for _, tc := range []struct {
		name string
		b    builtDir
		d    *dagdeck.Deploy
		key  string
		want bool
	}{
		{"the deploy it was built for", b, &dagdeck.Deploy{ID: "d1"}, "k1", true},
		{"a rollback to it", b, &dagdeck.Deploy{ID: "r1", RollbackFromID: "d1"}, "k1", true},
		{"another deploy of the same code", b, &dagdeck.Deploy{ID: "d2"}, "k1", false},
		{"another directory", b, &dagdeck.Deploy{ID: "d1"}, "k2", false},
		{"long after the build", builtDir{deployID: "d1", key: "k1", at: now.Add(-builtFresh)}, &dagdeck.Deploy{ID: "d1"}, "k1", false},
		{"nothing built", builtDir{}, &dagdeck.Deploy{ID: ""}, "", false},
	} {
		if got := tc.b.isFor(tc.d, tc.key, now); got != tc.want {
			t.Errorf("%s: isFor = %v, want %v", tc.name, got, tc.want)
		}
	}
}
