package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestPool_MaterializeStamp: the stamp Materialize returns for a tree it
// built is the TreeStamp of that tree (files, folders, symlinks, shared
// and executable files; the second tree built from pool files the first
// one added), with and, as root, without a group; and TreeStamp changes
// when a file of the tree does.
func TestPool_MaterializeStamp(t *testing.T) {
	groups := []int{-1}
	if os.Geteuid() == 0 {
		groups = append(groups, 1234567)
	}
	for _, group := range groups {
		p, err := Pack(context.Background(), newTestProject(t))
		if err != nil {
			t.Fatal(err)
		}
		base := t.TempDir()
		pool := NewPool(base, filepath.Join(t.TempDir(), "pool.json"), group)
		var built string
		for _, dest := range []string{"versions/v1", "versions/v2"} {
			stamp, err := pool.Materialize(context.Background(), dest, projectOpener(p), p.Image(true), p.DAGs())
			if err != nil {
				t.Fatal(err)
			}
			got, err := TreeStamp(filepath.Join(base, dest))
			if err != nil {
				t.Fatal(err)
			}
			if stamp == "" || got != stamp {
				t.Fatalf("group %d, %s: Materialize's stamp %q, TreeStamp %q; want them equal", group, dest, stamp, got)
			}
			built = stamp
		}
		report := filepath.Join(base, "versions/v2/include/report.sh")
		if err := os.Chmod(report, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(report, []byte("echo changed\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if after, err := TreeStamp(filepath.Join(base, "versions/v2")); err != nil || after == built {
			t.Fatalf("group %d: after a file changed, TreeStamp = %q, %v; want other than %q", group, after, err, built)
		}
	}
}
