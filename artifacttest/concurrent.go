package artifacttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testConcurrentPut(t *testing.T, s dagdeck.ArtifactStore) {
	const writers = 16
	b := Blob(20, 256<<10)
	d := dagdeck.DigestOf(b)

	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { errs[i] = s.Put(t.Context(), d, bytes.NewReader(b), int64(len(b))) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}

	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("content differs after concurrent Puts")
	}
	blobs := WalkAll(t, s)
	if len(blobs) != 1 || blobs[d].Size != int64(len(b)) {
		t.Fatalf("Walk reported %v; want one blob %s of %d bytes", blobs, d, len(b))
	}
}

// testNoPartialBlob holds a Put halfway through its content and checks that
// the blob is invisible until the Put returns.
func testNoPartialBlob(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(21, 1<<20)
	d := dagdeck.DigestOf(b)
	g := newGateReader(bytes.NewReader(b), int64(len(b)/2))

	done := make(chan error, 1)
	go func() { done <- s.Put(t.Context(), d, g, int64(len(b))) }()
	select {
	case <-g.reached:
	case err := <-done:
		t.Fatalf("Put returned %v before reading all of its content", err)
	}

	RequireAbsent(t, s, d)
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("content differs")
	}
}

// testContextCanceled cancels a Put's context halfway through its content.
func testContextCanceled(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(22, 1<<20)
	d := dagdeck.DigestOf(b)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := &cancelReader{r: bytes.NewReader(b), at: int64(len(b) / 2), cancel: cancel}

	err := s.Put(ctx, d, r, int64(len(b)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put returned %v; want context.Canceled", err)
	}
	RequireAbsent(t, s, d)
}

// gateReader reads from r until at bytes have been read, then closes reached
// and blocks until release is closed.
type gateReader struct {
	r       io.Reader
	n, at   int64
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func newGateReader(r io.Reader, at int64) *gateReader {
	return &gateReader{r: r, at: at, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateReader) Read(p []byte) (int, error) {
	if g.n >= g.at {
		g.once.Do(func() { close(g.reached) })
		<-g.release
	} else if rem := g.at - g.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// cancelReader reads from r and calls cancel once at bytes have been read.
type cancelReader struct {
	r      io.Reader
	n, at  int64
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.at {
		c.cancel()
	}
	return n, err
}
