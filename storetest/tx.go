package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testFeatureRows(t *testing.T, open Opener) {
	// setup gives dep two noted task instances, one without a note and two
	// XCom values; other gets one of each.
	setup := func(t *testing.T) (dagdeck.Store, *dagdeck.Deployment, *dagdeck.Deployment, []*dagdeck.TaskInstance) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		for _, d := range []*dagdeck.Deployment{dep, other} {
			r, tis := runWithTasks(t, s, d, "r1", "a", "b", "c")
			update(t, s, func(tx dagdeck.Tx) error {
				n := 2
				if d == other {
					n = 1
				}
				for i, ti := range tis[:n] {
					ti.Note = fmt.Sprint("note ", i)
					wantNoError(t, tx.UpdateTaskInstance(t.Context(), ti))
					wantNoError(t, tx.PutXCom(t.Context(), d.ID, &dagdeck.XCom{DagRunID: r.ID, TaskID: ti.TaskID, Key: "return_value", Value: "v"}))
				}
				return nil
			})
		}
		_, tis := runWithTasks(t, s, dep, "r2", "x") // no note
		return s, dep, other, tis
	}
	count := func(t *testing.T, s dagdeck.Store, dep *dagdeck.Deployment, f dagdeck.Feature) (n int) {
		t.Helper()
		view(t, s, func(tx dagdeck.Tx) (err error) {
			n, err = tx.CountFeatureRows(t.Context(), dep.ID, f)
			return err
		})
		return n
	}
	erase := func(t *testing.T, s dagdeck.Store, dep *dagdeck.Deployment, f dagdeck.Feature) (n int) {
		t.Helper()
		update(t, s, func(tx dagdeck.Tx) (err error) {
			n, err = tx.EraseFeatureRows(t.Context(), dep.ID, f)
			return err
		})
		return n
	}
	for _, f := range []dagdeck.Feature{dagdeck.FeatureTaskNotes, dagdeck.FeatureXCom} {
		t.Run(f.Name, func(t *testing.T) {
			s, dep, other, _ := setup(t)
			if got := count(t, s, dep, f); got != 2 {
				t.Fatalf("count = %d, want 2", got)
			}
			if got := erase(t, s, dep, f); got != 2 {
				t.Fatalf("erased %d, want 2", got)
			}
			if got := count(t, s, dep, f); got != 0 {
				t.Fatalf("count after erase = %d, want 0", got)
			}
			if got := erase(t, s, dep, f); got != 0 {
				t.Fatalf("second erase erased %d, want 0", got)
			}
			if got := count(t, s, other, f); got != 1 {
				t.Fatalf("other Deployment's count = %d, want 1 (untouched)", got)
			}
		})
	}
	t.Run("EraseKeepsTasks", func(t *testing.T) {
		s, dep, _, _ := setup(t)
		erase(t, s, dep, dagdeck.FeatureTaskNotes)
		view(t, s, func(tx dagdeck.Tx) error {
			tis, err := tx.ListTaskInstances(t.Context(), dagdeck.TaskFilter{DeploymentID: dep.ID})
			wantNoError(t, err)
			if len(tis) != 4 {
				t.Fatalf("%d task instances after erasing notes, want 4", len(tis))
			}
			for _, ti := range tis {
				if ti.Note != "" {
					t.Fatalf("task %s still has note %q", ti.TaskID, ti.Note)
				}
			}
			n, err := tx.CountFeatureRows(t.Context(), dep.ID, dagdeck.FeatureXCom)
			wantNoError(t, err)
			if n != 2 {
				t.Fatalf("XCom rows = %d after erasing notes, want 2", n)
			}
			return nil
		})
	})
}

func testUpdate(t *testing.T, open Opener) {
	t.Run("ErrRollsBack", func(t *testing.T) {
		s := newStore(t, open)
		kept := createDeployment(t, s, "kept")
		d := newDeployment("etl")
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			wantNoError(t, tx.CreateDeployment(t.Context(), d))
			wantNoError(t, tx.CreateDeploy(t.Context(), newDeploy(d, 1)))
			wantNoError(t, tx.CreateDeploy(t.Context(), newDeploy(kept, 1)))
			wantNoError(t, tx.CreateToken(t.Context(), newToken("ci", 1)))
			return fmt.Errorf("wrapped: %w", errTest)
		})
		if !errors.Is(err, errTest) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDeploymentByName(t.Context(), "etl")
			wantCode(t, err, dagdeck.ENOTFOUND)
			deploys, err := tx.ListDeploys(t.Context(), dagdeck.DeployFilter{})
			wantNoError(t, err)
			tokens, err := tx.ListTokens(t.Context())
			wantNoError(t, err)
			if len(deploys) != 0 || len(tokens) != 0 {
				t.Fatalf("after rollback: %d deploys, %d tokens; want none", len(deploys), len(tokens))
			}
			return nil
		})
		if got := createDeploy(t, s, newDeploy(kept, 2)).Sequence; got != 1 {
			t.Fatalf("sequence after a rolled-back deploy = %d, want 1", got)
		}
	})
	t.Run("ViewSeesCommitted", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDeployment(t.Context(), d.ID)
			return err
		})
	})
}

func testLocks(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		d := createDeployment(t, s, "etl")
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.LockGC(t.Context(), false))
			wantNoError(t, tx.LockDeployment(t.Context(), d.ID))
			return tx.LockDeployment(t.Context(), d.ID) // again, in the same transaction
		})
		update(t, s, func(tx dagdeck.Tx) error { return tx.LockGC(t.Context(), true) })
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.LockDeployment(t.Context(), dagdeck.NewID()) })
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testConcurrency(t *testing.T, open Opener) {
	t.Run("CreateDeploy", func(t *testing.T) {
		const n = 50
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range 2 * n {
			dep := []*dagdeck.Deployment{a, b}[i%2]
			wg.Go(func() {
				errs <- s.Update(t.Context(), func(tx dagdeck.Tx) error {
					if err := tx.LockGC(t.Context(), false); err != nil {
						return err
					}
					if err := tx.LockDeployment(t.Context(), dep.ID); err != nil {
						return err
					}
					return tx.CreateDeploy(t.Context(), newDeploy(dep, i))
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			wantNoError(t, err)
		}
		for _, dep := range []*dagdeck.Deployment{a, b} {
			var got []*dagdeck.Deploy
			view(t, s, func(tx dagdeck.Tx) (err error) {
				got, err = tx.ListDeploys(t.Context(), dagdeck.DeployFilter{DeploymentID: dep.ID})
				return err
			})
			seqs := sequences(got)
			slices.Sort(seqs)
			want := make([]int64, n)
			for i := range want {
				want[i] = int64(i + 1)
			}
			if !slices.Equal(seqs, want) {
				t.Fatalf("Deployment %s has sequences %v, want 1..%d each once", dep.Name, seqs, n)
			}
		}
	})
}
