package artifacttest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testErrInvalidDigest(t *testing.T, s dagdeck.ArtifactStore) {
	valid := dagdeck.DigestOf([]byte("x"))
	for name, d := range map[string]string{
		"Empty":     "",
		"NoHex":     "sha256:",
		"Short":     valid[:len(valid)-1],
		"Long":      valid + "0",
		"Uppercase": "sha256:" + string(bytes.ToUpper([]byte(valid[7:]))),
		"Algorithm": "md5:" + valid[7:],
		"NoPrefix":  valid[7:],
		"Traversal": "sha256:../../../../etc/passwd",
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Put(t.Context(), d, bytes.NewReader([]byte("x")), 1)
			RequireCode(t, err, dagdeck.EINVALID)
			_, err = s.Stat(t.Context(), d)
			RequireCode(t, err, dagdeck.EINVALID)
			rc, err := s.Open(t.Context(), d)
			if err == nil {
				rc.Close()
			}
			RequireCode(t, err, dagdeck.EINVALID)
			RequireCode(t, s.Delete(t.Context(), d), dagdeck.EINVALID)
		})
	}
	if got := WalkAll(t, s); len(got) != 0 {
		t.Fatalf("Walk reported %d blobs after invalid Puts; want 0", len(got))
	}
}

func testErrDigestMismatch(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(10, 5000)
	d := dagdeck.DigestOf(Blob(11, 5000))
	err := s.Put(t.Context(), d, bytes.NewReader(b), int64(len(b)))
	RequireCode(t, err, dagdeck.EINVALID)
	RequireAbsent(t, s, d)
	RequireAbsent(t, s, dagdeck.DigestOf(b))
}

func testErrDigestMismatchExisting(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(12, 5000)
	d := MustPut(t, s, b)
	wrong := Blob(13, 5000)
	err := s.Put(t.Context(), d, bytes.NewReader(wrong), int64(len(wrong)))
	RequireCode(t, err, dagdeck.EINVALID)
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatal("a rejected Put changed the existing blob")
	}
}

func testErrSizeMismatch(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(14, 5000)
	d := dagdeck.DigestOf(b)
	for name, size := range map[string]int64{
		"ContentShorter": int64(len(b)) + 1,
		"ContentLonger":  int64(len(b)) - 1,
		"Zero":           0,
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Put(t.Context(), d, bytes.NewReader(b), size)
			RequireCode(t, err, dagdeck.EINVALID)
			RequireAbsent(t, s, d)
		})
	}
}

func testErrReader(t *testing.T, s dagdeck.ArtifactStore) {
	b := Blob(15, 5000)
	d := dagdeck.DigestOf(b)
	errBoom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(b[:1000]), &errReader{errBoom})
	err := s.Put(t.Context(), d, r, int64(len(b)))
	if !errors.Is(err, errBoom) {
		t.Fatalf("Put returned %v; want the reader's error", err)
	}
	RequireAbsent(t, s, d)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }
