package file

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Compressed blobs are stored as <hex>.zst: a 16-byte header (compressedMagic
// and the content's size, little-endian) followed by one zstd frame of the
// content. The ".zst" name is the format marker: a file named <hex> alone is
// a blob written before compression, stored as is, and stays readable.
const (
	compressedSuffix = ".zst"
	headerSize       = 16
)

var compressedMagic = [8]byte{'d', 'a', 'g', 'd', 'e', 'c', 'k', 1}

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

// compressTo writes to f the header and the compressed content that copyFn
// (the store's verifying copy) writes into the compressor.
func compressTo(f *os.File, copyFn func(w io.Writer) error) error {
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return err
	}
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	enc.Reset(f)
	cw := &countingWriter{w: enc}
	if err := copyFn(cw); err != nil {
		enc.Reset(nil)
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	var h [headerSize]byte
	copy(h[:8], compressedMagic[:])
	binary.LittleEndian.PutUint64(h[8:], uint64(cw.n))
	_, err := f.WriteAt(h[:], 0)
	return err
}

// readHeader reads a compressed blob's header and returns the content size.
func readHeader(r io.Reader) (int64, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, fmt.Errorf("read blob header: %w", err)
	}
	if !bytes.Equal(h[:8], compressedMagic[:]) {
		return 0, fmt.Errorf("blob header: not a compressed dagdeck blob")
	}
	return int64(binary.LittleEndian.Uint64(h[8:])), nil
}

// compressedSize returns the content size of the compressed blob at path.
func compressedSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return readHeader(f)
}

// decompressed reads a compressed blob's content; Close closes the file.
type decompressed struct {
	f   *os.File
	dec *zstd.Decoder
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

// openCompressed returns a reader of the content of the compressed blob in f.
func openCompressed(f *os.File) (io.ReadCloser, error) {
	if _, err := readHeader(f); err != nil {
		return nil, err
	}
	dec := decoders.Get().(*zstd.Decoder)
	if err := dec.Reset(f); err != nil {
		decoders.Put(dec)
		return nil, err
	}
	return &decompressed{f: f, dec: dec}, nil
}

func (d *decompressed) Read(p []byte) (int, error) {
	if d.dec == nil {
		return 0, os.ErrClosed
	}
	return d.dec.Read(p)
}

// Close closes the file and returns the decoder to the pool.
func (d *decompressed) Close() error {
	if d.dec == nil {
		return os.ErrClosed
	}
	_ = d.dec.Reset(nil)
	decoders.Put(d.dec)
	d.dec = nil
	return d.f.Close()
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
