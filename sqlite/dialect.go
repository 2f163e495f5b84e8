package sqlite

import (
	"errors"
	"time"

	"github.com/dagdeck/dagdeck/internal/sqldb"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// dialect is how the shared store code speaks to SQLite. Times are text in
// sqldb.TimeLayout, booleans integers, string lists JSON text.
var dialect = sqldb.Dialect{
	Name:        "sqlite",
	Placeholder: func(int) string { return "?" },
	EncodeTime:  func(t time.Time) any { return t.UTC().Format(sqldb.TimeLayout) },
	Violation:   violation,
	Queries:     sqldb.Statements,
}

// violation classifies SQLite's extended constraint error codes.
func violation(err error) sqldb.Violation {
	var serr *sqlite3.Error
	if !errors.As(err, &serr) {
		return sqldb.NoViolation
	}
	switch serr.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqldb.UniqueViolation
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqldb.ForeignKeyViolation
	}
	return sqldb.NoViolation
}
