package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migrations are a backend's schema migrations: the embedded files
// migrations/NNN_name.sql, applied in version order and recorded in the
// table schema_migrations.
type Migrations struct {
	d     *Dialect
	table MigrationTable
	list  []migration
}

// MigrationTable is how a backend keeps the table schema_migrations.
type MigrationTable struct {
	// Create creates schema_migrations (version integer primary key, name
	// text, applied_at time; none null) if it does not exist.
	Create string
	// Count returns how many tables named schema_migrations the current
	// schema has: 0 or 1.
	Count string
	// Lock, if not empty, runs first in the migrating transaction and holds
	// a lock until it ends, so that processes migrate one after the other.
	Lock string
}

// MigrationState is one migration: known to this binary, applied to the
// database, or both. AppliedAt is nil while it is pending.
type MigrationState struct {
	Version   int
	Name      string
	AppliedAt *time.Time
}

// migration is one embedded SQL file, migrations/NNN_name.sql.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files migrations/*.sql of fsys, numbered 1, 2,
// 3… It panics on a bad name or a gap: the files are compiled in.
func LoadMigrations(d *Dialect, fsys fs.FS, table MigrationTable) *Migrations {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	m := &Migrations{d: d, table: table}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("%s: bad migration file name %q: want NNN_name.sql", d.Name, name))
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		m.list = append(m.list, migration{Version: v, Name: label, SQL: string(b)})
	}
	slices.SortFunc(m.list, func(a, b migration) int { return cmp.Compare(a.Version, b.Version) })
	for i, mig := range m.list {
		if mig.Version != i+1 {
			panic(fmt.Sprintf("%s: migration versions must be 1, 2, 3…; found %d at position %d", d.Name, mig.Version, i+1))
		}
	}
	return m
}

// Latest returns the newest schema version this binary knows.
func (m *Migrations) Latest() int { return len(m.list) }

// Apply applies the pending migrations in order, in one transaction of
// pool, recording each in schema_migrations. It refuses a database whose
// recorded schema is newer than this binary knows.
func (m *Migrations) Apply(ctx context.Context, pool *sql.DB) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if m.table.Lock != "" {
		if _, err := tx.ExecContext(ctx, m.table.Lock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, m.table.Create); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	current, err := m.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > m.Latest() {
		return fmt.Errorf("migrate: database schema version %d is newer than version %d known to this dagdeck binary; upgrade dagdeck", current, m.Latest())
	}
	now := m.d.EncodeTime(time.Now())
	for _, mig := range m.list[current:] {
		if _, err := tx.ExecContext(ctx, mig.SQL); err != nil {
			return fmt.Errorf("migrate: apply %03d_%s: %w", mig.Version, mig.Name, err)
		}
		if _, err := tx.ExecContext(ctx, m.d.Queries.RecordMigration, mig.Version, mig.Name, now); err != nil {
			return fmt.Errorf("migrate: record %03d_%s: %w", mig.Version, mig.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// Version returns the highest migration version applied to the database of
// pool, 0 for a database never migrated.
func (m *Migrations) Version(ctx context.Context, pool *sql.DB) (int, error) {
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("schema version: begin: %w", err)
	}
	defer tx.Rollback()
	if ok, err := m.hasTable(ctx, tx); err != nil || !ok {
		return 0, err
	}
	return m.schemaVersion(ctx, tx)
}

// States lists every migration this binary knows and every one recorded in
// the database of pool (a newer binary's appear with their recorded name),
// in version order, with when each was applied.
func (m *Migrations) States(ctx context.Context, pool *sql.DB) ([]MigrationState, error) {
	states := make(map[int]*MigrationState)
	for _, mig := range m.list {
		states[mig.Version] = &MigrationState{Version: mig.Version, Name: mig.Name}
	}
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("migrations: begin: %w", err)
	}
	defer tx.Rollback()
	ok, err := m.hasTable(ctx, tx)
	if err != nil {
		return nil, err
	}
	if ok {
		applied, err := queryAll(ctx, tx, func(s scanner) (st MigrationState, err error) {
			err = s.Scan(&st.Version, &st.Name, nullTimeCol{&st.AppliedAt})
			return st, err
		}, m.d.Queries.ListMigrations)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		for _, s := range applied {
			states[s.Version] = &s
		}
	}
	out := make([]MigrationState, 0, len(states))
	for _, s := range states {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b MigrationState) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

func (m *Migrations) hasTable(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, m.table.Count).Scan(&n); err != nil {
		return false, fmt.Errorf("schema version: %w", err)
	}
	return n > 0, nil
}

func (m *Migrations) schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	if err := tx.QueryRowContext(ctx, m.d.Queries.SchemaVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
