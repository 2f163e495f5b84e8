// Package sqlite is the default metadata store of dagdeck: a pure-Go SQLite
// database (modernc.org/sqlite) in WAL mode implementing dagdeck.Store.
//
// Writers are serialized by a single write connection whose transactions
// begin IMMEDIATE, so concurrent Updates in one process queue instead of
// failing with SQLITE_BUSY; other processes wait up to the busy timeout.
// Views run on a pool of read-only connections and see a snapshot.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/sqldb"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 10 * time.Second

// DB is a SQLite metadata store. It implements dagdeck.Store.
type DB struct {
	path  string
	write *sql.DB // one connection: BEGIN IMMEDIATE transactions
	read  *sql.DB // query_only connections for View
}

var _ dagdeck.Store = (*DB)(nil)

// Open opens the database at path, creating it if needed, and applies
// pending migrations. It refuses a database whose schema is newer than this
// binary knows. path must name a file (WAL needs one; ":memory:" won't do).
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := OpenUnmigrated(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenUnmigrated opens the database at path without applying or checking
// migrations, for tools that inspect the schema (dagdeck migrate status).
// Call Migrate before using it as a store.
func OpenUnmigrated(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite: a file path is required, got %q", path)
	}
	db := &DB{path: path}
	var err error
	if db.write, err = openPool(ctx, path, false); err != nil {
		return nil, err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxIdleTime(0)
	if db.read, err = openPool(ctx, path, true); err != nil {
		db.write.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	return db, nil
}

func openPool(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := ping(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return pool, nil
}

// ping opens a first connection. Switching a new database to WAL takes an
// exclusive lock without waiting on the busy handler, so processes opening
// the same new database at once may get SQLITE_BUSY: retry until the busy
// timeout.
func ping(ctx context.Context, pool *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := pool.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Update runs fn in a write transaction. Write transactions run one at a
// time; fn's error is returned as it is, after rolling back.
func (db *DB) Update(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return dialect.RunTx(ctx, db.write, nil, func(tx *sql.Tx) error { return fn(newTx(tx)) })
}

// View runs fn in a read-only transaction on a snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return dialect.RunTx(ctx, db.read, &sql.TxOptions{ReadOnly: true}, func(tx *sql.Tx) error { return fn(newTx(tx)) })
}

// Tx is a transaction of a DB. It implements dagdeck.Tx: sqldb.Tx with
// the locks.
type Tx struct {
	*sqldb.Tx
	tx *sql.Tx
}

var _ dagdeck.Tx = (*Tx)(nil)

func newTx(tx *sql.Tx) *Tx { return &Tx{Tx: sqldb.NewTx(tx, &dialect), tx: tx} }

// LockDeployment returns ENOTFOUND if the Deployment does not exist. It takes
// no lock: a write transaction already excludes every other writer.
func (tx *Tx) LockDeployment(ctx context.Context, id string) error {
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM deployments WHERE id = ?`, id).Scan(&one)
	return dialect.InterpretError(err, "Deployment %q", id)
}

// LockGC is a no-op: a write transaction already excludes every other writer.
func (tx *Tx) LockGC(ctx context.Context, exclusive bool) error { return nil }
