package file

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/dagdeck/dagdeck/internal/blobio"
)

// Compressed blobs are stored as <hex>.zst: a 16-byte header (compressedMagic
// and the content's size, little-endian) followed by one zstd frame of the
// content. The ".zst" name is the format marker: a file named <hex> alone is
// a blob written before compression, stored as is, and stays readable.
const headerSize = 16

var compressedMagic = [8]byte{'d', 'a', 'g', 'd', 'e', 'c', 'k', 1}

// compressTo writes to f the header and the compressed content of v, and
// verifies the content.
func compressTo(f *os.File, v *blobio.Verifier) error {
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return err
	}
	n, err := blobio.Compress(f, v)
	if err != nil {
		return err
	}
	if err := v.Verify(); err != nil {
		return err
	}
	var h [headerSize]byte
	copy(h[:8], compressedMagic[:])
	binary.LittleEndian.PutUint64(h[8:], uint64(n))
	_, err = f.WriteAt(h[:], 0)
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

// openCompressed returns a reader of the content of the compressed blob in
// f; closing it closes f.
func openCompressed(f *os.File) (io.ReadCloser, error) {
	if _, err := readHeader(f); err != nil {
		return nil, err
	}
	return blobio.Decompress(f)
}
