package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Tx implements every method of dagdeck.Tx but LockDeployment and LockGC,
// with a dialect's statements. A backend's Tx embeds it and adds the locks.
type Tx struct {
	tx *sql.Tx
	d  *Dialect
	q  *Queries
}

// NewTx returns the Tx of the transaction tx, in dialect d.
func NewTx(tx *sql.Tx, d *Dialect) *Tx { return &Tx{tx: tx, d: d, q: &d.Queries} }

// Beginner begins transactions: a *sql.DB, or one *sql.Conn of it.
type Beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// RunTx runs fn in a transaction of pool begun with opts, committed if fn
// returns nil and rolled back otherwise; fn's error is returned as it is.
func (d *Dialect) RunTx(ctx context.Context, pool Beginner, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit; also covers a panicking fn
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return d.InterpretError(err, "commit")
	}
	return nil
}

func (tx *Tx) time(t time.Time) any { return tx.d.EncodeTime(t) }

// nullTime returns t as stored, or NULL for nil.
func (tx *Tx) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return tx.d.EncodeTime(*t)
}

func (tx *Tx) interpretError(err error, what string, args ...any) error {
	return tx.d.InterpretError(err, what, args...)
}

// mustAffect returns ENOTFOUND if res affected no row.
func (tx *Tx) mustAffect(res sql.Result, err error, what string, args ...any) error {
	if err != nil {
		return tx.interpretError(err, what, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return tx.interpretError(err, what, args...)
	}
	if n == 0 {
		return tx.interpretError(sql.ErrNoRows, what, args...)
	}
	return nil
}
