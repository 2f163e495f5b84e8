package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/dagdeck/dagdeck"
)

// verify copies r to w while hashing, and returns EINVALID unless the
// content has the given size (if size >= 0) and hashes to digest.
func verify(w io.Writer, r io.Reader, digest string, size int64) error {
	h := sha256.New()
	src := r
	if size >= 0 {
		src = io.LimitReader(r, size+1)
	}
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content is %s bytes, want %d", digest, sizeString(n, size), size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content hashes to %s", digest, got)
	}
	return nil
}

// sizeString describes n bytes read of an expected size, for errors.
func sizeString(n, size int64) string {
	if n > size {
		return fmt.Sprintf("more than %d", size)
	}
	return fmt.Sprint(n)
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
