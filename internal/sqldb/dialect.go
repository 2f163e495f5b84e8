package sqldb

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Dialect is what the shared code needs to know about a backend's database.
type Dialect struct {
	// Name names the backend in messages ("sqlite").
	Name string
	// Placeholder returns the placeholder of a statement's nth argument,
	// counting from 1: "?" or "$1".
	Placeholder func(n int) string
	// EncodeTime returns t as the database stores it: in UTC, with
	// microsecond precision (truncated).
	EncodeTime func(t time.Time) any
	// Violation returns the constraint that err reports a violation of, if any.
	Violation func(err error) Violation
	// Queries are the backend's statements.
	Queries Queries
	// AuditLock is a statement that serializes audit appends across
	// processes until the transaction ends, taking one argument
	// (AuditLockKey); "" when write transactions are serialized anyway.
	AuditLock string
}

// AuditLockKey is the advisory lock key of audit appends.
const AuditLockKey = 0x64616764_61756474 // "dagdaudt"

// RebindQueries returns q with every statement's "?" placeholders
// rewritten by placeholder, so a statement the backends share is written
// once. A "?" inside a quoted string literal is left alone.
func RebindQueries(q Queries, placeholder func(n int) string) Queries {
	v := reflect.ValueOf(&q).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(rebind(f.String(), placeholder))
		}
	}
	return q
}

func rebind(q string, placeholder func(n int) string) string {
	var b strings.Builder
	n, quoted := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '?' && !quoted:
			n++
			b.WriteString(placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Violation is a kind of constraint violation.
type Violation int

// The violations InterpretError translates.
const (
	NoViolation         Violation = iota
	UniqueViolation               // unique or primary key: ECONFLICT
	ForeignKeyViolation           // a dangling reference: ENOTFOUND
)

// InterpretError translates database errors at the adapter boundary: no row
// becomes ENOTFOUND, a uniqueness violation ECONFLICT, a dangling reference
// ENOTFOUND. what names the thing for the message (a format and its args).
func (d *Dialect) InterpretError(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	name := fmt.Sprintf(what, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s not found", name)
	}
	switch d.Violation(err) {
	case UniqueViolation:
		return dagdeck.Errorf(dagdeck.ECONFLICT, "%s already exists", name)
	case ForeignKeyViolation:
		return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s refers to something that does not exist", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// where starts a WHERE clause in the dialect's placeholders.
func (d *Dialect) where() *where { return &where{placeholder: d.Placeholder} }
