package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded SQL file, migrations/NNN_name.sql.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations are the embedded migrations in version order.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("postgres: bad migration file name %q: want NNN_name.sql", name))
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{Version: v, Name: label, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			panic(fmt.Sprintf("postgres: migration versions must be 1, 2, 3…; found %d at position %d", m.Version, i+1))
		}
	}
	return ms
}

// LatestSchemaVersion is the newest schema version this binary knows.
func LatestSchemaVersion() int { return len(migrations) }

// MigrationState is one migration: known to this binary, applied to the
// database, or both. AppliedAt is nil while it is pending.
type MigrationState struct {
	Version   int
	Name      string
	AppliedAt *time.Time
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL
)`

// Migrate applies the pending migrations in order, in one transaction,
// recording each in schema_migrations. It holds an advisory lock meanwhile,
// so processes starting at once migrate one after the other. It refuses a
// database whose recorded schema is newer than this binary knows.
func (db *DB) Migrate(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > LatestSchemaVersion() {
		return fmt.Errorf("migrate: database schema version %d is newer than version %d known to this dagdeck binary; upgrade dagdeck", current, LatestSchemaVersion())
	}
	now := encTime(time.Now())
	for _, m := range migrations[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: apply %03d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, now); err != nil {
			return fmt.Errorf("migrate: record %03d_%s: %w", m.Version, m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration version, 0 for a
// database never migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("schema version: begin: %w", err)
	}
	defer tx.Rollback()
	if ok, err := hasMigrationsTable(ctx, tx); err != nil || !ok {
		return 0, err
	}
	return schemaVersion(ctx, tx)
}

// Migrations lists every migration this binary knows and every one recorded
// in the database (a newer binary's appear with their recorded name), in
// version order, with when each was applied.
func (db *DB) Migrations(ctx context.Context) ([]MigrationState, error) {
	states := make(map[int]*MigrationState)
	for _, m := range migrations {
		states[m.Version] = &MigrationState{Version: m.Version, Name: m.Name}
	}
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("migrations: begin: %w", err)
	}
	defer tx.Rollback()
	ok, err := hasMigrationsTable(ctx, tx)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := loadApplied(ctx, tx, states); err != nil {
			return nil, err
		}
	}
	out := make([]MigrationState, 0, len(states))
	for _, s := range states {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func loadApplied(ctx context.Context, tx *sql.Tx, states map[int]*MigrationState) error {
	rows, err := tx.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s MigrationState
		if err := rows.Scan(&s.Version, &s.Name, nullTimeCol{&s.AppliedAt}); err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		states[s.Version] = &s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

func hasMigrationsTable(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("schema version: %w", err)
	}
	return n > 0, nil
}

func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
