package artifacttest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// Text returns n bytes of compressible text, like the SQL and CSV files of a
// project, determined by seed.
func Text(seed uint64, n int) []byte {
	words := []string{"select", "from", "where", "join", "airflow", "task", "order", "amount", "42", "null"}
	r := Blob(seed, n)
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[int(r[i%len(r)])%len(words)])
		b.WriteByte(' ')
	}
	return []byte(b.String()[:n])
}

// testCompressible: stores that compress return exactly the content put,
// and report its uncompressed size, from Stat and from Walk.
func testCompressible(t *testing.T, s dagdeck.ArtifactStore) {
	b := Text(5, 3<<20)
	d := MustPut(t, s, b)
	if got := ReadBlob(t, s, d); !bytes.Equal(got, b) {
		t.Fatalf("Open returned %d bytes that differ from the %d put", len(got), len(b))
	}
	if info, err := s.Stat(t.Context(), d); err != nil {
		t.Fatalf("Stat: %v", err)
	} else if info.Size != int64(len(b)) {
		t.Fatalf("Stat: Size = %d; want the content's %d", info.Size, len(b))
	}
	if got := WalkAll(t, s)[d]; got.Size != int64(len(b)) {
		t.Fatalf("Walk: Size = %d; want the content's %d", got.Size, len(b))
	}
}

// RequireLegacyBlobReadable checks that a blob stored before compression
// (its content as is, which writeRaw puts where such blobs lived) still
// reads, stats, dedupes, walks and deletes like any other. s must hold
// exactly one other blob, others, with its content size.
func RequireLegacyBlobReadable(t *testing.T, s dagdeck.ArtifactStore, others string, othersSize int64, writeRaw func(hex string, content []byte)) {
	t.Helper()
	old := []byte("stored before compression")
	od := dagdeck.DigestOf(old)
	writeRaw(strings.TrimPrefix(od, "sha256:"), old)
	if got := ReadBlob(t, s, od); !bytes.Equal(got, old) {
		t.Fatalf("old blob reads %q", got)
	}
	if info, err := s.Stat(t.Context(), od); err != nil || info.Size != int64(len(old)) {
		t.Fatalf("Stat of old blob = %+v, %v", info, err)
	}
	if err := s.Put(t.Context(), od, bytes.NewReader(old), int64(len(old))); err != nil {
		t.Fatalf("Put of an old blob: %v", err)
	}
	if got := WalkAll(t, s); len(got) != 2 || got[od].Size != int64(len(old)) || got[others].Size != othersSize {
		t.Fatalf("Walk reported %v", got)
	}
	if err := s.Delete(t.Context(), od); err != nil {
		t.Fatal(err)
	}
	RequireAbsent(t, s, od)
}
