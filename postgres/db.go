// Package postgres is the PostgreSQL metadata store of dagdeck, for
// deployments with several server replicas. It implements dagdeck.Store
// with github.com/jackc/pgx/v5 through database/sql (pgx/v5/stdlib), so
// its code reads like the sqlite package's.
//
// Update runs a READ COMMITTED transaction. LockDeployment takes the
// Deployment's row lock (SELECT … FOR UPDATE) and LockGC a transaction-level
// advisory lock, so deploys of one Deployment are serialized across
// processes. View runs a read-only REPEATABLE READ transaction: one snapshot.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/sqldb"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Advisory lock keys. Arbitrary, fixed, and distinct from each other.
const (
	gcLockKey      int64 = 0x6461676465636b01 // "dagdeck" 01: garbage collection
	migrateLockKey int64 = 0x6461676465636b02 // "dagdeck" 02: migrations
)

// maxOpenConns bounds the connections a DB opens.
const maxOpenConns = 20

// DB is a PostgreSQL metadata store. It implements dagdeck.Store.
type DB struct {
	db *sql.DB
}

var _ dagdeck.Store = (*DB)(nil)

// Open connects to the database at url (postgres://…) and applies pending
// migrations. It refuses a database whose schema is newer than this binary
// knows.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := OpenUnmigrated(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenUnmigrated connects to the database at url without applying or
// checking migrations, for tools that inspect the schema (dagdeck migrate
// status). Call Migrate before using it as a store.
func OpenUnmigrated(ctx context.Context, url string) (*DB, error) {
	pool, err := sql.Open("pgx", withConnectTimeout(url))
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(maxOpenConns)
	pool.SetMaxIdleConns(maxOpenConns)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", interpretUnavailable(ctx, err))
	}
	return &DB{db: pool}, nil
}

// Close closes the connections.
func (db *DB) Close() error { return db.db.Close() }

// Update runs fn in a READ COMMITTED transaction; fn's error is returned
// as it is, after rolling back.
func (db *DB) Update(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return db.runTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, fn)
}

// View runs fn in a read-only transaction on one snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return db.runTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, fn)
}

// runTx runs fn in a transaction on a connection taken within
// acquireTimeout; an unreachable database is EUNAVAILABLE.
func (db *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx dagdeck.Tx) error) error {
	conn, err := db.conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = dialect.RunTx(ctx, conn, opts, func(tx *sql.Tx) error {
		return fn(&Tx{Tx: sqldb.NewTx(tx, &dialect), tx: tx, readOnly: opts.ReadOnly})
	})
	return interpretUnavailable(ctx, err)
}

// Tx is a transaction of a DB. It implements dagdeck.Tx: sqldb.Tx with
// the locks.
type Tx struct {
	*sqldb.Tx
	tx       *sql.Tx
	readOnly bool
}

var _ dagdeck.Tx = (*Tx)(nil)

// LockDeployment takes the Deployment's row lock until the transaction
// ends. ENOTFOUND if it does not exist. In a View, which cannot lock rows,
// it only checks that the Deployment exists.
func (tx *Tx) LockDeployment(ctx context.Context, id string) error {
	q := `SELECT 1 FROM deployments WHERE id = $1 FOR UPDATE`
	if tx.readOnly {
		q = `SELECT 1 FROM deployments WHERE id = $1`
	}
	var one int
	err := tx.tx.QueryRowContext(ctx, q, id).Scan(&one)
	return dialect.InterpretError(err, "Deployment %q", id)
}

// LockGC takes the garbage-collection advisory lock until the transaction
// ends: exclusive for the collector, shared for deploys.
func (tx *Tx) LockGC(ctx context.Context, exclusive bool) error {
	q := `SELECT pg_advisory_xact_lock_shared($1)`
	if exclusive {
		q = `SELECT pg_advisory_xact_lock($1)`
	}
	if _, err := tx.tx.ExecContext(ctx, q, gcLockKey); err != nil {
		return fmt.Errorf("lock gc: %w", err)
	}
	return nil
}
