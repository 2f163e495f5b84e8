package bundle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeBenchProject writes the DESIGN §8 reference project, 2,000 files and
// about 100 MB of incompressible content: 1,980 files of 8 KiB spread over
// dags/, include/ and plugins/, and 20 files of 4.25 MiB. It returns the
// directory, the paths of the files and the total size.
func writeBenchProject(b *testing.B) (dir string, files []string, total int64) {
	b.Helper()
	dir = b.TempDir()
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	writeFile(b, filepath.Join(dir, "Dockerfile"), "FROM quay.io/dagdeck/runtime:1.1.0\n")
	for i := range 2000 {
		size := 8 << 10
		name := fmt.Sprintf("%s/d%02d/f%04d.dat", []string{"dags", "include", "plugins"}[i%3], i%40, i)
		if i%100 == 0 {
			size = 4352 << 10
			name = fmt.Sprintf("include/data/blob%02d.bin", i/100)
		}
		buf := make([]byte, size)
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		writeFile(b, filepath.Join(dir, name), string(buf))
		files = append(files, name)
		total += int64(size)
	}
	return dir, files, total
}

// BenchmarkPack packs the reference project from scratch: every file is
// read and hashed (no hash cache; the OS page cache is warm).
func BenchmarkPack(b *testing.B) {
	dir, _, total := writeBenchProject(b)
	b.SetBytes(total)
	for b.Loop() {
		p, err := pack(context.Background(), dir, false)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Files) != 2001 {
			b.Fatalf("packed %d files, want 2001", len(p.Files))
		}
	}
}

// BenchmarkRepack packs the reference project again after changing 1 % of
// its files (20 small files), as a second deploy does: only the changed
// files are read, the others' digests come from the hash cache.
func BenchmarkRepack(b *testing.B) {
	dir, files, total := writeBenchProject(b)
	time.Sleep(hashCacheMargin) // a real project's files are older than that
	if _, err := Pack(context.Background(), dir); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	n := 0
	for b.Loop() {
		b.StopTimer()
		for i := range 20 {
			name := files[(i*97+1)%len(files)]
			if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "change %d", n), 0o644); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.StartTimer()
		if _, err := Pack(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}
