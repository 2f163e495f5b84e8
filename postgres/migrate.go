package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/dagdeck/dagdeck/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations are the embedded migrations, recorded in schema_migrations.
var migrations = sqldb.LoadMigrations(&dialect, migrationFS, sqldb.MigrationTable{
	Create: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL
)`,
	Count: `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'`,
	Lock:  fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, migrateLockKey),
})

// LatestSchemaVersion is the newest schema version this binary knows.
func LatestSchemaVersion() int { return migrations.Latest() }

// MigrationState is one migration: known to this binary, applied to the
// database, or both. AppliedAt is nil while it is pending.
type MigrationState = sqldb.MigrationState

// Migrate applies the pending migrations in order, in one transaction,
// recording each in schema_migrations. It holds an advisory lock meanwhile,
// so processes starting at once migrate one after the other. It refuses a
// database whose recorded schema is newer than this binary knows.
func (db *DB) Migrate(ctx context.Context) error { return migrations.Apply(ctx, db.db) }

// SchemaVersion returns the highest applied migration version, 0 for a
// database never migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return migrations.Version(ctx, db.db)
}

// Migrations lists every migration this binary knows and every one recorded
// in the database (a newer binary's appear with their recorded name), in
// version order, with when each was applied.
func (db *DB) Migrations(ctx context.Context) ([]MigrationState, error) {
	return migrations.States(ctx, db.db)
}
