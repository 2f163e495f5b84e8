package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"github.com/dagdeck/dagdeck"
)

// verifier reads a blob's content for an upload, hashing it and holding it to
// its declared size: it returns at most size bytes and fails if the source
// ends early. verify then checks that nothing follows and that the hash
// matches. A negative size means unknown.
type verifier struct {
	r      io.Reader
	digest string
	size   int64
	n      int64
	h      hash.Hash
	err    error // the first error returned to the uploader, io.EOF excepted
}

func newVerifier(r io.Reader, digest string, size int64) *verifier {
	return &verifier{r: r, digest: digest, size: size, h: sha256.New()}
}

// Read implements io.Reader.
func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.size >= 0 {
		if v.n == v.size {
			return 0, io.EOF
		} else if rem := v.size - v.n; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF && v.size >= 0 && v.n < v.size {
		err = dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content is %d bytes, want %d", v.digest, v.n, v.size)
	}
	if err != nil && err != io.EOF {
		v.err = err
	}
	return n, err
}

// readErr returns the error that made an upload fail: the source's, or
// ctx's, or nil if the upload failed for another reason.
func (v *verifier) readErr(ctx context.Context) error {
	if v.err != nil {
		return v.err
	}
	return ctx.Err()
}

// drain reads the rest of the content without uploading it, then verifies it.
func (v *verifier) drain(ctx context.Context) error {
	if _, err := io.Copy(io.Discard, &ctxReader{ctx: ctx, r: v}); err != nil {
		return err
	}
	return v.verify()
}

// verify returns EINVALID unless all of the content has been read, it has
// the declared size and it hashes to the digest.
func (v *verifier) verify() error {
	if v.size >= 0 {
		if v.n != v.size {
			return dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content is %d bytes, want %d", v.digest, v.n, v.size)
		}
		var b [1]byte
		if n, err := io.ReadFull(v.r, b[:]); n > 0 {
			return dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content is more than %d bytes", v.digest, v.size)
		} else if err != io.EOF {
			return err
		}
	}
	if got := "sha256:" + hex.EncodeToString(v.h.Sum(nil)); got != v.digest {
		return dagdeck.Errorf(dagdeck.EINVALID, "blob %s: content hashes to %s", v.digest, got)
	}
	return nil
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
