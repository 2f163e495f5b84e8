// Package sqldbtest is the conformance suite of the migration runner that
// the SQL stores share, run by each of them against its real database.
package sqldbtest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck/internal/sqldb"
)

// DB is a SQL store as migration tools see it.
type DB interface {
	Migrate(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int, error)
	Migrations(ctx context.Context) ([]sqldb.MigrationState, error)
	Close() error
}

// Backend is a SQL store under test.
type Backend[D DB] struct {
	// NewDatabase returns the address (path or URL) of a new, empty database.
	NewDatabase func(t *testing.T) string
	// Open opens and migrates a database; OpenUnmigrated only opens it.
	Open, OpenUnmigrated func(ctx context.Context, addr string) (D, error)
	// Latest is the newest schema version the backend knows.
	Latest int
	// RecordMigration records in db a migration applied by a newer binary.
	RecordMigration func(t *testing.T, db D, version int, name string)
}

// RunMigrations tests b's migrations: applied once, in order, recorded,
// listed, refused when the database is newer, safe when processes start at
// once.
func RunMigrations[D DB](t *testing.T, b Backend[D]) {
	t.Run("OK", func(t *testing.T) {
		addr := b.NewDatabase(t)
		mustOpen(t, b, addr).Close()
		db := mustOpen(t, b, addr) // reopening applies nothing twice
		if v, err := db.SchemaVersion(t.Context()); err != nil || v != b.Latest {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, b.Latest)
		}
		states, err := db.Migrations(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != b.Latest || states[0].Version != 1 || states[0].Name != "init" {
			t.Fatalf("Migrations = %+v", states)
		}
		for _, s := range states {
			if s.AppliedAt == nil {
				t.Fatalf("migration %d not applied", s.Version)
			}
		}
	})
	t.Run("Unmigrated", func(t *testing.T) {
		db, err := b.OpenUnmigrated(t.Context(), b.NewDatabase(t))
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
		if v, err := db.SchemaVersion(t.Context()); err != nil || v != b.Latest {
			t.Fatalf("SchemaVersion after Migrate = %d, %v", v, err)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		addr := b.NewDatabase(t)
		db := mustOpen(t, b, addr)
		future := b.Latest + 1
		b.RecordMigration(t, db, future, "from_the_future")
		db.Close()
		_, err := b.Open(t.Context(), addr)
		if err == nil {
			t.Fatal("Open succeeded on a newer schema")
		}
		for _, v := range []int{future, b.Latest} {
			if !strings.Contains(err.Error(), strconv.Itoa(v)) {
				t.Fatalf("error %q does not mention version %d", err, v)
			}
		}
		// It can still be inspected.
		db, err = b.OpenUnmigrated(t.Context(), addr)
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
		addr := b.NewDatabase(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				db, err := b.Open(t.Context(), addr)
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

// mustOpen opens and migrates the database at addr, closed when t ends.
func mustOpen[D DB](t *testing.T, b Backend[D], addr string) D {
	t.Helper()
	db, err := b.Open(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
