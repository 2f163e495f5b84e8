package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

// TokenColumns are the columns of tokens that a Token has.
const TokenColumns = `id, name, role, hash, created_at, last_used_at`

func scanToken(s scanner) (*dagdeck.Token, error) {
	var t dagdeck.Token
	err := s.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, timeCol{&t.CreatedAt}, nullTimeCol{&t.LastUsedAt})
	return &t, err
}

// CreateToken implements dagdeck.AuthTx.
func (tx *Tx) CreateToken(ctx context.Context, t *dagdeck.Token) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertToken,
		t.ID, t.Name, t.Role, t.Hash, tx.time(t.CreatedAt), tx.nullTime(t.LastUsedAt))
	if err != nil {
		return tx.interpretError(err, "token %q", t.Name)
	}
	for _, dep := range t.Deployments {
		_, err := tx.tx.ExecContext(ctx, tx.q.InsertTokenScope, t.ID, dep)
		if err != nil {
			return tx.interpretError(err, "scope of token %q", t.Name)
		}
	}
	return nil
}

// tokenScopes returns the Deployments of the tokens with scopes, by token id.
func (tx *Tx) tokenScopes(ctx context.Context, tokenID string) (map[string][]string, error) {
	w := tx.d.where()
	if tokenID != "" {
		w.add("token_id = %s", tokenID)
	}
	q := `SELECT token_id, deployment_id FROM token_scopes` + w.clause() + ` ORDER BY token_id, deployment_id`
	pairs, err := queryAll(ctx, tx.tx, scanPair, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("token scopes: %w", err)
	}
	out := map[string][]string{}
	for _, p := range pairs {
		out[p[0]] = append(out[p[0]], p[1])
	}
	return out, nil
}

// FindTokenByHash implements dagdeck.AuthTx.
func (tx *Tx) FindTokenByHash(ctx context.Context, hash string) (*dagdeck.Token, error) {
	t, err := scanToken(tx.tx.QueryRowContext(ctx, tx.q.FindTokenByHash, hash))
	if err != nil {
		return nil, tx.interpretError(err, "token")
	}
	scopes, err := tx.tokenScopes(ctx, t.ID)
	t.Deployments = scopes[t.ID]
	return t, err
}

// ListTokens implements dagdeck.AuthTx.
func (tx *Tx) ListTokens(ctx context.Context) ([]*dagdeck.Token, error) {
	out, err := queryAll(ctx, tx.tx, scanToken, tx.q.ListTokens)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	scopes, err := tx.tokenScopes(ctx, "")
	for _, t := range out {
		t.Deployments = scopes[t.ID]
	}
	return out, err
}

// DeleteToken implements dagdeck.AuthTx. Web sessions opened with the
// token end with it.
func (tx *Tx) DeleteToken(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.DeleteToken, id)
	if err := tx.mustAffect(res, err, "token %q", id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteActorSessions, dagdeck.ActorToken, id); err != nil {
		return fmt.Errorf("delete sessions of token %q: %w", id, err)
	}
	return nil
}

// TouchToken implements dagdeck.AuthTx.
func (tx *Tx) TouchToken(ctx context.Context, id string, t time.Time) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.TouchToken, tx.time(t), id)
	return tx.mustAffect(res, err, "token %q", id)
}

// UserColumns are the columns of users that a User has.
const UserColumns = `id, name, role, password_hash, created_at`

func scanUser(s scanner) (*dagdeck.User, error) {
	var u dagdeck.User
	err := s.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, timeCol{&u.CreatedAt})
	return &u, err
}

// CreateUser implements dagdeck.AuthTx.
func (tx *Tx) CreateUser(ctx context.Context, u *dagdeck.User) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertUser, u.ID, u.Name, u.Role, u.PasswordHash, tx.time(u.CreatedAt))
	return tx.interpretError(err, "user %q", u.Name)
}

// FindUserByName implements dagdeck.AuthTx.
func (tx *Tx) FindUserByName(ctx context.Context, name string) (*dagdeck.User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx, tx.q.FindUserByName, name))
	if err != nil {
		return nil, tx.interpretError(err, "user %q", name)
	}
	return u, nil
}

// ListUsers implements dagdeck.AuthTx.
func (tx *Tx) ListUsers(ctx context.Context) ([]*dagdeck.User, error) {
	out, err := queryAll(ctx, tx.tx, scanUser, tx.q.ListUsers)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser implements dagdeck.AuthTx.
func (tx *Tx) DeleteUser(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.DeleteUser, id)
	if err := tx.mustAffect(res, err, "user %q", id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteActorSessions, dagdeck.ActorUser, id); err != nil {
		return fmt.Errorf("delete sessions of user %q: %w", id, err)
	}
	return nil
}

// SessionColumns are the columns of sessions that a Session has.
const SessionColumns = `hash, actor_id, actor_kind, actor_name, actor_role, csrf_token, created_at, expires_at`

// CreateSession implements dagdeck.AuthTx.
func (tx *Tx) CreateSession(ctx context.Context, s *dagdeck.Session) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertSession,
		s.Hash, s.Actor.ID, s.Actor.Kind, s.Actor.Name, s.Actor.Role, s.CSRFToken, tx.time(s.CreatedAt), tx.time(s.ExpiresAt))
	return tx.interpretError(err, "session")
}

// FindSession implements dagdeck.AuthTx.
func (tx *Tx) FindSession(ctx context.Context, hash string) (*dagdeck.Session, error) {
	var s dagdeck.Session
	err := tx.tx.QueryRowContext(ctx, tx.q.FindSession, hash).Scan(
		&s.Hash, &s.Actor.ID, &s.Actor.Kind, &s.Actor.Name, &s.Actor.Role, &s.CSRFToken, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt})
	if err != nil {
		return nil, tx.interpretError(err, "session")
	}
	return &s, nil
}

// DeleteSession implements dagdeck.AuthTx.
func (tx *Tx) DeleteSession(ctx context.Context, hash string) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteSession, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements dagdeck.AuthTx.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, t time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteExpiredSessions, tx.time(t)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
