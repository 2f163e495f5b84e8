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
