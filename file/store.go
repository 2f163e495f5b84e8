// Package file implements dagdeck.ArtifactStore on a local directory.
//
// Blobs live at dir/blobs/sha256/<first 2 hex digits>/<64 hex digits>. A Put
// writes to a temporary file in dir/tmp while hashing, fsyncs it, checks its
// size and digest, renames it into place and fsyncs the directory, so a crash
// leaves either the whole blob or none of it (plus, at worst, a stale
// temporary file that CleanTemp removes).
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dagdeck/dagdeck"
)

var _ dagdeck.ArtifactStore = (*Store)(nil)

// Store is a dagdeck.ArtifactStore on a local directory. It is safe for
// concurrent use, including by several processes sharing the directory.
type Store struct {
	dir string
}

// Open returns the store in dir, creating its directories if needed.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir}
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

// path returns the file of a valid digest.
func (s *Store) path(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(s.blobsDir(), hex[:2], hex)
}

// Put stores the content read from r under digest. A negative size means
// the size is unknown. It returns EINVALID if digest is malformed or the
// content does not have the given size or does not hash to digest; nothing
// is stored then. If the blob exists, Put still reads and verifies r.
func (s *Store) Put(ctx context.Context, digest string, r io.Reader, size int64) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	r = &ctxReader{ctx: ctx, r: r}
	var err error
	if _, err = os.Stat(s.path(digest)); err == nil {
		err = verify(io.Discard, r, digest, size)
	} else if os.IsNotExist(err) {
		err = s.write(ctx, digest, r, size)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", digest, err)
	}
	return nil
}

// write copies r into a temporary file, verifies it and renames it into place.
func (s *Store) write(ctx context.Context, digest string, r io.Reader, size int64) (err error) {
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

	if err := verify(f, r, digest, size); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	dst := s.path(digest)
	if err := s.mkdirShard(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// mkdirShard creates a shard directory and makes its entry durable.
func (s *Store) mkdirShard(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// Open returns the blob's content. It returns ENOTFOUND if the blob does not
// exist and EINVALID if digest is malformed.
func (s *Store) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(digest))
	if os.IsNotExist(err) {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "blob %s not found", digest)
	} else if err != nil {
		return nil, fmt.Errorf("open %s: %w", digest, err)
	}
	return f, nil
}

// Stat returns the blob's size and modification time. It returns ENOTFOUND
// if the blob does not exist and EINVALID if digest is malformed.
func (s *Store) Stat(ctx context.Context, digest string) (dagdeck.BlobInfo, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return dagdeck.BlobInfo{}, err
	}
	fi, err := os.Stat(s.path(digest))
	if os.IsNotExist(err) {
		return dagdeck.BlobInfo{}, dagdeck.Errorf(dagdeck.ENOTFOUND, "blob %s not found", digest)
	} else if err != nil {
		return dagdeck.BlobInfo{}, fmt.Errorf("stat %s: %w", digest, err)
	}
	return dagdeck.BlobInfo{Digest: digest, Size: fi.Size(), CreatedAt: fi.ModTime()}, nil
}

// Delete removes the blob; a missing blob is not an error. It returns
// EINVALID if digest is malformed.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	if err := os.Remove(s.path(digest)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("delete %s: %w", digest, err)
	}
	return nil
}

// Walk calls fn for every blob. Files that are not blobs are skipped; a blob
// deleted during the walk may or may not be reported.
func (s *Store) Walk(ctx context.Context, fn func(dagdeck.BlobInfo) error) error {
	shards, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		if err := s.walkShard(ctx, shard.Name(), fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) walkShard(ctx context.Context, shard string, fn func(dagdeck.BlobInfo) error) error {
	entries, err := os.ReadDir(filepath.Join(s.blobsDir(), shard))
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		digest := "sha256:" + e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), shard) || dagdeck.ValidateDigest(digest) != nil {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("walk: %w", err)
		}
		if err := fn(dagdeck.BlobInfo{Digest: digest, Size: fi.Size(), CreatedAt: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory so that entries created or renamed in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
