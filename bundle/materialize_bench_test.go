package bundle

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkMaterialize writes the reference project (2,000 files, ~100 MB)
// into a new version directory: copy, verify every digest, fsync, rename.
func BenchmarkMaterialize(b *testing.B) {
	dir, _, total := writeBenchProject(b)
	p, err := pack(context.Background(), dir, false)
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	b.SetBytes(total)
	n := 0
	for b.Loop() {
		n++
		dest := filepath.Join(out, fmt.Sprint("v", n))
		if err := Materialize(context.Background(), dest, projectOpener(p), p.Image(true), p.DAGs()); err != nil {
			b.Fatal(err)
		}
	}
}
