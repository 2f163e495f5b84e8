package file_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/artifacttest"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestStore(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) dagdeck.ArtifactStore {
		s := mustOpen(t)
		t.Cleanup(func() { requireNoTemp(t, s) })
		return s
	})
}

// TestStore_Layout: a blob is pending until Sync — found by Stat, Open and
// Walk, not yet at its content address — and in place after it.
func TestStore_Layout(t *testing.T) {
	s := mustOpen(t)
	d := artifacttest.MustPut(t, s, []byte("hello"))
	hex := d[len("sha256:"):]
	place := filepath.Join(s.Dir(), "blobs", "sha256", hex[:2], hex)
	if _, err := os.Stat(place); !os.IsNotExist(err) {
		t.Fatalf("a blob is in place before Sync: %v", err)
	}
	if info, err := s.Stat(context.Background(), d); err != nil || info.Size != 5 {
		t.Fatalf("pending blob: Stat = %+v, %v", info, err)
	}
	if got := artifacttest.WalkAll(t, s); len(got) != 1 || got[d].Size != 5 {
		t.Fatalf("pending blob: Walk reported %v", got)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(place); err != nil {
		t.Fatalf("blob not at its content address after Sync: %v", err)
	}
	if b := artifacttest.ReadBlob(t, s, d); string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
}

// TestStore_UnsyncedBlobsAreLostWhole: a blob Put but not synced when the
// process ends is not stored for the next Store on the directory (a
// restart), which never sees part of it; its temporary file is stale, and
// CleanTemp removes it.
func TestStore_UnsyncedBlobsAreLostWhole(t *testing.T) {
	s := mustOpen(t)
	synced := artifacttest.MustPut(t, s, []byte("synced"))
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	lost := artifacttest.MustPut(t, s, []byte("lost"))
	again, err := file.Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Stat(context.Background(), lost); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("an unsynced blob after a restart: %v, want ENOTFOUND", err)
	}
	if b := artifacttest.ReadBlob(t, again, synced); string(b) != "synced" {
		t.Fatalf("a synced blob after a restart: %q", b)
	}
	if n, err := again.CleanTemp(0); err != nil || n != 1 {
		t.Fatalf("CleanTemp removed %d files, %v; want the unsynced blob's", n, err)
	}
}

// TestStore_Compress: Compress replaces the plain blobs it finds when it
// starts, and then those each Sync puts in place, by compressed ones that
// read, stat and walk as before.
func TestStore_Compress(t *testing.T) {
	s := mustOpen(t)
	before := artifacttest.Text(1, 1<<20)
	d1 := artifacttest.MustPut(t, s, before)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	requirePlain(t, s, d1)

	stop := runCompress(t, s, slog.New(slog.DiscardHandler))
	defer stop()
	requireCompressed(t, s, d1, len(before))

	after := artifacttest.Text(2, 1<<20)
	d2 := artifacttest.MustPut(t, s, after)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	requireCompressed(t, s, d2, len(after))
	for d, want := range map[string][]byte{d1: before, d2: after} {
		if got := artifacttest.ReadBlob(t, s, d); !bytes.Equal(got, want) {
			t.Errorf("%s reads %d other bytes after compression", d, len(got))
		}
	}
	if got := artifacttest.WalkAll(t, s); len(got) != 2 || got[d1].Size != int64(len(before)) || got[d2].Size != int64(len(after)) {
		t.Fatalf("Walk reported %v", got)
	}
	stop()
	if err := s.Delete(t.Context(), d1); err != nil {
		t.Fatal(err)
	}
	artifacttest.RequireAbsent(t, s, d1)
	artifacttest.RequireLegacyBlobReadable(t, s, d2, int64(len(after)), func(hex string, content []byte) {
		writeBlobFile(t, s, hex, content)
	})
	requireNoTemp(t, s)
}

// TestStore_CompressAfterCrash: a crash between putting the compressed
// file in place and removing the plain one leaves both; the next Compress
// removes the plain one, and the blob reads and walks once meanwhile.
func TestStore_CompressAfterCrash(t *testing.T) {
	s := mustOpen(t)
	content := artifacttest.Text(3, 64<<10)
	d := artifacttest.MustPut(t, s, content)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	stop := runCompress(t, s, slog.New(slog.DiscardHandler))
	requireCompressed(t, s, d, len(content))
	stop()
	writeBlobFile(t, s, d[len("sha256:"):], content) // the plain file a crash left
	if got := artifacttest.WalkAll(t, s); len(got) != 1 || got[d].Size != int64(len(content)) {
		t.Fatalf("Walk of a blob stored both ways reported %v", got)
	}
	stop = runCompress(t, s, slog.New(slog.DiscardHandler))
	defer stop()
	requireCompressed(t, s, d, len(content))
	if got := artifacttest.ReadBlob(t, s, d); !bytes.Equal(got, content) {
		t.Fatal("the blob reads other bytes")
	}
}

// TestStore_CompressLeavesCorruptBlob: a plain blob whose content no
// longer matches its digest is reported and left as it is, not compressed
// into a valid-looking file; the others are compressed.
func TestStore_CompressLeavesCorruptBlob(t *testing.T) {
	s := mustOpen(t)
	good := artifacttest.Text(4, 64<<10)
	dg := artifacttest.MustPut(t, s, good)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	bad := dagdeck.DigestOf([]byte("what was stored"))
	writeBlobFile(t, s, bad[len("sha256:"):], []byte("what is there now"))
	var log testenv.Buffer
	stop := runCompress(t, s, slog.New(slog.NewTextHandler(&log, nil)))
	defer stop()
	requireCompressed(t, s, dg, len(good))
	apitest.WaitFor(t, 30*time.Second, "the corrupt blob reported", func() bool {
		return strings.Contains(log.String(), "no longer matches its digest") && strings.Contains(log.String(), bad)
	})
	requirePlain(t, s, bad)
	if got, err := os.ReadFile(blobFile(s, bad, false)); err != nil || string(got) != "what is there now" {
		t.Fatalf("the corrupt blob's file holds %q, %v", got, err)
	}
}

