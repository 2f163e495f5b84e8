package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

const tokenColumns = `id, name, role, hash, created_at, last_used_at`

func scanToken(s scanner) (*dagdeck.Token, error) {
	var t dagdeck.Token
	err := s.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, timeCol{&t.CreatedAt}, nullTimeCol{&t.LastUsedAt})
	return &t, err
}

// CreateToken implements dagdeck.AuthTx.
func (tx *Tx) CreateToken(ctx context.Context, t *dagdeck.Token) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.Name, t.Role, t.Hash, encTime(t.CreatedAt), encNullTime(t.LastUsedAt))
	return interpretError(err, "token %q", t.Name)
}

// FindTokenByHash implements dagdeck.AuthTx.
func (tx *Tx) FindTokenByHash(ctx context.Context, hash string) (*dagdeck.Token, error) {
	t, err := scanToken(tx.tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, interpretError(err, "token")
	}
	return t, nil
}

// ListTokens implements dagdeck.AuthTx.
func (tx *Tx) ListTokens(ctx context.Context) ([]*dagdeck.Token, error) {
	out, err := queryAll(ctx, tx.tx, scanToken, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken implements dagdeck.AuthTx.
func (tx *Tx) DeleteToken(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1`, id)
	return mustAffect(res, err, "token %q", id)
}

// TouchToken implements dagdeck.AuthTx.
func (tx *Tx) TouchToken(ctx context.Context, id string, t time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2`, encTime(t), id)
	return mustAffect(res, err, "token %q", id)
}

const userColumns = `id, name, role, password_hash, created_at`

func scanUser(s scanner) (*dagdeck.User, error) {
	var u dagdeck.User
	err := s.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, timeCol{&u.CreatedAt})
	return &u, err
}

// CreateUser implements dagdeck.AuthTx.
func (tx *Tx) CreateUser(ctx context.Context, u *dagdeck.User) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.Name, u.Role, u.PasswordHash, encTime(u.CreatedAt))
	return interpretError(err, "user %q", u.Name)
}

// FindUserByName implements dagdeck.AuthTx.
func (tx *Tx) FindUserByName(ctx context.Context, name string) (*dagdeck.User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	if err != nil {
		return nil, interpretError(err, "user %q", name)
	}
	return u, nil
}

// ListUsers implements dagdeck.AuthTx.
func (tx *Tx) ListUsers(ctx context.Context) ([]*dagdeck.User, error) {
	out, err := queryAll(ctx, tx.tx, scanUser, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser implements dagdeck.AuthTx.
func (tx *Tx) DeleteUser(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err := mustAffect(res, err, "user %q", id); err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE actor_kind = $1 AND actor_id = $2`, dagdeck.ActorUser, id)
	if err != nil {
		return fmt.Errorf("delete sessions of user %q: %w", id, err)
	}
	return nil
}

const sessionColumns = `hash, actor_id, actor_kind, actor_name, actor_role, csrf_token, created_at, expires_at`

// CreateSession implements dagdeck.AuthTx.
func (tx *Tx) CreateSession(ctx context.Context, s *dagdeck.Session) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.Hash, s.Actor.ID, s.Actor.Kind, s.Actor.Name, s.Actor.Role, s.CSRFToken, encTime(s.CreatedAt), encTime(s.ExpiresAt))
	return interpretError(err, "session")
}

// FindSession implements dagdeck.AuthTx.
func (tx *Tx) FindSession(ctx context.Context, hash string) (*dagdeck.Session, error) {
	var s dagdeck.Session
	err := tx.tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = $1`, hash).Scan(
		&s.Hash, &s.Actor.ID, &s.Actor.Kind, &s.Actor.Name, &s.Actor.Role, &s.CSRFToken, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt})
	if err != nil {
		return nil, interpretError(err, "session")
	}
	return &s, nil
}

// DeleteSession implements dagdeck.AuthTx.
func (tx *Tx) DeleteSession(ctx context.Context, hash string) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements dagdeck.AuthTx.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, t time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, encTime(t)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
