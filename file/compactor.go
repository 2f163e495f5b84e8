package file

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/blobio"
	"github.com/dagdeck/dagdeck/internal/fsync"
)

// compressBatch is how many blobs Compress replaces between two fsyncs of
// their directories.
const compressBatch = 256

// queue hands blobs put in place plain to Compress, if it runs (if not,
// the next one finds them).
func (s *Store) queue(digests ...string) {
	s.mu.Lock()
	if s.compressors == 0 || len(digests) == 0 {
		s.mu.Unlock()
		return
	}
	if len(s.queued) == 0 {
		s.queuedSince = time.Now()
	}
	for _, d := range digests {
		s.queued[d] = true
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// touch records a Put or a Sync.
func (s *Store) touch() {
	s.mu.Lock()
	s.active = time.Now()
	s.mu.Unlock()
}

// compressMaxWait bounds how long a blob waits for the store to be idle:
// on a server that never pauses, blobs are compressed anyway.
const compressMaxWait = time.Minute

// untilIdle returns how long until the Store will have seen no Put or Sync
// for idle, or 0 (also once the queue has waited compressMaxWait).
func (s *Store) untilIdle(idle time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queued) > 0 && time.Since(s.queuedSince) >= compressMaxWait {
		return 0
	}
	return max(0, idle-time.Since(s.active))
}

// take removes up to n digests from the queue and returns them.
func (s *Store) take(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for d := range s.queued {
		if len(out) == n {
			break
		}
		out = append(out, d)
		delete(s.queued, d)
	}
	return out
}

// Compress replaces blobs stored plain with compressed ones until ctx is
// done: first every plain blob in the store (left by a crash, by `dagdeck
// import`, or written before compression), then each blob a Sync puts in
// place. It makes way for deploys: it starts a batch only once this Store
// has seen no Put or Sync for idle (a deploy lays out and activates its
// code right after its last Sync) or the batch has waited a minute, and it
// runs at a lower CPU priority than the rest of the process where the
// system allows it. A blob whose
// content no longer matches its digest is logged and left as it is; each
// blob is verified as it is compressed.
//
// A replacement is crash-safe: the compressed file is written aside,
// fsynced, renamed into place and its directory fsynced before the plain
// file is removed, so a crash leaves the plain file, the compressed one or
// both (then the next Compress removes the plain one). Compress racing a
// Delete of the same blob may leave it stored compressed; an unreferenced
// blob is collected again by the next GC.
func (s *Store) Compress(ctx context.Context, log *slog.Logger, idle time.Duration) error {
	// The lower priority belongs to this goroutine's thread alone, which
	// ends with it (a goroutine that exits locked takes its thread along).
	runtime.LockOSThread()
	lowerPriority()
	s.mu.Lock()
	s.compressors++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.compressors--
		s.mu.Unlock()
	}()
	for {
		plain, err := s.plainBlobs(ctx)
		if err == nil {
			s.queue(plain...)
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		log.Error("compress artifacts: list the blobs stored plain", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(compressRetry):
		}
	}
	for {
		if wait := s.untilIdle(idle); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		batch := s.take(compressBatch)
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			}
			continue
		}
		if err := s.compress(ctx, log, batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// A full disk, say: the blobs stay plain, and are tried again
			// a little later.
			log.Error("compress artifacts", "err", err)
			s.queue(batch...)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(compressRetry):
			}
		}
	}
}

// compressRetry is how long Compress waits after a failed batch.
const compressRetry = time.Minute

// plainBlobs lists the digests of the blobs stored plain.
func (s *Store) plainBlobs(ctx context.Context) ([]string, error) {
	shards, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		names, err := os.ReadDir(filepath.Join(s.blobsDir(), shard.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range names {
			if e.Type().IsRegular() && len(e.Name()) == 64 && strings.HasPrefix(e.Name(), shard.Name()) && !strings.Contains(e.Name(), ".") {
				out = append(out, "sha256:"+e.Name())
			}
		}
	}
	return out, nil
}

// compress replaces the plain blobs of digests with compressed ones. A blob
// that fails verification is logged and skipped; other errors stop it.
func (s *Store) compress(ctx context.Context, log *slog.Logger, digests []string) (err error) {
	written := map[string]string{} // digest → compressed temporary file
	defer func() {
		for _, tmp := range written {
			os.Remove(tmp)
		}
	}()
	var done []string // digests whose plain file is to go
	for _, d := range digests {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := os.Stat(s.zpath(d)); err == nil { // compressed already (another process, a failed batch)
			done = append(done, d)
			continue
		}
		tmp, err := s.compressOne(d)
		if errors.Is(err, fs.ErrNotExist) { // deleted meanwhile
			continue
		} else if dagdeck.ErrorCode(err) == dagdeck.EINVALID {
			log.Error("artifact store: a stored blob no longer matches its digest; left as it is", "blob", d, "err", err)
			continue
		} else if err != nil {
			return err
		}
		written[d] = tmp
	}
	if err := fsync.Files(slices.Collect(maps.Values(written))); err != nil {
		return err
	}
	for d, tmp := range written {
		// A Delete since the copy began wins (narrowly: see Compress).
		if _, err := os.Lstat(s.path(d)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(tmp, s.zpath(d)); err != nil {
			return err
		}
		delete(written, d)
		done = append(done, d)
	}
	// The compressed names are durable before any plain one goes.
	dirs := map[string]bool{}
	for _, d := range done {
		dirs[filepath.Dir(s.zpath(d))] = true
	}
	if err := fsync.Files(slices.Collect(maps.Keys(dirs))); err != nil {
		return err
	}
	for _, d := range done {
		if err := os.Remove(s.path(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// compressOne writes the compressed form of a plain blob into a temporary
// file, verifying the content, and returns the file's name.
func (s *Store) compressOne(digest string) (_ string, err error) {
	src, err := os.Open(s.path(digest))
	if err != nil {
		return "", err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(s.tmpDir(), "compress-*.tmp")
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := compressTo(f, blobio.NewVerifier(src, digest, fi.Size())); err != nil {
		return "", err
	}
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	return f.Name(), nil
}
