package postgres

import (
	"errors"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck/internal/sqldb"
	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is how the shared store code speaks to PostgreSQL. Times are
// timestamptz, string lists jsonb.
var dialect = sqldb.Dialect{
	Name:        "postgres",
	Placeholder: placeholder,
	// UTC, truncated to microseconds (timestamptz precision; truncated, not
	// rounded, like the sqlite store).
	EncodeTime: func(t time.Time) any { return t.UTC().Truncate(time.Microsecond) },
	Violation:  violation,
	Queries:    queries(),
	AuditLock:  `SELECT pg_advisory_xact_lock($1)`,
}

// queries are the shared statements in PostgreSQL's placeholders. Claiming
// outbox messages locks them and skips those that other transactions hold
// (SQLite serializes write transactions anyway).
func queries() sqldb.Queries {
	q := sqldb.RebindQueries(sqldb.Statements, placeholder)
	q.ClaimOutbox += ` FOR UPDATE SKIP LOCKED`
	return q
}

// placeholder is PostgreSQL's placeholder of a statement's nth argument.
func placeholder(n int) string { return "$" + strconv.Itoa(n) }

// PostgreSQL error codes the adapter translates.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// violation classifies PostgreSQL's SQLSTATE codes.
func violation(err error) sqldb.Violation {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return sqldb.NoViolation
	}
	switch pgErr.Code {
	case pgUniqueViolation:
		return sqldb.UniqueViolation
	case pgForeignKeyViolation:
		return sqldb.ForeignKeyViolation
	}
	return sqldb.NoViolation
}
