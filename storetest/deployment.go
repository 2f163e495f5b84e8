package storetest

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testCreateDeployment(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		d := newDeployment("etl")
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDeployment(t.Context(), d) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDeployment(t.Context(), d.ID)
			wantNoError(t, err)
			wantEqual(t, d, got)
			got, err = tx.FindDeploymentByName(t.Context(), d.Name)
			wantNoError(t, err)
			wantEqual(t, d, got)
			return nil
		})
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t, open)
		d := &dagdeck.Deployment{ID: dagdeck.NewID(), Name: "bare", CreatedAt: t0, UpdatedAt: t0}
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDeployment(t.Context(), d) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDeployment(t.Context(), d.ID)
			wantNoError(t, err)
			wantEqual(t, d, got)
			return nil
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.CreateDeployment(t.Context(), newDeployment("etl"))
		})
		wantCode(t, err, dagdeck.ECONFLICT)
		sameID := newDeployment("other")
		sameID.ID = d.ID
		err = s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateDeployment(t.Context(), sameID) })
		wantCode(t, err, dagdeck.ECONFLICT)
	})
}

func testFindDeployment(t *testing.T, open Opener) {
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		createDeployment(t, s, "etl")
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDeployment(t.Context(), dagdeck.NewID())
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("ByNameErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		createDeployment(t, s, "etl")
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDeploymentByName(t.Context(), "elt")
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testListDeployments(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		c := createDeployment(t, s, "charlie")
		a := createDeployment(t, s, "alpha")
		b := createDeployment(t, s, "bravo")
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListDeployments(t.Context())
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.Deployment{a, b, c}, got)
			return nil
		})
	})
	t.Run("Empty", func(t *testing.T) {
		s := newStore(t, open)
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListDeployments(t.Context())
			wantNoError(t, err)
			if len(got) != 0 {
				t.Fatalf("got %d Deployments, want none", len(got))
			}
			return nil
		})
	})
}

func testUpdateDeployment(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		u := *d
		u.Name, u.Description, u.Executor, u.SchedulerSize = "etl-2", "renamed", "kubernetes", "large"
		u.WorkerQueues, u.WorkerConcurrency, u.IsDagDeployEnabled = []string{"only"}, 4, false
		u.Env = []dagdeck.EnvVar{
			{Key: "API_KEY", Value: "rotated", IsSecret: true, UpdatedAt: at(10)},
			{Key: "NEW", Value: "", UpdatedAt: at(11)},
		}
		u.CurrentDeployID, u.RuntimeVersion, u.ImageTag, u.DagBundleVersion = dagdeck.NewID(), "2.0.0", "deploy-x", "bundle-x"
		u.CreatedAt, u.UpdatedAt = at(-5), at(12)
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeployment(t.Context(), &u) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDeployment(t.Context(), d.ID)
			wantNoError(t, err)
			wantEqual(t, &u, got)
			got, err = tx.FindDeployment(t.Context(), other.ID)
			wantNoError(t, err)
			wantEqual(t, other, got)
			return nil
		})
	})
	t.Run("KeepsSequence", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		createDeploys(t, s, d, 2)
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeployment(t.Context(), d) })
		if got := createDeploy(t, s, newDeploy(d, 3)).Sequence; got != 3 {
			t.Fatalf("sequence after UpdateDeployment = %d, want 3", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.UpdateDeployment(t.Context(), newDeployment("ghost"))
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		createDeployment(t, s, "etl")
		d := createDeployment(t, s, "other")
		d.Name = "etl"
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.UpdateDeployment(t.Context(), d) })
		wantCode(t, err, dagdeck.ECONFLICT)
	})
}

func testEnvChanges(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		since := at(10) // "AT" changed exactly then: not after it
		update(t, s, func(tx dagdeck.Tx) error {
			ctx := t.Context()
			for _, c := range []struct {
				dep *dagdeck.Deployment
				key string
				n   int
			}{
				{d, "OLD", 5}, {d, "B", 11}, {d, "A", 12}, {d, "B", 13}, {d, "AT", 10}, {other, "OTHER", 20},
			} {
				wantNoError(t, tx.RecordEnvChange(ctx, c.dep.ID, c.key, at(c.n)))
			}
			return nil
		})
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.EnvKeysChangedSince(t.Context(), d.ID, since)
			wantNoError(t, err)
			wantEqual(t, []string{"A", "B"}, got)
			got, err = tx.EnvKeysChangedSince(t.Context(), d.ID, at(100))
			wantNoError(t, err)
			wantEqual(t, []string(nil), got)
			return nil
		})
	})
}
