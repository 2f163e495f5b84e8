package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPrivate(t *testing.T) {
	open, err := os.MkdirTemp("", "dagdeck-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(open, "dagdeck.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrReadableDataDir", func(t *testing.T) {
		err := checkPrivate(open, "nobody")
		if err == nil || !strings.Contains(err.Error(), "tasks running as nobody could read it") {
			t.Fatalf("err = %v, want a refusal of a mode 0755 data directory", err)
		}
		if err := checkPrivate(db, "nobody"); err == nil {
			t.Fatal("a database in a readable folder passed")
		}
	})
	t.Run("OKInsidePrivateFolder", func(t *testing.T) {
		if err := os.Chmod(open, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := checkPrivate(db, "nobody"); err != nil {
			t.Fatalf("a database in a private folder: %v", err)
		}
	})
	t.Run("OKMissing", func(t *testing.T) {
		if err := checkPrivate(filepath.Join(open, "none"), "nobody"); err != nil {
			t.Fatal(err)
		}
	})
}
