package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// timeLayout is how times are stored: UTC, microseconds, fixed width, so
// that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// encTime returns t as stored.
func encTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// encNullTime returns t as stored, or NULL for nil.
func encNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encTime(*t)
}

// timeCol scans a stored time into *T.
type timeCol struct{ T *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*c.T = t
	return nil
}

// nullTimeCol scans a stored time or NULL into *P.
type nullTimeCol struct{ P **time.Time }

// Scan implements sql.Scanner.
func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.P = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.P = &t
	return nil
}

// encStrings returns a string list as a JSON array ("null" for nil, so nil
// and empty lists round-trip).
func encStrings(a []string) string {
	b, _ := json.Marshal(a) // cannot fail for []string
	return string(b)
}

// stringsCol scans a JSON array into *P.
type stringsCol struct{ P *[]string }

// Scan implements sql.Scanner.
func (c stringsCol) Scan(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("scan string list: unexpected %T", v)
	}
	*c.P = nil
	if err := json.Unmarshal([]byte(s), c.P); err != nil {
		return fmt.Errorf("scan string list: %w", err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// interpretError translates database errors at the adapter boundary: no row
// becomes ENOTFOUND, a uniqueness violation ECONFLICT, a dangling reference
// ENOTFOUND. what names the thing for the message (a format and its args).
func interpretError(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	name := fmt.Sprintf(what, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s not found", name)
	}
	var serr *sqlite3.Error
	if errors.As(err, &serr) {
		switch serr.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return dagdeck.Errorf(dagdeck.ECONFLICT, "%s already exists", name)
		case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
			return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s refers to something that does not exist", name)
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// mustAffect returns ENOTFOUND if res affected no row.
func mustAffect(res sql.Result, err error, what string, args ...any) error {
	if err != nil {
		return interpretError(err, what, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return interpretError(err, what, args...)
	}
	if n == 0 {
		return interpretError(sql.ErrNoRows, what, args...)
	}
	return nil
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, tx *sql.Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanString(s scanner) (v string, err error) {
	err = s.Scan(&v)
	return v, err
}
