package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/dagdeck/dagdeck"
)

// Materialize writes the files of the manifests into dest, which must not
// exist yet, reading each file's content with open(digest). It builds the
// tree in a sibling temp directory (dest + ".tmp-<random>"), verifies every
// blob's size and SHA-256 while copying, creates symlinks, sets modes (0644,
// or 0755 for executables; directories 0755), fsyncs files and directories,
// and then renames the temp directory to dest, so dest appears complete or
// not at all. On any error the temp directory is removed.
//
// It returns EINVALID for a manifest that could write or point outside dest
// (see (*dagdeck.Manifest).Validate, plus unclean symlink targets and paths
// below a file or symlink) before writing anything, EINVALID for a blob
// that does not match its digest, and ECONFLICT if dest exists. All writes
// go through an os.Root on the temp directory, so no path can resolve
// outside it.
func Materialize(ctx context.Context, dest string, open func(digest string) (io.ReadCloser, error), ms ...*dagdeck.Manifest) (err error) {
	files, err := checkManifests(ms...)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dest); err == nil {
		return dagdeck.Errorf(dagdeck.ECONFLICT, "%s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("materialize: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), filepath.Base(dest)+".tmp-*")
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeTree(ctx, tmp, files, open); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	return syncDir(filepath.Dir(dest))
}

// writeTree writes files into the empty directory dir.
func writeTree(ctx context.Context, dir string, files []dagdeck.ManifestFile, open func(string) (io.ReadCloser, error)) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer root.Close()
	dirs := parentDirs(files)
	for _, d := range dirs {
		if err := root.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("materialize: %w", err)
		}
	}
	isFile := func(i int) bool { return files[i].Mode.Type() == 0 }
	err = forEachParallel(ctx, materializeWorkers(), len(files), isFile, func(i int, buf []byte) error {
		return writeBlob(root, files[i], open, buf)
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Mode.Type() == fs.ModeSymlink {
			if err := root.Symlink(f.Target, f.Path); err != nil {
				return fmt.Errorf("materialize: %w", err)
			}
		}
	}
	// Directory modes do not depend on the umask; then make entries durable.
	all := append(dirs[:len(dirs):len(dirs)], ".")
	for _, d := range all {
		if err := root.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("materialize: %w", err)
		}
	}
	for _, d := range all {
		if err := syncRootDir(root, d); err != nil {
			return err
		}
	}
	return nil
}

// materializeWorkers is how many files Materialize writes at once: more
// than the CPUs, as much of the time goes to waiting for fsync.
func materializeWorkers() int { return 4 * runtime.NumCPU() }

// writeBlob writes f's content, read with open, to f.Path under root,
// checking its size and digest, and fsyncs it.
func writeBlob(root *os.Root, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), buf []byte) error {
	w, err := createVerified(root, f.Path, f, open, buf)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Chmod(fileMode(f.Mode)); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	return w.Close()
}

// createVerified creates name under root with f's content, read with open,
// checking its size and digest, and returns it open (mode 0600).
func createVerified(root *os.Root, name string, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), buf []byte) (_ *os.File, err error) {
	rc, err := open(f.Digest)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	defer rc.Close()
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("materialize: %w", err)
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(rc, f.Size+1), buf)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	if n != f.Size {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "content of %q has %d bytes, want %d", f.Path, n, f.Size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != f.Digest {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "content of %q does not match its digest %s", f.Path, f.Digest)
	}
	return w, nil
}

// syncRootDir fsyncs the directory name under root.
func syncRootDir(root *os.Root, name string) error {
	d, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("materialize: sync %s: %w", name, err)
	}
	return nil
}

// syncDir fsyncs the directory dir, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("materialize: sync %s: %w", dir, err)
	}
	return nil
}
