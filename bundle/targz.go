package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/dagdeck/dagdeck"
)

// tarModTime is the modification time of every tar entry, so that the same
// manifest always gives the same bytes.
var tarModTime = time.Unix(0, 0).UTC()

// WriteTarGz streams a deterministic tar.gz of m to w: entries sorted by
// path, each directory before its contents, fixed times and owners, modes
// 0644/0755 (directories 0755), symlinks as symlink entries. It reads each
// file's content with open(digest) and checks its size and digest while
// streaming. It returns EINVALID for an invalid manifest (before writing
// anything) or for content that does not match its digest; w then holds a
// truncated archive, which the caller must discard.
func WriteTarGz(ctx context.Context, w io.Writer, m *dagdeck.Manifest, open func(digest string) (io.ReadCloser, error)) error {
	return WriteTarGzOf(ctx, w, open, m)
}

// WriteTarGzOf is WriteTarGz of the union of several manifests, such as
// those of CodeState; a path listed twice must have the same entry.
func WriteTarGzOf(ctx context.Context, w io.Writer, open func(digest string) (io.ReadCloser, error), ms ...*dagdeck.Manifest) error {
	files, err := checkManifests(ms...)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	written := make(map[string]bool) // directories already written
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeTarDirs(tw, f.Path, written); err != nil {
			return err
		}
		if err := writeTarEntry(tw, f, open); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	return nil
}

// writeTarDirs writes the entries of p's parent directories not written yet.
func writeTarDirs(tw *tar.Writer, p string, written map[string]bool) error {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' || written[p[:i]] {
			continue
		}
		written[p[:i]] = true
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: p[:i+1], Mode: 0o755, ModTime: tarModTime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write tar: %w", err)
		}
	}
	return nil
}

// writeTarEntry writes f's header and, for a regular file, its checked content.
func writeTarEntry(tw *tar.Writer, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error)) error {
	hdr := &tar.Header{Name: f.Path, ModTime: tarModTime, Format: tar.FormatPAX}
	if f.Mode.Type() == fs.ModeSymlink {
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Target, 0o777
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write tar: %w", err)
		}
		return nil
	}
	hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, int64(fileMode(f.Mode)), f.Size
	rc, err := open(f.Digest)
	if err != nil {
		return fmt.Errorf("write tar %s: %w", f.Path, err)
	}
	defer rc.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(tw, h), rc, f.Size)
	if errors.Is(err, io.EOF) {
		return dagdeck.Errorf(dagdeck.EINVALID, "content of %q has %d bytes, want %d", f.Path, n, f.Size)
	} else if err != nil {
		return fmt.Errorf("write tar %s: %w", f.Path, err)
	}
	if extra, _ := io.ReadFull(rc, make([]byte, 1)); extra > 0 {
		return dagdeck.Errorf(dagdeck.EINVALID, "content of %q is longer than %d bytes", f.Path, f.Size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != f.Digest {
		return dagdeck.Errorf(dagdeck.EINVALID, "content of %q does not match its digest %s", f.Path, f.Digest)
	}
	return nil
}
