package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/dagdeck/dagdeck"
)

// hashEntries fills in the digest and size of every regular file in
// entries that has no digest yet, reading runtime.NumCPU() files at a time.
func hashEntries(ctx context.Context, entries []packEntry) error {
	want := func(i int) bool {
		// Symlinks have no content; cached files have their digest.
		return entries[i].file.Mode.Type() == 0 && entries[i].file.Digest == ""
	}
	return forEachParallel(ctx, runtime.NumCPU(), len(entries), want, func(i int, buf []byte) error {
		return hashEntry(&entries[i], buf)
	})
}

// hashEntry streams e's file through SHA-256. The size recorded is the
// number of bytes hashed, so size and digest agree even if the file changed
// since it was listed.
func hashEntry(e *packEntry, buf []byte) error {
	f, err := os.Open(e.abs)
	if err != nil {
		return fmt.Errorf("hash %s: %w", e.file.Path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, io.LimitReader(f, dagdeck.MaxFileSize+1), buf)
	if err != nil {
		return fmt.Errorf("hash %s: %w", e.file.Path, err)
	}
	if n > dagdeck.MaxFileSize {
		return dagdeck.Errorf(dagdeck.EINVALID, "file %q is larger than the limit of %d bytes", e.file.Path, int64(dagdeck.MaxFileSize))
	}
	e.file.Size = n
	e.file.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return nil
}
