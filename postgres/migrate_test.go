package postgres

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck/internal/testenv"
)

func mustOpen(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		url := testenv.PostgresURL(t)
		mustOpen(t, url).Close()
		db := mustOpen(t, url) // reopening applies nothing twice
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
		db, err := OpenUnmigrated(t.Context(), testenv.PostgresURL(t))
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
		url := testenv.PostgresURL(t)
		db := mustOpen(t, url)
		future := LatestSchemaVersion() + 1
		if _, err := db.db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at)
			VALUES ($1, 'from_the_future', now())`, future); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(t.Context(), url)
		if err == nil {
			t.Fatal("Open succeeded on a newer schema")
		}
		for _, v := range []int{future, LatestSchemaVersion()} {
			if !strings.Contains(err.Error(), strconv.Itoa(v)) {
				t.Fatalf("error %q does not mention version %d", err, v)
			}
		}
		db, err = OpenUnmigrated(t.Context(), url)
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
		url := testenv.PostgresURL(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				db, err := Open(t.Context(), url)
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
