package localruntime

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// oneDagDeploy returns a deploy of a Dag file and a script, its blobs in b.
func oneDagDeploy(t *testing.T, b blobBackend) *dagdeck.Deploy {
	t.Helper()
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
	return &dagdeck.Deploy{ID: dagdeck.NewID(), RuntimeVersion: "1.1.0",
		ImageDigest:     manifest(dagdeck.ManifestImage, dagdeck.ManifestFile{Path: "include/x.sh", Mode: 0o644, Size: int64(len(script)), Digest: add(script)}),
		DagBundleDigest: manifest(dagdeck.ManifestDAGs, dagdeck.ManifestFile{Path: "dags/pipe.yaml", Mode: 0o644, Size: int64(len(dagYAML)), Digest: add(dagYAML)}),
	}
}

// TestVersionSet_BuildParsesAheadAndStampsLater: building a version
// directory parses its Dag files as the pool copies them in (loading it
// then parses nothing), and records its stamp only once its pool files are
// durable, in the background; until then its stamp is checked from memory.
func TestVersionSet_BuildParsesAheadAndStampsLater(t *testing.T) {
	b := blobBackend{blobs: map[string][]byte{}}
	d := oneDagDeploy(t, b)
	vs := newVersionSet(filepath.Join(t.TempDir(), "code"), filepath.Join(t.TempDir(), "state"), b, 2)
	var held []func()
	vs.background = func(f func()) { held = append(held, f) }

	building, err := vs.prepareAhead(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	<-building.done
	vs.reap()
	if l := vs.loaded[loadKey{versionKey(d), d.RuntimeVersion}]; len(l.dags) != 1 {
		t.Fatalf("a built folder's DAGs are not known once its build is taken in: %+v", l)
	}
	if _, err := vs.prepare(context.Background(), d, nil); err != nil {
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
// directory just built is that deploy's, or a rollback's to it, and only
// moments after the build.
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

// TestVersionSet_FailedBuildIsWaitedFor: a version whose Dag files are
// parsed already is used while its directory is built; once a build of it
// failed, the next use waits for the build and reports its error, until a
// build succeeds.
func TestVersionSet_FailedBuildIsWaitedFor(t *testing.T) {
	b := blobBackend{blobs: map[string][]byte{}}
	d := oneDagDeploy(t, b)
	vs := newVersionSet(filepath.Join(t.TempDir(), "code"), filepath.Join(t.TempDir(), "state"), b, 2)
	ctx := context.Background()
	if _, err := vs.prepare(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	key := versionKey(d)
	removeTree(vs.dir(key)) // as collect removes it, with its pool files
	vs.forget(key)
	if err := vs.pool.Prune(); err != nil {
		t.Fatal(err)
	}
	script := dagdeck.DigestOf([]byte("echo hi\n"))
	content := b.blobs[script]
	delete(b.blobs, script)
	defer func() { b.blobs[script] = content }()

	v, err := vs.prepare(ctx, d, nil)
	if err != nil || v.build == nil || len(v.dags) != 1 {
		t.Fatalf("a version with its Dag files parsed was not used while its directory is built: %+v, %v", v, err)
	}
	<-v.build.done
	if _, err := vs.prepare(ctx, d, nil); err == nil || !strings.Contains(err.Error(), "no blob") {
		t.Fatalf("after a failed build, prepare = %v, want the build's error", err)
	}
	b.blobs[script] = content
	if v, err = vs.prepare(ctx, d, nil); err != nil || v.build != nil {
		t.Fatalf("with the blob back, prepare = %+v, %v, want the built version", v, err)
	}
	if _, err := os.Stat(filepath.Join(v.dir, "include", "x.sh")); err != nil {
		t.Fatal(err)
	}
	if vs.failedBuild != "" {
		t.Errorf("failedBuild = %q after a build succeeded", vs.failedBuild)
	}
}
