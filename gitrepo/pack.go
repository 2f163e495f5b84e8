package gitrepo

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"strings"
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

func newPackWriter(w io.Writer, open BlobOpener) *packWriter {
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return &packWriter{w: w, sum: sha1.New(), zw: zw, open: open}
}

func (p *packWriter) Write(b []byte) (int, error) {
	p.sum.Write(b)
	return p.w.Write(b)
}

// writePack writes the whole pack: header, objects, trailing checksum.
// One blob is in memory at a time, and only in zlib's window.
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
	for i := range objs.blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.writeBlob(ctx, &objs.blobs[i]); err != nil {
			return err
		}
	}
	_, err := p.w.Write(p.sum.Sum(nil))
	return err
}

func (p *packWriter) writeBlob(ctx context.Context, f *File) error {
	if f.Mode == ModeSymlink {
		return p.writeObject(TypeBlob, int64(len(f.Target)), strings.NewReader(f.Target))
	}
	rc, err := p.open(ctx, f.Digest)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", f.Digest, err)
	}
	defer rc.Close()
	return p.writeObject(TypeBlob, f.Size, rc)
}

// writeObject writes one object: its type-and-size header, then its
// content, zlib-compressed. The content must be exactly size bytes.
func (p *packWriter) writeObject(t ObjectType, size int64, r io.Reader) error {
	if _, err := p.Write(objectHeader(t, size)); err != nil {
		return err
	}
	p.zw.Reset(p)
	n, err := io.Copy(p.zw, io.LimitReader(r, size+1))
	if err != nil {
		return fmt.Errorf("compress %s: %w", t, err)
	}
	if n != size {
		return fmt.Errorf("%s content is %d bytes, recorded as %d", t, n, size)
	}
	return p.zw.Close()
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
