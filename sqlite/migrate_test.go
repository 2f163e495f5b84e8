package sqlite

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
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
	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		mustOpen(t, path).Close()
		db := mustOpen(t, path) // reopening applies nothing twice
		v, err := db.SchemaVersion(t.Context())
		if err != nil || v != LatestSchemaVersion() {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, LatestSchemaVersion())
		}
		states, err := db.Migrations(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != LatestSchemaVersion() || states[0].Version != 1 || states[0].Name != "init" {
			t.Fatalf("Migrations = %+v", states)
		}
		for _, s := range states {
			if s.AppliedAt == nil {
				t.Fatalf("migration %d not applied", s.Version)
			}
		}
	})
	t.Run("Unmigrated", func(t *testing.T) {
		db, err := OpenUnmigrated(t.Context(), tempPath(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, err := db.SchemaVersion(t.Context()); err != nil || v != 0 {
			t.Fatalf("SchemaVersion = %d, %v; want 0", v, err)
		}
		states, err := db.Migrations(t.Context())
		if err != nil || len(states) == 0 || states[0].AppliedAt != nil {
			t.Fatalf("Migrations = %+v, %v; want all pending", states, err)
		}
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(t.Context()); err != nil || v != LatestSchemaVersion() {
			t.Fatalf("SchemaVersion after Migrate = %d, %v", v, err)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := tempPath(t)
		db := mustOpen(t, path)
		future := LatestSchemaVersion() + 1
		if _, err := db.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at)
			VALUES (?, 'from_the_future', ?)`, future, "2030-01-01T00:00:00.000000Z"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(t.Context(), path)
		if err == nil {
			t.Fatal("Open succeeded on a newer schema")
		}
		for _, v := range []int{future, LatestSchemaVersion()} {
			if !strings.Contains(err.Error(), strconv.Itoa(v)) {
				t.Fatalf("error %q does not mention version %d", err, v)
			}
		}
		// It can still be inspected.
		db, err = OpenUnmigrated(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		states, err := db.Migrations(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if last := states[len(states)-1]; last.Version != future || last.Name != "from_the_future" || last.AppliedAt == nil {
			t.Fatalf("last migration = %+v", last)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		path := tempPath(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				db, err := Open(t.Context(), path)
				if err == nil {
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
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
