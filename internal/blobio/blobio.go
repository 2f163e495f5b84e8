// Package blobio holds the byte-level parts the artifact stores share: a
// Verifier that holds a blob's content to its digest and size while it is
// stored, a reader that stops once its context is done, a copy through
// reused buffers, and the zstd compression blobs are stored in. Each store keeps its own layout (where the
// content size is recorded, how a temporary copy is put into place).
package blobio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/dagdeck/dagdeck"
	"github.com/klauspost/compress/zstd"
)

// CompressedSuffix ends the name of a blob stored compressed. A blob stored
// under its bare hex digest was written before compression and is read as is.
const CompressedSuffix = ".zst"

// Verifier reads a blob's content for a store, hashing it and holding it to
// its declared size: it returns at most size bytes and fails with EINVALID if
// the source ends early. Verify then checks that nothing follows and that the
// hash matches. A negative size means unknown.
type Verifier struct {
	r      io.Reader
	digest string
	size   int64
	n      int64
	h      hash.Hash
	err    error // the first error returned to the reader, io.EOF excepted
}

// NewVerifier returns a Verifier of the content read from r, which must be
// size bytes (if size >= 0) that hash to digest.
func NewVerifier(r io.Reader, digest string, size int64) *Verifier {
	return &Verifier{r: r, digest: digest, size: size, h: sha256.New()}
}

// Read implements io.Reader.
func (v *Verifier) Read(p []byte) (int, error) {
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

// N returns the number of content bytes read so far.
func (v *Verifier) N() int64 { return v.n }

// ReadErr returns the error that made a store's write fail: the source's,
// or ctx's, or nil if the write failed for another reason.
func (v *Verifier) ReadErr(ctx context.Context) error {
	if v.err != nil {
		return v.err
	}
	return ctx.Err()
}

// Drain reads the rest of the content without storing it, then verifies it:
// a store that already holds the blob still checks what it was sent.
func (v *Verifier) Drain(ctx context.Context) error {
	if _, err := io.Copy(io.Discard, CtxReader(ctx, v)); err != nil {
		return err
	}
	return v.Verify()
}

// Verify returns EINVALID unless all of the content has been read, it has
// the declared size and it hashes to the digest.
func (v *Verifier) Verify() error {
	if v.err != nil {
		return v.err
	}
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

// CtxReader returns a reader of r that fails once ctx is done.
func CtxReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

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

// copyBufferSize is the buffer of Copy: large enough that copying a blob
// takes few system calls.
const copyBufferSize = 256 << 10

var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, copyBufferSize)
	return &b
}}

// Copy copies src to dst like io.Copy, through a reused 256 KiB buffer.
// io.Copy into a file or a hash allocates a 32 KiB buffer per call (for a
// file, inside its ReadFrom, which ignores io.CopyBuffer's), which for
// thousands of blobs is garbage the collector pays for, and copies in
// pieces that small.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(b)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *b)
}

// encoders are reused: a zstd encoder costs far more to build than to reset.
// A 1 MiB window and low-memory mode keep concurrent uploads well under the
// server's memory budget; project files are rarely larger than the window.
var encoders = sync.Pool{New: func() any {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20),
		zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return enc
}}

// Compress writes one zstd frame of the content read from r to w and
// returns the content's size.
func Compress(w io.Writer, r io.Reader) (int64, error) {
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	enc.Reset(w)
	n, err := io.Copy(enc, r)
	if err != nil {
		enc.Reset(nil)
		return n, err
	}
	return n, enc.Close()
}

// decoders are reused like encoders: the runtime reads every file of a
// version through them. With a concurrency of 1 a decoder runs no
// goroutines, so one the pool drops needs no Close.
var decoders = sync.Pool{New: func() any {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return dec
}}

// Decompress returns a reader of the content compressed in src, positioned
// at the start of the zstd frame. Closing it closes src; if Decompress fails,
// closing src is left to the caller.
func Decompress(src io.ReadCloser) (io.ReadCloser, error) {
	dec := decoders.Get().(*zstd.Decoder)
	if err := dec.Reset(src); err != nil {
		decoders.Put(dec)
		return nil, err
	}
	return &decompressed{src: src, dec: dec}, nil
}

type decompressed struct {
	src io.Closer
	dec *zstd.Decoder
}

func (d *decompressed) Read(p []byte) (int, error) {
	if d.dec == nil {
		return 0, os.ErrClosed
	}
	return d.dec.Read(p)
}

// Close closes the source and returns the decoder to the pool.
func (d *decompressed) Close() error {
	if d.dec == nil {
		return os.ErrClosed
	}
	_ = d.dec.Reset(nil)
	decoders.Put(d.dec)
	d.dec = nil
	return d.src.Close()
}
