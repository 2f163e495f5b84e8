package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/jackc/pgx/v5/pgconn"
)

// Bounds of the calls to PostgreSQL that must be quick whatever a
// transaction does, so a request that cannot reach the database fails
// within seconds (EUNAVAILABLE) instead of waiting for the client's deadline.
const (
	// connectTimeout bounds dialing and authenticating a new connection
	// (connect_timeout, unless the URL sets one).
	connectTimeout = 5 * time.Second
	// acquireTimeout bounds waiting for a connection of the pool: an idle
	// one, or a new one.
	acquireTimeout = 10 * time.Second
)

// dependency names the database in EUNAVAILABLE messages.
const dependency = "metadata store (PostgreSQL)"

// withConnectTimeout returns url with connect_timeout set, unless it has one.
func withConnectTimeout(raw string) string {
	if strings.Contains(raw, "connect_timeout=") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return raw // a keyword/value string, or an error pgx reports
	}
	q := u.Query()
	q.Set("connect_timeout", fmt.Sprint(int(connectTimeout.Seconds())))
	u.RawQuery = q.Encode()
	return u.String()
}

// conn takes a connection from the pool within acquireTimeout. The caller
// closes it, which returns it to the pool.
func (db *DB) conn(ctx context.Context) (*sql.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, acquireTimeout)
	defer cancel()
	c, err := db.db.Conn(actx)
	if err != nil && ctx.Err() == nil {
		return nil, dagdeck.Unavailable(dependency, fmt.Errorf("connect: %w", err))
	}
	return c, err
}

// interpretUnavailable turns an error that says the database cannot be
// reached (refused, reset or timed-out connections, a server shutting
// down) into EUNAVAILABLE. Errors that already have a code stay as they are.
func interpretUnavailable(ctx context.Context, err error) error {
	var e *dagdeck.Error
	if err == nil || errors.As(err, &e) || ctx.Err() != nil {
		return err
	}
	if isUnavailable(err) {
		return dagdeck.Unavailable(dependency, err)
	}
	return err
}

// isUnavailable reports whether err means the database cannot be reached.
func isUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, context.DeadlineExceeded),
		pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// 08: connection exception; 57P01-03: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return strings.Contains(err.Error(), "conn closed")
}
