package fsync

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, dir, filepath.Join(dir, "gone"))
	if err := Files(paths); err != nil {
		t.Fatalf("Files: %v", err)
	}
	if err := Files(nil); err != nil {
		t.Fatalf("Files(nil): %v", err)
	}
	// A path that cannot be opened (below a file) is an error.
	if err := Files([]string{filepath.Join(paths[0], "below")}); err == nil {
		t.Fatal("Files of a path below a file succeeded")
	}
}
