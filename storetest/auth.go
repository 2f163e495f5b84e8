package storetest

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func newToken(name string, n int) *dagdeck.Token {
	return &dagdeck.Token{
		ID: dagdeck.NewID(), Name: name, Role: dagdeck.RoleDeployer,
		Hash: dagdeck.DigestOf([]byte(dagdeck.NewID())), CreatedAt: at(n),
	}
}

func testTokens(t *testing.T, open Opener) {
	create := func(t *testing.T, s dagdeck.Store, tok *dagdeck.Token) *dagdeck.Token {
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateToken(t.Context(), tok) })
		return tok
	}
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		unused := create(t, s, newToken("ci", 1))
		used := newToken("admin", 2)
		used.Role, used.LastUsedAt = dagdeck.RoleAdmin, ptr(at(3))
		create(t, s, used)
		view(t, s, func(tx dagdeck.Tx) error {
			for _, want := range []*dagdeck.Token{unused, used} {
				got, err := tx.FindTokenByHash(t.Context(), want.Hash)
				wantNoError(t, err)
				wantEqual(t, want, got)
			}
			return nil
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		tok := create(t, s, newToken("ci", 1))
		sameID, sameHash := newToken("a", 2), newToken("b", 3)
		sameID.ID, sameHash.Hash = tok.ID, tok.Hash
		for _, dup := range []*dagdeck.Token{sameID, sameHash} {
			err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateToken(t.Context(), dup) })
			wantCode(t, err, dagdeck.ECONFLICT)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		create(t, s, newToken("ci", 1))
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindTokenByHash(t.Context(), dagdeck.DigestOf([]byte("nope")))
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
		err = s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.DeleteToken(t.Context(), dagdeck.NewID()) })
		wantCode(t, err, dagdeck.ENOTFOUND)
		err = s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.TouchToken(t.Context(), dagdeck.NewID(), t0) })
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t, open)
		b := create(t, s, newToken("b", 2))
		a := create(t, s, newToken("a", 1))
		c := create(t, s, newToken("c", 3))
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListTokens(t.Context())
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.Token{a, b, c}, got)
			return nil
		})
	})
	t.Run("DeleteAndTouch", func(t *testing.T) {
		s := newStore(t, open)
		gone := create(t, s, newToken("gone", 1))
		kept := create(t, s, newToken("kept", 2))
		gones := newSession(dagdeck.Actor{ID: gone.ID, Kind: dagdeck.ActorToken, Name: gone.Name, Role: gone.Role}, at(60))
		kepts := newSession(dagdeck.Actor{ID: kept.ID, Kind: dagdeck.ActorToken, Name: kept.Name, Role: kept.Role}, at(60))
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.CreateSession(t.Context(), gones))
			return tx.CreateSession(t.Context(), kepts)
		})
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.DeleteToken(t.Context(), gone.ID))
			return tx.TouchToken(t.Context(), kept.ID, at(50))
		})
		kept.LastUsedAt = ptr(at(50))
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListTokens(t.Context())
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.Token{kept}, got)
			// Web sessions opened with a revoked token end with it.
			_, err = tx.FindSession(t.Context(), gones.Hash)
			wantCode(t, err, dagdeck.ENOTFOUND)
			_, err = tx.FindSession(t.Context(), kepts.Hash)
			wantNoError(t, err)
			return nil
		})
	})
}

func newUser(name string) *dagdeck.User {
	return &dagdeck.User{ID: dagdeck.NewID(), Name: name, Role: dagdeck.RoleViewer, PasswordHash: "$2a$10$" + name, CreatedAt: t0}
}

func newSession(actor dagdeck.Actor, expires time.Time) *dagdeck.Session {
	return &dagdeck.Session{
		Hash: dagdeck.DigestOf([]byte(dagdeck.NewID())), Actor: actor, CSRFToken: dagdeck.NewID(),
		CreatedAt: t0, ExpiresAt: expires,
	}
}

func actorOf(u *dagdeck.User) dagdeck.Actor {
	return dagdeck.Actor{ID: u.ID, Kind: dagdeck.ActorUser, Name: u.Name, Role: u.Role}
}

