package file_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/artifacttest"
	"github.com/dagdeck/dagdeck/file"
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
	place := filepath.Join(s.Dir(), "blobs", "sha256", hex[:2], hex+".zst")
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

// TestStore_Compressed: text is stored compressed, and a blob stored before
// compression (no .zst suffix) stays readable, with its size and in Walk.
func TestStore_Compressed(t *testing.T) {
	s := mustOpen(t)
	text := artifacttest.Text(1, 1<<20)
	d := artifacttest.MustPut(t, s, text)
	hex := d[len("sha256:"):]
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), "blobs", "sha256", hex[:2], hex+".zst"))
	if err != nil {
		t.Fatal(err)
	} else if fi.Size() > int64(len(text))/2 {
		t.Errorf("%d bytes of text stored in %d bytes; want compressed", len(text), fi.Size())
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}

	artifacttest.RequireLegacyBlobReadable(t, s, d, int64(len(text)), func(hex string, content []byte) {
		name := filepath.Join(s.Dir(), "blobs", "sha256", hex[:2], hex)
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
	})
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

// requireNoTemp fails t if a temporary file was left behind.
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
