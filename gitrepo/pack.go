package gitrepo

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// BlobOpener opens a regular file's content by its SHA-256 digest.
type BlobOpener func(ctx context.Context, digest string) (io.ReadCloser, error)

// packObjects is what one pack holds: commits and trees in memory, blobs
// as files whose content is read when written.
type packObjects struct {
	small []*Object
	blobs []File
}

func (p *packObjects) count() int { return len(p.small) + len(p.blobs) }

// packWriter streams a pack (version 2, undeltified objects) to w.
type packWriter struct {
	w    io.Writer
	sum  hash.Hash
	zw   *zlib.Writer
	open BlobOpener
}

// zlibWriters are reusable compressors (each holds a few hundred KB).
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return zw
}}

func newPackWriter(w io.Writer, open BlobOpener) *packWriter {
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return &packWriter{w: w, sum: sha1.New(), zw: zw, open: open}
}

func (p *packWriter) Write(b []byte) (int, error) {
	p.sum.Write(b)
	return p.w.Write(b)
}

// writePack writes the whole pack: header, objects, trailing checksum.
// Blobs are compressed a few at a time (see writeBlobs); none is held
// whole unless it is small.
func (p *packWriter) writePack(ctx context.Context, objs *packObjects) error {
	hdr := []byte{'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[8:], uint32(objs.count()))
	if _, err := p.Write(hdr); err != nil {
		return err
	}
	for _, o := range objs.small {
		if err := p.writeObject(o.Type, int64(len(o.Data)), bytes.NewReader(o.Data)); err != nil {
			return err
		}
	}
	if err := p.writeBlobs(ctx, objs.blobs); err != nil {
		return err
	}
	_, err := p.w.Write(p.sum.Sum(nil))
	return err
}

// writeBlob writes one blob, compressing it as it is read.
func (p *packWriter) writeBlob(ctx context.Context, f *File) error {
	return encodeBlob(ctx, p, p.zw, p.open, f)
}

// writeObject writes one object held in memory.
func (p *packWriter) writeObject(t ObjectType, size int64, r io.Reader) error {
	return encodeObject(p, p.zw, t, size, r)
}

// encodeBlob writes a blob's pack entry to dst: a symlink's target, or a
// regular file's content read from the artifact store.
func encodeBlob(ctx context.Context, dst io.Writer, zw *zlib.Writer, open BlobOpener, f *File) error {
	if f.Mode == ModeSymlink {
		return encodeObject(dst, zw, TypeBlob, int64(len(f.Target)), strings.NewReader(f.Target))
	}
	rc, err := open(ctx, f.Digest)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", f.Digest, err)
	}
	defer rc.Close()
	return encodeObject(dst, zw, TypeBlob, f.Size, rc)
}

// encodeObject writes one pack entry to dst: the type-and-size header,
// then the content, zlib-compressed. The content must be exactly size bytes.
func encodeObject(dst io.Writer, zw *zlib.Writer, t ObjectType, size int64, r io.Reader) error {
	if _, err := dst.Write(objectHeader(t, size)); err != nil {
		return err
	}
	zw.Reset(dst)
	n, err := io.Copy(zw, io.LimitReader(r, size+1))
	if err != nil {
		return fmt.Errorf("compress %s: %w", t, err)
	}
	if n != size {
		return fmt.Errorf("%s content is %d bytes, recorded as %d", t, n, size)
	}
	return zw.Close()
}

// objectHeader is a pack entry's header: type and size, 7 bits a byte.
func objectHeader(t ObjectType, size int64) []byte {
	b := []byte{byte(t)<<4 | byte(size&0x0f)}
	size >>= 4
	for size > 0 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
		size >>= 7
	}
	return b
}
