// Package file implements dagdeck.ArtifactStore on a local directory.
//
// Blobs live at dir/blobs/sha256/<first 2 hex digits>/<64 hex digits>,
// plain, until the store's compressor (Compress, which the server runs in
// the background) replaces each with <64 hex digits>.zst, compressed with
// zstd (see compress.go). Both forms are read. Compression is off the
// deploy's path: a deploy waits for its blobs to be verified and durable,
// not for them to be small.
//
// A Put writes into a temporary file in dir/tmp while hashing the content
// and checks its size and digest; the blob is then pending: this Store
// finds it in its temporary file. Sync, which the service calls before a
// deploy that references blobs becomes DEPLOYED, makes the pending blobs
// durable (fsyncs in parallel, which the file system commits together),
// renames them into place and syncs the directories that received them: a
// blob under its name is always whole, and a deploy's thousands of files
// cost a few journal commits, not one each. A crash before Sync loses the
// pending blobs (their temporary files are stale, CleanTemp removes them),
// which are uploaded again.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/blobio"
	"github.com/dagdeck/dagdeck/internal/fsync"
)

var _ dagdeck.ArtifactStore = (*Store)(nil)

// Store is a dagdeck.ArtifactStore on a local directory. It is safe for
// concurrent use, including by several processes sharing the directory.
type Store struct {
	dir string

	mu      sync.Mutex
	dirty   map[string]bool   // shard directories with renames not yet fsynced
	pending map[string]string // digest → temporary file of a blob Put but not yet synced

	syncing sync.Mutex // one Sync at a time

	// Blobs put in place plain, for Compress.
	compressors int // running Compress calls
	queued      map[string]bool
	queuedSince time.Time     // when the queue last stopped being empty
	wake        chan struct{} // signalled when a digest is queued
	active      time.Time     // the last Put or Sync, which Compress makes way for
}

// Open returns the store in dir, creating its directories if needed.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir, dirty: make(map[string]bool), pending: make(map[string]string),
		queued: make(map[string]bool), wake: make(chan struct{}, 1)}
	for _, d := range []string{s.blobsDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open artifact store: %w", err)
		}
	}
	return s, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) blobsDir() string { return filepath.Join(s.dir, "blobs", "sha256") }
func (s *Store) tmpDir() string   { return filepath.Join(s.dir, "tmp") }

// path returns the file of a valid digest stored plain.
func (s *Store) path(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(s.blobsDir(), hex[:2], hex)
}

// zpath returns the file of a valid digest stored compressed.
func (s *Store) zpath(digest string) string { return s.path(digest) + blobio.CompressedSuffix }

// exists reports whether the blob is stored, compressed or not, or
// pending.
func (s *Store) exists(digest string) (bool, error) {
	if s.pendingFile(digest) != "" {
		return true, nil
	}
	for _, p := range []string{s.zpath(digest), s.path(digest)} {
		if _, err := os.Stat(p); err == nil {
			return true, nil
		} else if !os.IsNotExist(err) {
			return false, err
		}
	}
	return false, nil
}

// pendingFile returns the temporary file of a pending blob, or "".
func (s *Store) pendingFile(digest string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[digest]
}

// Put stores the content read from r under digest. A negative size means
// the size is unknown. It returns EINVALID if digest is malformed or the
// content does not have the given size or does not hash to digest; nothing
// is stored then. If the blob exists, Put still reads and verifies r.
func (s *Store) Put(ctx context.Context, digest string, r io.Reader, size int64) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	s.touch()
	v := blobio.NewVerifier(blobio.CtxReader(ctx, r), digest, size)
	ok, err := s.exists(digest)
	if err == nil && ok {
		err = v.Drain(ctx)
	} else if err == nil {
		err = s.write(ctx, digest, v)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", digest, err)
	}
	return nil
}

// write copies v's content into a temporary file and verifies it: the blob
// is pending until the next Sync puts it in place.
func (s *Store) write(ctx context.Context, digest string, v *blobio.Verifier) (err error) {
	f, err := os.CreateTemp(s.tmpDir(), "put-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	if _, err := blobio.Copy(f, v); err != nil {
		return err
	}
	if err := v.Verify(); err != nil {
		return err
	}
	fsync.StartWriteback(f) // Sync fsyncs it, soon
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[digest] != "" { // another Put of it got there first
		return os.Remove(f.Name())
	}
	s.pending[digest] = f.Name()
	return nil
}

