package storetest

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func testRollbackTurns(t *testing.T, open Opener) {
	t.Run("HoldReplaceRelease", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "prod")
		other := createDeployment(t, s, "other")
		held := func(id string) time.Time {
			var until time.Time
			view(t, s, func(tx dagdeck.Tx) (err error) { until, err = tx.RollbackTurnHeldUntil(t.Context(), id); return err })
			return until
		}
		if u := held(dep.ID); !u.IsZero() {
			t.Fatalf("a new Deployment's turn is held until %v", u)
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.HoldRollbackTurn(t.Context(), dep.ID, at(1)) })
		update(t, s, func(tx dagdeck.Tx) error { return tx.HoldRollbackTurn(t.Context(), dep.ID, at(2)) })
		if u := held(dep.ID); !u.Equal(at(2).Truncate(time.Microsecond)) {
			t.Fatalf("turn held until %v, want the replaced %v", u, at(2))
		}
		if u := held(other.ID); !u.IsZero() {
			t.Fatalf("another Deployment's turn is held until %v", u)
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.ReleaseRollbackTurn(t.Context(), dep.ID) })
		update(t, s, func(tx dagdeck.Tx) error { return tx.ReleaseRollbackTurn(t.Context(), dep.ID) })
		if u := held(dep.ID); !u.IsZero() {
			t.Fatalf("a released turn is held until %v", u)
		}
	})
}
