package localruntime

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dagdeck/dagdeck/bundle"
)

func BenchmarkStampOf2000Files(b *testing.B) {
	dir := b.TempDir()
	for i := range 2000 {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%04d.sh", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("echo hi\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := bundle.TreeStamp(dir); err != nil {
			b.Fatal(err)
		}
	}
}
