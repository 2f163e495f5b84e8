package blobio_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/blobio"
)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestVerifier(t *testing.T) {
	content := []byte("dags/etl.yaml: extract, transform, load\n")
	good := digestOf(content)
	tests := []struct {
		name    string
		src     []byte
		digest  string
		size    int64
		wantErr string // empty: valid
	}{
		{"exact", content, good, int64(len(content)), ""},
		{"unknown size", content, good, -1, ""},
		{"short", content[:5], good, int64(len(content)), "content is 5 bytes, want"},
		{"long", append(append([]byte{}, content...), 'x'), good, int64(len(content)), "content is more than"},
		{"wrong hash", bytes.ToUpper(content), good, int64(len(content)), "content hashes to"},
		{"wrong hash, unknown size", content[:5], good, -1, "content hashes to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := blobio.NewVerifier(bytes.NewReader(tt.src), tt.digest, tt.size)
			got, copyErr := io.ReadAll(v)
			err := copyErr
			if err == nil {
				err = v.Verify()
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if !bytes.Equal(got, content) || v.N() != int64(len(content)) {
					t.Fatalf("read %q (N %d), want %q", got, v.N(), content)
				}
				return
			}
			if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tt.wantErr)
			}
			if tt.size >= 0 && int64(len(got)) > tt.size {
				t.Fatalf("read %d bytes past the declared size %d", len(got), tt.size)
			}
		})
	}
}

func TestVerifierDrainAndReadErr(t *testing.T) {
	content := []byte("bash_command: echo hello\n")
	v := blobio.NewVerifier(bytes.NewReader(content), digestOf(content), int64(len(content)))
	if err := v.Drain(context.Background()); err != nil {
		t.Fatalf("Drain: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v = blobio.NewVerifier(bytes.NewReader(content), digestOf(content), int64(len(content)))
	if err := v.Drain(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain after cancel = %v, want context.Canceled", err)
	}
	if err := v.ReadErr(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadErr = %v, want context.Canceled", err)
	}

	boom := errors.New("connection reset")
	v = blobio.NewVerifier(io.MultiReader(bytes.NewReader(content[:3]), errReader{boom}), digestOf(content), -1)
	if _, err := io.ReadAll(v); !errors.Is(err, boom) {
		t.Fatalf("ReadAll = %v, want the source's error", err)
	}
	if err := v.ReadErr(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("ReadErr = %v, want the source's error", err)
	}
	if err := v.Verify(); !errors.Is(err, boom) {
		t.Fatalf("Verify after a failed read = %v, want the source's error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestCtxReaderStopsWhenDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := blobio.CtxReader(ctx, strings.NewReader("abcdef"))
	b := make([]byte, 3)
	if n, err := r.Read(b); n != 3 || err != nil {
		t.Fatalf("Read = %d, %v before cancel", n, err)
	}
	cancel()
	if n, err := r.Read(b); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %d, %v after cancel, want 0, context.Canceled", n, err)
	}
}

type closeRecorder struct {
	io.Reader
	closed int
}

func (c *closeRecorder) Close() error { c.closed++; return nil }

func TestCompressRoundTrip(t *testing.T) {
	content := []byte(strings.Repeat("      - task_id: load\n        bash_command: ./load.sh {{ ds }}\n", 5000))
	var buf bytes.Buffer
	n, err := blobio.Compress(&buf, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(content)) {
		t.Fatalf("Compress returned size %d, want %d", n, len(content))
	}
	if buf.Len() >= len(content)/10 {
		t.Fatalf("compressed %d bytes of repetitive text to %d", len(content), buf.Len())
	}

	src := &closeRecorder{Reader: bytes.NewReader(buf.Bytes())}
	rc, err := blobio.Decompress(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("round trip changed the content (%d bytes, want %d)", len(got), len(content))
	}
	if err := rc.Close(); err != nil || src.closed != 1 {
		t.Fatalf("Close = %v, source closed %d times, want once", err, src.closed)
	}
	if err := rc.Close(); !errors.Is(err, os.ErrClosed) || src.closed != 1 {
		t.Fatalf("second Close = %v (source closed %d times), want os.ErrClosed", err, src.closed)
	}
	if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close = %v, want os.ErrClosed", err)
	}
}

func TestCompressStopsOnReadError(t *testing.T) {
	boom := errors.New("upload cut")
	_, err := blobio.Compress(io.Discard, io.MultiReader(strings.NewReader("partial"), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Fatalf("Compress = %v, want the reader's error", err)
	}
	// The pooled encoder must be usable again after a failed Compress.
	var buf bytes.Buffer
	if _, err := blobio.Compress(&buf, strings.NewReader("next")); err != nil {
		t.Fatal(err)
	}
	rc, err := blobio.Decompress(io.NopCloser(&buf))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != "next" {
		t.Fatalf("after a failed Compress the next one reads back %q", got)
	}
}

// TestCopy: Copy copies everything, across several of its buffers, into a
// file, and reports the count and the reader's error.
func TestCopy(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 50_000+7) // three buffers of 256 KiB and a bit
	f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := blobio.Copy(f, bytes.NewReader(content))
	if err != nil || n != int64(len(content)) {
		t.Fatalf("Copy = %d, %v; want %d", n, err, len(content))
	}
	if got, err := os.ReadFile(f.Name()); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the copy differs (%d bytes of %d, %v)", len(got), len(content), err)
	}
	boom := errors.New("boom")
	if _, err := blobio.Copy(io.Discard, io.MultiReader(bytes.NewReader(content[:10]), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("Copy of a failing reader = %v, want %v", err, boom)
	}
}
