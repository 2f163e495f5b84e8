package sqlite

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dagdeck/dagdeck/testsupport/sqldbtest"
)

func tempPath(t *testing.T) string { return filepath.Join(t.TempDir(), "dagdeck.db") }

func mustOpen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	sqldbtest.RunMigrations(t, sqldbtest.Backend[*DB]{
		NewDatabase:    tempPath,
		Open:           Open,
		OpenUnmigrated: OpenUnmigrated,
		Latest:         LatestSchemaVersion(),
		RecordMigration: func(t *testing.T, db *DB, version int, name string) {
			_, err := db.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at)
				VALUES (?, ?, ?)`, version, name, "2030-01-01T00:00:00.000000Z")
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestOpen(t *testing.T) {
	t.Run("Pragmas", func(t *testing.T) {
		db := mustOpen(t, tempPath(t))
		for _, c := range []struct {
			pool  string
			query string
			want  string
		}{
			{"write", "PRAGMA journal_mode", "wal"},
			{"write", "PRAGMA foreign_keys", "1"},
			{"write", "PRAGMA busy_timeout", strconv.Itoa(int(busyTimeout.Milliseconds()))},
			{"read", "PRAGMA foreign_keys", "1"},
			{"read", "PRAGMA query_only", "1"},
		} {
			pool := db.write
			if c.pool == "read" {
				pool = db.read
			}
			var got string
			if err := pool.QueryRowContext(t.Context(), c.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s: %s = %q, want %q", c.pool, c.query, got, c.want)
			}
		}
	})
	t.Run("ErrMemory", func(t *testing.T) {
		if _, err := Open(t.Context(), ":memory:"); err == nil {
			t.Fatal("Open(:memory:) succeeded")
		}
	})
}