// runCompress runs s.Compress until the returned stop is called (more than
// once is fine), failing t if it returns an error.
func runCompress(t *testing.T, s *file.Store, log *slog.Logger) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Compress(ctx, log, 0) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Compress: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// blobFile is where a blob is stored in place, plain or compressed.
func blobFile(s *file.Store, digest string, compressed bool) string {
	hex := digest[len("sha256:"):]
	name := filepath.Join(s.Dir(), "blobs", "sha256", hex[:2], hex)
	if compressed {
		name += ".zst"
	}
	return name
}

// writeBlobFile writes content as the plain file of the blob hex, as a
// store from before compression, a crash or `dagdeck import` leaves it.
func writeBlobFile(t *testing.T, s *file.Store, hex string, content []byte) {
	t.Helper()
	name := blobFile(s, "sha256:"+hex, false)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// requirePlain fails t unless the blob is stored plain, and only so.
func requirePlain(t *testing.T, s *file.Store, digest string) {
	t.Helper()
	if _, err := os.Stat(blobFile(s, digest, false)); err != nil {
		t.Fatalf("%s is not stored plain: %v", digest, err)
	}
	if _, err := os.Stat(blobFile(s, digest, true)); !os.IsNotExist(err) {
		t.Fatalf("%s is stored compressed: %v", digest, err)
	}
}

// requireCompressed waits for Compress to replace the blob's plain file
// with a compressed one, smaller than half of its size bytes of text.
func requireCompressed(t *testing.T, s *file.Store, digest string, size int) {
	t.Helper()
	apitest.WaitFor(t, 30*time.Second, digest+" compressed", func() bool {
		_, errPlain := os.Stat(blobFile(s, digest, false))
		_, errZ := os.Stat(blobFile(s, digest, true))
		return os.IsNotExist(errPlain) && errZ == nil
	})
	fi, err := os.Stat(blobFile(s, digest, true))
	if err != nil {
		t.Fatal(err)
	} else if fi.Size() > int64(size)/2 {
		t.Errorf("%d bytes of text stored in %d bytes; want compressed", size, fi.Size())
	}
	if info, err := s.Stat(t.Context(), digest); err != nil || info.Size != int64(size) {
		t.Errorf("Stat of the compressed blob = %+v, %v; want %d bytes", info, err, size)
	}
}

func TestStore_WalkSkipsForeignFiles(t *testing.T) {
	s := mustOpen(t)
	d := artifacttest.MustPut(t, s, []byte("hello"))
	hex := d[len("sha256:"):]
	for _, name := range []string{
		filepath.Join("blobs", "sha256", "README"),
		filepath.Join("blobs", "sha256", hex[:2], hex+".tmp"),
		filepath.Join("blobs", "sha256", hex[:2], hex+".zst.tmp"),
		filepath.Join("blobs", "sha256", "00", hex), // wrong shard
		filepath.Join("tmp", "put-1.tmp"),
	} {
		name = filepath.Join(s.Dir(), name)
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := artifacttest.WalkAll(t, s); len(got) != 1 || got[d].Size != 5 {
		t.Fatalf("Walk reported %v; want only %s", got, d)
	}
}

func TestStore_CleanTemp(t *testing.T) {
	s := mustOpen(t)
	stale := filepath.Join(s.Dir(), "tmp", "put-stale.tmp")
	fresh := filepath.Join(s.Dir(), "tmp", "put-fresh.tmp")
	for _, name := range []string{stale, fresh} {
		if err := os.WriteFile(name, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}

	n, err := s.CleanTemp(time.Hour)
	if err != nil {
		t.Fatalf("CleanTemp: %v", err)
	} else if n != 1 {
		t.Fatalf("CleanTemp removed %d files; want 1", n)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestStore_ErrCanceledLeavesNoTemp(t *testing.T) {
	s := mustOpen(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b := []byte("hello")
	err := s.Put(ctx, dagdeck.DigestOf(b), bytes.NewReader(b), int64(len(b)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put returned %v; want context.Canceled", err)
	}
	requireNoTemp(t, s)
}

func BenchmarkFilePut(b *testing.B) {
	const blobs, size = 100, 1 << 20
	data := make([][]byte, blobs)
	digests := make([]string, blobs)
	for i := range data {
		data[i] = artifacttest.Blob(uint64(i), size)
		digests[i] = dagdeck.DigestOf(data[i])
	}
	b.SetBytes(blobs * size)
	for b.Loop() {
		b.StopTimer()
		s, err := file.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i, blob := range data {
			if err := s.Put(b.Context(), digests[i], bytes.NewReader(blob), size); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func mustOpen(t *testing.T) *file.Store {
	t.Helper()
	s, err := file.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requireNoTemp fails if a temporary file is left once Sync has put the
// pending blobs in place.
func requireNoTemp(t *testing.T, s *file.Store) {
	t.Helper()
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("temporary file %s left behind", e.Name())
	}
}
