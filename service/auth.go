package service

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// TokenPrefix starts every API token secret, so leaked tokens are easy to find.
const TokenPrefix = "ddk_"

// SessionTTL is how long a web UI session lasts.
const SessionTTL = 12 * time.Hour

// HashSecret returns the stored form of a token or session secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token and returns it with its secret, which is
// shown once and never stored. A runtime token is for the Deployments
// (ids or names) it runs and reaches no other; other roles take none.
// Requires the admin role. EINVALID for an empty, long (over 100 bytes)
// or control-character name, a bad role or scope;
// ENOTFOUND for an unknown Deployment.
func (s *Service) CreateToken(ctx context.Context, name string, role dagdeck.Role, deployments ...string) (*dagdeck.Token, string, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, "", err
	}
	switch {
	case role == dagdeck.RoleRuntime && len(deployments) == 0:
		return nil, "", dagdeck.Errorf(dagdeck.EINVALID, "a runtime token is for the Deployments it runs: name them (--deployment NAME)")
	case role != dagdeck.RoleRuntime && len(deployments) > 0:
		return nil, "", dagdeck.Errorf(dagdeck.EINVALID, "only runtime tokens are limited to Deployments; a %s token reaches every Deployment its role allows", role)
	}
	return s.createToken(ctx, name, role, deployments...)
}

func (s *Service) createToken(ctx context.Context, name string, role dagdeck.Role, deployments ...string) (*dagdeck.Token, string, error) {
	if name == "" || len(name) > 100 {
		return nil, "", dagdeck.Errorf(dagdeck.EINVALID, "a token needs a name of 1 to 100 characters")
	}
	if err := dagdeck.ValidateText("the token name", name, false); err != nil {
		return nil, "", err
	}
	if !role.Valid() {
		return nil, "", dagdeck.Errorf(dagdeck.EINVALID, "role %q: want viewer, deployer, admin or runtime", role)
	}
	secret := dagdeck.NewSecret(TokenPrefix)
	t := &dagdeck.Token{ID: dagdeck.NewID(), Name: name, Role: role, Hash: HashSecret(secret), CreatedAt: s.Now()}
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		for _, ref := range deployments {
			dep, err := findDeployment(ctx, tx, ref)
			if err != nil {
				return err
			}
			if !slices.Contains(t.Deployments, dep.ID) {
				t.Deployments = append(t.Deployments, dep.ID)
			}
		}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		return s.record(ctx, tx, tokenChange(dagdeck.AuditTokenCreated, t))
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// EnsureAdminToken creates an admin token named "admin" when no token
// exists yet, returning its secret; otherwise it returns "".
func (s *Service) EnsureAdminToken(ctx context.Context) (string, error) {
	var n int
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		ts, err := tx.ListTokens(ctx)
		n = len(ts)
		return err
	})
	if err != nil || n > 0 {
		return "", err
	}
	_, secret, err := s.createToken(ctx, "admin", dagdeck.RoleAdmin)
	return secret, err
}

// ListTokens returns all tokens (without secrets). Requires the admin role.
func (s *Service) ListTokens(ctx context.Context) ([]*dagdeck.Token, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var ts []*dagdeck.Token
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		ts, err = tx.ListTokens(ctx)
		return err
	})
	return ts, err
}

// DeleteToken revokes a token. Requires the admin role.
func (s *Service) DeleteToken(ctx context.Context, id string) error {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx dagdeck.Tx) error {
		t, err := findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteToken(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, tokenChange(dagdeck.AuditTokenDeleted, t))
	})
}

// findToken returns the token with that id. ENOTFOUND if none.
func findToken(ctx context.Context, tx dagdeck.Tx, id string) (*dagdeck.Token, error) {
	ts, err := tx.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "token %q not found", id)
}

func tokenChange(action string, t *dagdeck.Token) change {
	summary := map[string]any{"name": t.Name, "role": t.Role}
	if len(t.Deployments) > 0 {
		summary["deployments"] = t.Deployments
	}
	return change{action: action, targetKind: "token", targetID: t.ID, summary: summary}
}

func userChange(action string, u *dagdeck.User) change {
	return change{action: action, targetKind: "user", targetID: u.ID, summary: map[string]any{"name": u.Name, "role": u.Role}}
}

// AuthenticateToken returns the actor of a token secret. EUNAUTHORIZED if it is unknown.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*dagdeck.Actor, error) {
	var t *dagdeck.Token
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		t, err = tx.FindTokenByHash(ctx, HashSecret(secret))
		return err
	})
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "invalid or revoked API token")
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		err := s.store.Update(ctx, func(tx dagdeck.Tx) error { return tx.TouchToken(ctx, t.ID, now) })
		if err != nil {
			s.logger.Warn("record token use", "token", t.ID, "err", err)
		}
	}
	return &dagdeck.Actor{ID: t.ID, Kind: dagdeck.ActorToken, Name: t.Name, Role: t.Role, Deployments: t.Deployments}, nil
}

