package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/dagdeck/dagdeck"
)

// materializeWorkers is how many files the pool copies or checks at once:
// more than the CPUs, as much of the time goes to waiting for the disk.
func materializeWorkers() int { return 4 * runtime.NumCPU() }

// createVerified creates name under root with f's content, read with open,
// checking its size and digest, and returns it open (mode 0600).
func createVerified(root *os.Root, name string, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), buf []byte) (_ *os.File, err error) {
	rc, err := open(f.Digest)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	defer rc.Close()
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("materialize: %w", err)
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(rc, f.Size+1), buf)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", f.Path, err)
	}
	if n != f.Size {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "content of %q has %d bytes, want %d", f.Path, n, f.Size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != f.Digest {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "content of %q does not match its digest %s", f.Path, f.Digest)
	}
	return w, nil
}

// syncRootDir fsyncs the directory name under root.
func syncRootDir(root *os.Root, name string) error {
	d, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("materialize: sync %s: %w", name, err)
	}
	return nil
}
