package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/dagdeck/dagdeck"
)

// hashBufferSize is the read buffer of each hashing worker.
const hashBufferSize = 256 << 10

// hashEntries fills in the digest and size of every regular file in
// entries that has no digest yet, reading runtime.NumCPU() files at a time.
func hashEntries(ctx context.Context, entries []packEntry) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.NumCPU()) {
		wg.Go(func() {
			buf := make([]byte, hashBufferSize)
			for i := range jobs {
				if err := hashEntry(&entries[i], buf); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range entries {
		if entries[i].file.Mode.Type() != 0 || entries[i].file.Digest != "" {
			continue // a symlink, or a file whose digest was cached
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
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