// Sync makes the blobs this Store has put so far durable: their temporary
// files are fsynced (in parallel), then each is renamed into place, then
// the directories that received one are fsynced. Until Sync a power
// loss or a crash can only make a blob missing, never partial. Several
// processes sharing the directory each sync their own Puts. The blobs are
// then queued for Compress.
func (s *Store) Sync(ctx context.Context) error {
	s.touch()
	s.syncing.Lock()
	defer s.syncing.Unlock()
	placed, err := s.place()
	if err != nil {
		return fmt.Errorf("sync artifacts: %w", err)
	}
	s.mu.Lock()
	dirs := s.dirty
	s.dirty = make(map[string]bool)
	s.mu.Unlock()
	if err := fsync.Files(slices.Collect(maps.Keys(dirs))); err != nil {
		s.mu.Lock()
		for d := range dirs {
			s.dirty[d] = true // retried by the next Sync
		}
		s.mu.Unlock()
		return fmt.Errorf("sync artifacts: %w", err)
	}
	s.queue(placed...)
	return nil
}

// place makes the pending blobs durable and renames them into place; each
// stays pending (found by Stat and Open) until it is in place. It returns
// the digests it put in place.
func (s *Store) place() ([]string, error) {
	s.mu.Lock()
	pending := maps.Clone(s.pending)
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil, nil
	}
	if err := fsync.Files(slices.Collect(maps.Values(pending))); err != nil {
		// A failed fsync may have dropped dirty pages that a retry would
		// not see: these blobs are forgotten, and uploaded again.
		s.mu.Lock()
		for digest, tmp := range pending {
			if s.pending[digest] == tmp {
				delete(s.pending, digest)
				os.Remove(tmp)
			}
		}
		s.mu.Unlock()
		return nil, err
	}
	placed := make([]string, 0, len(pending))
	shards := map[string]bool{} // checked already
	for digest, tmp := range pending {
		dst := s.path(digest)
		if shard := filepath.Dir(dst); !shards[shard] {
			if err := s.mkdirShard(shard); err != nil {
				return placed, err
			}
			shards[shard] = true
		}
		err := os.Rename(tmp, dst)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return placed, err
		}
		// A temporary file gone (CleanTemp, by hand) leaves the blob
		// missing: it is uploaded again.
		s.mu.Lock()
		if s.pending[digest] == tmp { // not deleted and put again meanwhile
			delete(s.pending, digest)
		}
		if err == nil {
			s.dirty[filepath.Dir(dst)] = true
			placed = append(placed, digest)
		}
		s.mu.Unlock()
	}
	return placed, nil
}

// mkdirShard creates a shard directory; its entry is made durable with
// the other directories at the end of Sync.
func (s *Store) mkdirShard(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s.mu.Lock()
	s.dirty[filepath.Dir(dir)] = true
	s.mu.Unlock()
	return nil
}

// Open returns the blob's content. It returns ENOTFOUND if the blob does not
// exist and EINVALID if digest is malformed.
func (s *Store) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return nil, err
	}
	f, compressed, err := s.locate(digest)
	if os.IsNotExist(err) {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "blob %s not found", digest)
	} else if err != nil {
		return nil, fmt.Errorf("open %s: %w", digest, err)
	}
	if !compressed {
		return f, nil
	}
	rc, err := openCompressed(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", digest, err)
	}
	return rc, nil
}

// locate opens the file that holds a blob and says whether it is
// compressed: its temporary file while pending, else the compressed or
// the plain file in place. A blob that Sync or Compress moves meanwhile is
// found where it went; only a missing blob returns an error satisfying
// os.IsNotExist.
func (s *Store) locate(digest string) (f *os.File, compressed bool, err error) {
	if tmp := s.pendingFile(digest); tmp != "" {
		if f, err := os.Open(tmp); err == nil || !os.IsNotExist(err) {
			return f, false, err
		}
	}
	// Sync moves a pending blob to its plain name, Compress a plain blob
	// to its compressed one: looking in that order, then once more at the
	// compressed one, finds a blob that moves during the search.
	for i, compressed := range []bool{true, false, true} {
		p := s.path(digest)
		if compressed {
			p = s.zpath(digest)
		}
		f, err := os.Open(p)
		if err == nil || !os.IsNotExist(err) || i == 2 {
			return f, compressed, err
		}
	}
	panic("unreachable")
}

