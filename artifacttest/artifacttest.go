// Package artifacttest is the conformance suite for dagdeck.ArtifactStore.
// Every artifact store backend runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		artifacttest.Run(t, func(t *testing.T) dagdeck.ArtifactStore {
//			s, err := file.Open(t.TempDir())
//			...
//			return s
//		})
//	}
//
// Beyond the interface's doc comments, the suite pins down two details both
// backends agree on: a malformed digest is EINVALID for every method, and a
// negative size passed to Put means "unknown" (the content is still verified
// against the digest).
package artifacttest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// LargeBlobSize is the size of the blob in the "Large" subtest. Backends
// that switch to multipart uploads should set their threshold below it in
// tests so that path is exercised.
const LargeBlobSize = 20 << 20

// timeSlack is how far a blob's CreatedAt may lie outside the interval in
// which it was put: S3 reports times in whole seconds.
const timeSlack = 2 * time.Second

// Run runs the conformance suite. open must return a new, empty store for
// each call; it is called once per subtest and subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) dagdeck.ArtifactStore) {
	t.Run("PutOpen", func(t *testing.T) { t.Parallel(); testPutOpen(t, open(t)) })
	t.Run("Stat", func(t *testing.T) { t.Parallel(); testStat(t, open(t)) })
	t.Run("PutExisting", func(t *testing.T) { t.Parallel(); testPutExisting(t, open(t)) })
	t.Run("Empty", func(t *testing.T) { t.Parallel(); testEmpty(t, open(t)) })
	t.Run("Large", func(t *testing.T) { t.Parallel(); testLarge(t, open(t)) })
	t.Run("Compressible", func(t *testing.T) { t.Parallel(); testCompressible(t, open(t)) })
	t.Run("UnknownSize", func(t *testing.T) { t.Parallel(); testUnknownSize(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { t.Parallel(); testDelete(t, open(t)) })
	t.Run("DeleteMissing", func(t *testing.T) { t.Parallel(); testDeleteMissing(t, open(t)) })
	t.Run("Walk", func(t *testing.T) { t.Parallel(); testWalk(t, open(t)) })
	t.Run("WalkStop", func(t *testing.T) { t.Parallel(); testWalkStop(t, open(t)) })
	t.Run("ErrInvalidDigest", func(t *testing.T) { t.Parallel(); testErrInvalidDigest(t, open(t)) })
	t.Run("ErrDigestMismatch", func(t *testing.T) { t.Parallel(); testErrDigestMismatch(t, open(t)) })
	t.Run("ErrDigestMismatchExisting", func(t *testing.T) { t.Parallel(); testErrDigestMismatchExisting(t, open(t)) })
	t.Run("ErrSizeMismatch", func(t *testing.T) { t.Parallel(); testErrSizeMismatch(t, open(t)) })
	t.Run("ErrReader", func(t *testing.T) { t.Parallel(); testErrReader(t, open(t)) })
	t.Run("ErrNotFound", func(t *testing.T) { t.Parallel(); testErrNotFound(t, open(t)) })
	t.Run("ConcurrentPut", func(t *testing.T) { t.Parallel(); testConcurrentPut(t, open(t)) })
	t.Run("NoPartialBlob", func(t *testing.T) { t.Parallel(); testNoPartialBlob(t, open(t)) })
	t.Run("ContextCanceled", func(t *testing.T) { t.Parallel(); testContextCanceled(t, open(t)) })
}

func testPutOpen(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(1, 4096)
	d := MustPut(t, s, b)
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatalf("Open returned %d bytes that differ from the %d put", len(got), len(b))
	}
}

func testStat(t *testing.T, s dagdeck.ArtifactStore) {
	before := time.Now()
	b := Blob(2, 1000)
	d := MustPut(t, s, b)
	after := time.Now()

	info, err := s.Stat(t.Context(), d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	checkInfo(t, info, d, int64(len(b)), before, after)
}

func testPutExisting(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(3, 2048)
	d := MustPut(t, s, b)
	first, err := s.Stat(t.Context(), d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}

	r := bytes.NewReader(b)
	if err := s.Put(t.Context(), d, r, int64(len(b))); err != nil {
		t.Fatalf("second Put: %v", err)
	}
	if r.Len() != 0 {
		t.Errorf("second Put left %d bytes of the reader unread; want it consumed", r.Len())
	}
	second, err := s.Stat(t.Context(), d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if !second.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("CreatedAt changed from %v to %v; want the second Put to be a no-op", first.CreatedAt, second.CreatedAt)
	}
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("content changed after the second Put")
	}
}

func testEmpty(t *testing.T, s dagdeck.ArtifactStore) {
	d := MustPut(t, s, nil)
	if d != dagdeck.DigestOf([]byte{}) {
		t.Fatalf("digest %s", d)
	}
	if got := ReadBlob(t, s, d); len(got) != 0 {
		t.Fatalf("Open returned %d bytes; want 0", len(got))
	}
	info, err := s.Stat(t.Context(), d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	} else if info.Size != 0 {
		t.Fatalf("Size = %d; want 0", info.Size)
	}
}

func testLarge(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(4, LargeBlobSize)
	d := MustPut(t, s, b)
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatalf("Open returned %d bytes that differ from the %d put", len(got), len(b))
	}
	info, err := s.Stat(t.Context(), d)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	} else if info.Size != LargeBlobSize {
		t.Fatalf("Size = %d; want %d", info.Size, LargeBlobSize)
	}
}