func testUsers(t *testing.T, open Opener) {
	create := func(t *testing.T, s dagdeck.Store, u *dagdeck.User) *dagdeck.User {
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateUser(t.Context(), u) })
		return u
	}
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		bob := create(t, s, newUser("bob"))
		alice := newUser("alice")
		alice.Role = dagdeck.RoleAdmin
		create(t, s, alice)
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindUserByName(t.Context(), "bob")
			wantNoError(t, err)
			wantEqual(t, bob, got)
			all, err := tx.ListUsers(t.Context())
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.User{alice, bob}, all)
			return nil
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		create(t, s, newUser("bob"))
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateUser(t.Context(), newUser("bob")) })
		wantCode(t, err, dagdeck.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		create(t, s, newUser("bob"))
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindUserByName(t.Context(), "alice")
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
		err = s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.DeleteUser(t.Context(), dagdeck.NewID()) })
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t, open)
		bob := create(t, s, newUser("bob"))
		alice := create(t, s, newUser("alice"))
		bobs := newSession(actorOf(bob), at(60))
		alices := newSession(actorOf(alice), at(60))
		// A token actor with bob's id is not bob.
		tokens := newSession(dagdeck.Actor{ID: bob.ID, Kind: dagdeck.ActorToken, Name: "t", Role: dagdeck.RoleViewer}, at(60))
		update(t, s, func(tx dagdeck.Tx) error {
			for _, sess := range []*dagdeck.Session{bobs, alices, tokens} {
				wantNoError(t, tx.CreateSession(t.Context(), sess))
			}
			return nil
		})
		update(t, s, func(tx dagdeck.Tx) error { return tx.DeleteUser(t.Context(), bob.ID) })
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindUserByName(t.Context(), "bob")
			wantCode(t, err, dagdeck.ENOTFOUND)
			_, err = tx.FindSession(t.Context(), bobs.Hash)
			wantCode(t, err, dagdeck.ENOTFOUND)
			for _, kept := range []*dagdeck.Session{alices, tokens} {
				_, err = tx.FindSession(t.Context(), kept.Hash)
				wantNoError(t, err)
			}
			return nil
		})
	})
}

func testSessions(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		sess := newSession(dagdeck.Actor{ID: "u1", Kind: dagdeck.ActorUser, Name: "bob", Role: dagdeck.RoleDeployer}, at(60))
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateSession(t.Context(), sess) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindSession(t.Context(), sess.Hash)
			wantNoError(t, err)
			wantEqual(t, sess, got)
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindSession(t.Context(), "nope")
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t, open)
		actor := dagdeck.Actor{ID: "u1", Kind: dagdeck.ActorUser, Name: "bob", Role: dagdeck.RoleViewer}
		gone, kept := newSession(actor, at(60)), newSession(actor, at(60))
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.CreateSession(t.Context(), gone))
			wantNoError(t, tx.CreateSession(t.Context(), kept))
			wantNoError(t, tx.DeleteSession(t.Context(), gone.Hash))
			return tx.DeleteSession(t.Context(), "never-existed") // not an error
		})
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindSession(t.Context(), gone.Hash)
			wantCode(t, err, dagdeck.ENOTFOUND)
			_, err = tx.FindSession(t.Context(), kept.Hash)
			wantNoError(t, err)
			return nil
		})
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		s := newStore(t, open)
		now := at(60).Truncate(time.Second)
		actor := dagdeck.Actor{ID: "u1", Kind: dagdeck.ActorUser, Name: "bob", Role: dagdeck.RoleViewer}
		expired := newSession(actor, now.Add(-time.Millisecond))
		atNow := newSession(actor, now)
		live := newSession(actor, now.Add(time.Hour))
		update(t, s, func(tx dagdeck.Tx) error {
			for _, sess := range []*dagdeck.Session{expired, atNow, live} {
				wantNoError(t, tx.CreateSession(t.Context(), sess))
			}
			return tx.DeleteExpiredSessions(t.Context(), now)
		})
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindSession(t.Context(), expired.Hash)
			wantCode(t, err, dagdeck.ENOTFOUND)
			for _, kept := range []*dagdeck.Session{atNow, live} {
				_, err = tx.FindSession(t.Context(), kept.Hash)
				wantNoError(t, err)
			}
			return nil
		})
	})
}
