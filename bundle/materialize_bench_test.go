package bundle

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkMaterialize writes the reference project (2,000 files, ~100 MB)
// into a new version directory through an empty pool: copy, verify every
// digest, fsync, link, rename.
func BenchmarkMaterialize(b *testing.B) {
	dir, _, total := writeBenchProject(b)
	p, err := pack(context.Background(), dir, false)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	n := 0
	for b.Loop() {
		n++
		base := filepath.Join(b.TempDir(), fmt.Sprint("v", n))
		pool := NewPool(base, filepath.Join(base, "pool.json"), -1)
		if _, err := pool.Materialize(context.Background(), "v", projectOpener(p), p.Image(true), p.DAGs()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaterializeFromPool builds a version directory of the reference
// project whose files the pool holds already, as a rollback to a deploy
// whose directory was removed does: check each pool file, link it, stamp
// the tree, rename it into place.
func BenchmarkMaterializeFromPool(b *testing.B) {
	dir, _, _ := writeBenchProject(b)
	p, err := pack(context.Background(), dir, false)
	if err != nil {
		b.Fatal(err)
	}
	base := b.TempDir()
	pool := NewPool(base, filepath.Join(base, "pool.json"), -1)
	if _, err := pool.Materialize(context.Background(), "versions/v0", projectOpener(p), p.Image(true), p.DAGs()); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		if _, err := pool.Materialize(context.Background(), fmt.Sprint("versions/v", n), projectOpener(p), p.Image(true), p.DAGs()); err != nil {
			b.Fatal(err)
		}
	}
}
