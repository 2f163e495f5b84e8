package postgres_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/postgres"
	"github.com/dagdeck/dagdeck/storetest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopPostgres()
	os.Exit(code)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) dagdeck.Store {
		return openDB(t)
	})
}

// openDB opens a new, empty database of the test cluster, closed when t ends.
func openDB(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), testenv.PostgresURL(t))
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
		url := testenv.PostgresURL(t)
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		raw, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return db, func(q string) error { _, err := raw.Exec(q); return err }
	})
}
