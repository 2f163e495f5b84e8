package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/sqlite"
	"github.com/dagdeck/dagdeck/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) dagdeck.Store {
		return openDB(t)
	})
}

// openDB opens a new database in a temporary directory, closed when t ends.
func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestStore_AuditTamper(t *testing.T) {
	storetest.Tamper(t, func(t *testing.T) (dagdeck.Store, func(string) error) {
		db := openDB(t)
		raw, err := sql.Open("sqlite", db.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return db, func(q string) error { _, err := raw.Exec(q); return err }
	})
}
