package postgres

import (
	"testing"

	"github.com/dagdeck/dagdeck/testsupport/sqldbtest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestMigrate(t *testing.T) {
	sqldbtest.RunMigrations(t, sqldbtest.Backend[*DB]{
		NewDatabase:    func(t *testing.T) string { return testenv.PostgresURL(t) },
		Open:           Open,
		OpenUnmigrated: OpenUnmigrated,
		Latest:         LatestSchemaVersion(),
		RecordMigration: func(t *testing.T, db *DB, version int, name string) {
			_, err := db.db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at)
				VALUES ($1, $2, now())`, version, name)
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}
