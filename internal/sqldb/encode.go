package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TimeLayout is how a database without a time type (SQLite) stores times:
// UTC, microseconds, fixed width, so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// timeCol scans a stored time into *T, in UTC: text in TimeLayout, or a
// time.Time from a database with a time type.
type timeCol struct{ T *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case string:
		t, err := parseStoredTime(v)
		if err != nil {
			return fmt.Errorf("scan time: %w", err)
		}
		*c.T = t
	case time.Time:
		*c.T = v.UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

// parseStoredTime parses a time in TimeLayout. A history page holds three
// per deploy, so the fixed-width layout is read digit by digit (a third of
// time.Parse's cost); anything else goes to time.Parse, which also words
// the errors.
func parseStoredTime(v string) (time.Time, error) {
	const layout = "dddd-dd-ddTdd:dd:dd.ddddddZ"
	if len(v) != len(layout) {
		return time.Parse(TimeLayout, v)
	}
	var n [7]int // year, month, day, hour, minute, second, microsecond
	field := 0
	for i := 0; i < len(layout); i++ {
		c := v[i]
		switch {
		case layout[i] != 'd':
			if c != layout[i] {
				return time.Parse(TimeLayout, v)
			}
			field++
		case c < '0' || c > '9':
			return time.Parse(TimeLayout, v)
		default:
			n[field] = 10*n[field] + int(c-'0')
		}
	}
	if n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > 31 || n[3] > 23 || n[4] > 59 || n[5] > 59 {
		return time.Parse(TimeLayout, v) // out of range: its error
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], n[6]*1000, time.UTC)
	if t.Day() != n[2] {
		return time.Parse(TimeLayout, v) // no such day (February 30th)
	}
	return t, nil
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

// stringsCol scans a JSON array (text or jsonb) into *P.
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

// scanPair scans a row of two strings.
func scanPair(s scanner) (p [2]string, err error) {
	err = s.Scan(&p[0], &p[1])
	return p, err
}

// where builds a WHERE clause with a dialect's placeholders.
type where struct {
	placeholder func(n int) string
	conds       []string
	args        []any
}

// add appends the condition cond, in which each %s stands for the
// placeholder of the next of vs.
func (w *where) add(cond string, vs ...any) {
	marks := make([]any, len(vs))
	for i, v := range vs {
		marks[i] = w.arg(v)
	}
	w.conds = append(w.conds, fmt.Sprintf(cond, marks...))
}

// in appends the condition "col IN (…)", with a placeholder for each of vs.
func (w *where) in(col string, vs []string) {
	marks := make([]string, len(vs))
	for i, v := range vs {
		marks[i] = w.arg(v)
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(marks, ", ")+")")
}

// arg appends v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return w.placeholder(len(w.args))
}

// clause returns " WHERE …" joining the conditions, or "" without any.
func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