// Stat returns the blob's size and modification time. It returns ENOTFOUND
// if the blob does not exist and EINVALID if digest is malformed.
func (s *Store) Stat(ctx context.Context, digest string) (dagdeck.BlobInfo, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return dagdeck.BlobInfo{}, err
	}
	info, err := s.info(digest)
	if os.IsNotExist(err) {
		return dagdeck.BlobInfo{}, dagdeck.Errorf(dagdeck.ENOTFOUND, "blob %s not found", digest)
	} else if err != nil {
		return dagdeck.BlobInfo{}, fmt.Errorf("stat %s: %w", digest, err)
	}
	return info, nil
}

// info describes a blob (see locate); a compressed one's size is read from
// its header.
func (s *Store) info(digest string) (dagdeck.BlobInfo, error) {
	f, compressed, err := s.locate(digest)
	if err != nil {
		return dagdeck.BlobInfo{}, err
	}
	defer f.Close()
	return describe(digest, f, compressed)
}

// listedInfo describes the blob file name of a shard, as a listing found
// it; a plain one needs no open. A file gone since (Compress moved it)
// is looked for where it went.
func (s *Store) listedInfo(digest, path string, compressed bool) (dagdeck.BlobInfo, error) {
	if !compressed {
		if fi, err := os.Stat(path); err == nil {
			return dagdeck.BlobInfo{Digest: digest, Size: fi.Size(), CreatedAt: fi.ModTime()}, nil
		}
	} else if f, err := os.Open(path); err == nil {
		defer f.Close()
		return describe(digest, f, true)
	}
	return s.info(digest)
}

// describe describes the blob in f, its file.
func describe(digest string, f *os.File, compressed bool) (dagdeck.BlobInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return dagdeck.BlobInfo{}, err
	}
	size := fi.Size()
	if compressed {
		if size, err = readHeader(f); err != nil {
			return dagdeck.BlobInfo{}, err
		}
	}
	return dagdeck.BlobInfo{Digest: digest, Size: size, CreatedAt: fi.ModTime()}, nil
}

// Delete removes the blob; a missing blob is not an error. It returns
// EINVALID if digest is malformed.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	s.mu.Lock()
	tmp := s.pending[digest]
	delete(s.pending, digest)
	s.mu.Unlock()
	for _, p := range []string{tmp, s.zpath(digest), s.path(digest)} {
		if p == "" {
			continue
		}
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("delete %s: %w", digest, err)
		}
	}
	return nil
}

// Walk calls fn for every blob. Files that are not blobs are skipped; a blob
// deleted during the walk may or may not be reported.
func (s *Store) Walk(ctx context.Context, fn func(dagdeck.BlobInfo) error) error {
	// Pending blobs first, each reported once even if Sync moves it.
	s.mu.Lock()
	pending := slices.Collect(maps.Keys(s.pending))
	s.mu.Unlock()
	seen := make(map[string]bool, len(pending))
	for _, digest := range pending {
		seen[digest] = true
		info, err := s.info(digest)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("walk: %w", err)
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	shards, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		if err := s.walkShard(ctx, shard.Name(), seen, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) walkShard(ctx context.Context, shard string, seen map[string]bool, fn func(dagdeck.BlobInfo) error) error {
	entries, err := os.ReadDir(filepath.Join(s.blobsDir(), shard))
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	last := "" // a blob stored both ways (while Compress replaces it) is reported once
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, compressed := strings.CutSuffix(e.Name(), blobio.CompressedSuffix)
		digest := "sha256:" + name
		if !e.Type().IsRegular() || !strings.HasPrefix(name, shard) || dagdeck.ValidateDigest(digest) != nil || digest == last || seen[digest] {
			continue
		}
		info, err := s.listedInfo(digest, filepath.Join(s.blobsDir(), shard, e.Name()), compressed)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("walk: %w", err)
		}
		last = digest
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}