// CreateUser creates a web UI user. Requires the admin role.
func (s *Service) CreateUser(ctx context.Context, name, password string, role dagdeck.Role) (*dagdeck.User, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	if err := dagdeck.ValidateDeploymentName(name); err != nil {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "invalid user name %q: use lowercase letters, digits and '-'", name)
	}
	if len(password) < 8 || len(password) > 1024 {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "a password needs 8 to 1024 characters")
	}
	if !role.Valid() || role == dagdeck.RoleRuntime {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "role %q: want viewer, deployer or admin", role)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &dagdeck.User{ID: dagdeck.NewID(), Name: name, Role: role, PasswordHash: hash, CreatedAt: s.Now()}
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if _, err := tx.FindUserByName(ctx, name); err == nil {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "a user named %q already exists", name)
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.record(ctx, tx, userChange(dagdeck.AuditUserCreated, u))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ListUsers returns all users. Requires the admin role.
func (s *Service) ListUsers(ctx context.Context) ([]*dagdeck.User, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var us []*dagdeck.User
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		us, err = tx.ListUsers(ctx)
		return err
	})
	return us, err
}

// DeleteUser removes a user and their sessions. Requires the admin role.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx dagdeck.Tx) error {
		us, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(us, func(u *dagdeck.User) bool { return u.ID == id })
		if i < 0 {
			return dagdeck.Errorf(dagdeck.ENOTFOUND, "user %q not found", id)
		}
		if err := tx.DeleteUser(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, userChange(dagdeck.AuditUserDeleted, us[i]))
	})
}

// Login checks a user's password, or an API token given as the password
// with an empty name, and opens a session. It returns the session secret
// (for the cookie) and the session. EUNAUTHORIZED on bad credentials.
func (s *Service) Login(ctx context.Context, name, password string) (string, *dagdeck.Session, error) {
	actor, err := s.checkCredentials(ctx, name, password)
	if dagdeck.ErrorCode(err) == dagdeck.EUNAUTHORIZED {
		s.recordRefusedLogin(ctx, name, err)
	}
	if err != nil {
		return "", nil, err
	}
	secret := dagdeck.NewSecret("dds_")
	now := s.Now()
	sess := &dagdeck.Session{Hash: HashSecret(secret), Actor: *actor, CSRFToken: dagdeck.NewSecret(""), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		return s.record(dagdeck.NewContextWithActor(ctx, actor), tx, change{action: dagdeck.AuditLoginSucceeded, targetKind: actor.Kind, targetID: actor.ID,
			summary: map[string]any{"name": actor.Name, "role": actor.Role}})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

func (s *Service) checkCredentials(ctx context.Context, name, password string) (*dagdeck.Actor, error) {
	if name == "" {
		a, err := s.AuthenticateToken(ctx, password)
		if err == nil && a.Role == dagdeck.RoleRuntime {
			return nil, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "a runtime token cannot log in to the web UI")
		}
		return a, err
	}
	var u *dagdeck.User
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		u, err = tx.FindUserByName(ctx, name)
		return err
	})
	if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return nil, err
	}
	if u == nil {
		// Spend the same work as for a real user, so the answer's timing
		// does not tell which user names exist.
		checkPassword(unknownUserHash(), password)
		return nil, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "wrong user name or password")
	}
	if !checkPassword(u.PasswordHash, password) {
		return nil, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "wrong user name or password")
	}
	return &dagdeck.Actor{ID: u.ID, Kind: dagdeck.ActorUser, Name: u.Name, Role: u.Role}, nil
}

// recordRefusedLogin records a refused web UI login. The actor is who the
// caller claimed to be: a user name, or an unnamed token (never the secret).
func (s *Service) recordRefusedLogin(ctx context.Context, name string, reason error) {
	claimed := &dagdeck.Actor{Kind: dagdeck.ActorUser, Name: name}
	if name == "" {
		claimed = &dagdeck.Actor{Kind: dagdeck.ActorToken, Name: "(token)"}
	}
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		return s.record(dagdeck.NewContextWithActor(ctx, claimed), tx, change{action: dagdeck.AuditLoginRefused, targetKind: claimed.Kind, targetID: "",
			summary: map[string]any{"name": claimed.Name, "reason": dagdeck.ErrorMessage(reason)}})
	})
	if err != nil {
		s.logger.Error("audit a refused login", "err", err)
	}
}

// Session returns the live session of a secret. EUNAUTHORIZED if it is unknown or expired.
func (s *Service) Session(ctx context.Context, secret string) (*dagdeck.Session, error) {
	var sess *dagdeck.Session
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		sess, err = tx.FindSession(ctx, HashSecret(secret))
		return err
	})
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND || (err == nil && !s.Now().Before(sess.ExpiresAt)) {
		return nil, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "session expired; log in again")
	}
	return sess, err
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, secret string) error {
	return s.store.Update(ctx, func(tx dagdeck.Tx) error { return tx.DeleteSession(ctx, HashSecret(secret)) })
}

const pbkdf2Iterations = 210_000

// unknownUserHash is a password hash no password matches in practice,
// checked for unknown user names.
var unknownUserHash = sync.OnceValue(func() string {
	h, err := hashPassword(dagdeck.NewSecret(""))
	if err != nil {
		panic(err)
	}
	return h
})

// hashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<key>".
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Iterations, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

func checkPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err1 := strconv.Atoi(parts[1])
	salt, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err3 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
