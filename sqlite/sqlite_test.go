package sqlite_test

import (
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
