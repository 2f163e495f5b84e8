package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgreSQL error codes the adapter translates.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// encTime returns t as stored: UTC, truncated to microseconds (timestamptz
// precision; truncated, not rounded, like the sqlite store).
func encTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// encNullTime returns t as stored, or NULL for nil.
func encNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encTime(*t)
}

// timeCol scans a timestamptz into *T, in UTC.
type timeCol struct{ T *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	*c.T = t.UTC()
	return nil
}

// nullTimeCol scans a timestamptz or NULL into *P, in UTC.
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

// stringsCol scans a jsonb array into *P.
type stringsCol struct{ P *[]string }

// Scan implements sql.Scanner.
func (c stringsCol) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("scan string list: unexpected %T", v)
	}
	*c.P = nil
	if err := json.Unmarshal(b, c.P); err != nil {
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
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgUniqueViolation:
			return dagdeck.Errorf(dagdeck.ECONFLICT, "%s already exists", name)
		case pgForeignKeyViolation:
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

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends the condition cond, in which %s stands for v's placeholder.
func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, fmt.Sprintf(cond, fmt.Sprintf("$%d", len(w.args))))
}

// arg appends v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// clause returns " WHERE …" joining the conditions, or "" without any.
func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
