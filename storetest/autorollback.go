package storetest

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testAutoRollback(t *testing.T, open Opener) {
	t.Run("Policies", func(t *testing.T) {
		s := newStore(t, open)
		on, off := createDeployment(t, s, "on"), createDeployment(t, s, "off")
		err := viewErr(t, s, func(tx dagdeck.Tx) error { _, err := tx.AutoRollbackPolicy(t.Context(), on.ID); return err })
		wantCode(t, err, dagdeck.ENOTFOUND)
		p := dagdeck.DefaultAutoRollbackPolicy
		p.Enabled = true
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutAutoRollbackPolicy(t.Context(), off.ID, &p) })
		update(t, s, func(tx dagdeck.Tx) error {
			return tx.PutAutoRollbackPolicy(t.Context(), off.ID, &dagdeck.DefaultAutoRollbackPolicy)
		})
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutAutoRollbackPolicy(t.Context(), on.ID, &p) })
		var got *dagdeck.AutoRollbackPolicy
		view(t, s, func(tx dagdeck.Tx) (err error) { got, err = tx.AutoRollbackPolicy(t.Context(), off.ID); return err })
		wantEqual(t, &dagdeck.DefaultAutoRollbackPolicy, got)
		var enabled map[string]*dagdeck.AutoRollbackPolicy
		view(t, s, func(tx dagdeck.Tx) (err error) { enabled, err = tx.EnabledAutoRollbacks(t.Context()); return err })
		wantEqual(t, map[string]*dagdeck.AutoRollbackPolicy{on.ID: &p}, enabled)
	})
	t.Run("ImportErrorFiles", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeploy(t, s, newDeploy(createDeployment(t, s, "prod"), 1))
		files := func() []string {
			var out []string
			view(t, s, func(tx dagdeck.Tx) (err error) { out, err = tx.ImportErrorFiles(t.Context(), d.ID); return err })
			return out
		}
		if got := files(); len(got) != 0 {
			t.Fatalf("a new deploy's import error files = %q", got)
		}
		update(t, s, func(tx dagdeck.Tx) error {
			return tx.PutImportErrorFiles(t.Context(), d.ID, []string{"b.py", "a.py", "b.py"})
		})
		wantEqual(t, []string{"a.py", "b.py"}, files())
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutImportErrorFiles(t.Context(), d.ID, []string{"c.py"}) })
		wantEqual(t, []string{"c.py"}, files())
	})
	t.Run("CountTries", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "prod")
		d, other := createDeploy(t, s, newDeploy(dep, 1)), createDeploy(t, s, newDeploy(dep, 2))
		r := createRun(t, s, dep, "etl", "run-1", 1)
		for i, state := range []string{dagdeck.TaskFailed, dagdeck.TaskUpForRetry, dagdeck.TaskSuccess,
			dagdeck.TaskSkipped, dagdeck.TaskSuccess, dagdeck.TaskRunning, dagdeck.TaskUpstreamFailed} {
			ti := newTask(r, string(rune('a'+i)), d.ID)
			ti.State = state
			createTask(t, s, ti)
		}
		ti := newTask(r, "z", other.ID)
		ti.State = dagdeck.TaskFailed
		createTask(t, s, ti)
		var c dagdeck.TryCounts
		view(t, s, func(tx dagdeck.Tx) (err error) { c, err = tx.CountTries(t.Context(), d.ID); return err })
		wantEqual(t, dagdeck.TryCounts{Failed: 2, Ended: 5}, c)
	})
	t.Run("Decisions", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "prod")
		d := createDeploy(t, s, newDeploy(dep, 1))
		decided := func() bool {
			var ok bool
			view(t, s, func(tx dagdeck.Tx) (err error) { ok, err = tx.AutoRollbackDecided(t.Context(), d.ID); return err })
			return ok
		}
		if decided() {
			t.Fatal("a new deploy has a decision")
		}
		dec := &dagdeck.AutoRollbackDecision{DeployID: d.ID, DeploymentID: dep.ID, At: at(5), Outcome: dagdeck.AutoNoTarget, Reason: "no good deploy"}
		update(t, s, func(tx dagdeck.Tx) error { return tx.RecordAutoRollback(t.Context(), dec) })
		if !decided() {
			t.Fatal("a recorded decision is not found")
		}
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.RecordAutoRollback(t.Context(), dec) })
		wantCode(t, err, dagdeck.ECONFLICT)
	})
}

func testActivations(t *testing.T, open Opener) {
	t.Run("PutReplaceFind", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "prod")
		err := viewErr(t, s, func(tx dagdeck.Tx) error { _, err := tx.FindActivation(t.Context(), dep.ID); return err })
		wantCode(t, err, dagdeck.ENOTFOUND)
		a := &dagdeck.Activation{DeployID: dagdeck.NewID(), State: dagdeck.ActivationPending, At: at(1)}
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutActivation(t.Context(), dep.ID, a) })
		a = &dagdeck.Activation{DeployID: a.DeployID, State: dagdeck.ActivationFailed, Error: "no such image", At: at(2)}
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutActivation(t.Context(), dep.ID, a) })
		var got *dagdeck.Activation
		view(t, s, func(tx dagdeck.Tx) (err error) { got, err = tx.FindActivation(t.Context(), dep.ID); return err })
		wantEqual(t, a, got)
	})
}