func testUnknownSize(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(5, 3000)
	d := dagdeck.DigestOf(b)
	if err := s.Put(t.Context(), d, bytes.NewReader(b), -1); err != nil {
		t.Fatalf("Put with size -1: %v", err)
	}
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("content differs")
	}

	other := dagdeck.DigestOf(Blob(6, 3000))
	err := s.Put(t.Context(), other, bytes.NewReader(b), -1)
	RequireCode(t, err, dagdeck.EINVALID)
	RequireAbsent(t, s, other)
}

func testDelete(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(7, 100)
	d := MustPut(t, s, b)
	keep := MustPut(t, s, Blob(8, 100))
	if err := s.Delete(t.Context(), d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	RequireAbsent(t, s, d)
	if _, err := s.Stat(t.Context(), keep); err != nil {
		t.Fatalf("Stat of the other blob: %v", err)
	}

	MustPut(t, s, b)
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("content differs after deleting and putting again")
	}
}

func testDeleteMissing(t *testing.T, s dagdeck.ArtifactStore) {
	if err := s.Delete(t.Context(), dagdeck.DigestOf([]byte("missing"))); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

func testWalk(t *testing.T, s dagdeck.ArtifactStore) {
	if got := WalkAll(t, s); len(got) != 0 {
		t.Fatalf("Walk of an empty store reported %d blobs", len(got))
	}

	before := time.Now()
	want := make(map[string]int64)
	for i := range 5 {
		b := Blob(uint64(100+i), i*1000)
		want[MustPut(t, s, b)] = int64(len(b))
	}
	after := time.Now()

	got := WalkAll(t, s)
	if len(got) != len(want) {
		t.Errorf("Walk reported %d blobs; want %d", len(got), len(want))
	}
	for d, size := range want {
		info, ok := got[d]
		if !ok {
			t.Errorf("Walk did not report %s", d)
			continue
		}
		checkInfo(t, info, d, size, before, after)
	}
}

func testWalkStop(t *testing.T, s dagdeck.ArtifactStore) {
	for i := range 3 {
		MustPut(t, s, Blob(uint64(200+i), 10))
	}
	errStop := errors.New("stop")
	calls := 0
	err := s.Walk(t.Context(), func(dagdeck.BlobInfo) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Walk returned %v; want the callback's error", err)
	}
	if calls != 1 {
		t.Fatalf("callback called %d times after returning an error; want 1", calls)
	}
}

func testErrNotFound(t *testing.T, s dagdeck.ArtifactStore) {
	RequireAbsent(t, s, dagdeck.DigestOf([]byte("never put")))
}

// checkInfo fails t unless info describes digest d of the given size,
// created between before and after.
func checkInfo(t *testing.T, info dagdeck.BlobInfo, d string, size int64, before, after time.Time) {
	t.Helper()
	if info.Digest != d {
		t.Errorf("Digest = %q; want %q", info.Digest, d)
	}
	if info.Size != size {
		t.Errorf("%s: Size = %d; want %d", d, info.Size, size)
	}
	if info.CreatedAt.Before(before.Add(-timeSlack)) || info.CreatedAt.After(after.Add(timeSlack)) {
		t.Errorf("%s: CreatedAt = %v; want between %v and %v", d, info.CreatedAt, before, after)
	}
}

// Blob returns n pseudo-random bytes determined by seed.
func Blob(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// MustPut stores b and returns its digest.
func MustPut(t testing.TB, s dagdeck.ArtifactStore, b []byte) string {
	t.Helper()
	d := dagdeck.DigestOf(b)
	if err := s.Put(t.Context(), d, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put %s: %v", d, err)
	}
	return d
}

// ReadBlob returns the content of blob d.
func ReadBlob(t testing.TB, s dagdeck.ArtifactStore, d string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open %s: %v", d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", d, err)
	}
	return b
}

// WalkAll returns every blob Walk reports, by digest, failing t if one is
// reported twice.
func WalkAll(t testing.TB, s dagdeck.ArtifactStore) map[string]dagdeck.BlobInfo {
	t.Helper()
	m := make(map[string]dagdeck.BlobInfo)
	err := s.Walk(t.Context(), func(info dagdeck.BlobInfo) error {
		if _, dup := m[info.Digest]; dup {
			t.Errorf("Walk reported %s twice", info.Digest)
		}
		m[info.Digest] = info
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return m
}

// RequireCode fails t unless err carries the dagdeck error code.
func RequireCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := dagdeck.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q; want %q", err, got, code)
	}
}

// RequireAbsent fails t unless blob d is invisible: Open and Stat return
// ENOTFOUND and Walk does not report it.
func RequireAbsent(t testing.TB, s dagdeck.ArtifactStore, d string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.Stat(ctx, d)
	RequireCode(t, err, dagdeck.ENOTFOUND)
	rc, err := s.Open(ctx, d)
	if err == nil {
		rc.Close()
	}
	RequireCode(t, err, dagdeck.ENOTFOUND)
	err = s.Walk(ctx, func(info dagdeck.BlobInfo) error {
		if info.Digest == d {
			t.Errorf("Walk reported %s, which should not exist", d)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
}
