package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func testReplaceDags(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		deployID := dagdeck.NewID()
		dags := []*dagdeck.Dag{
			{DagID: "zeta", File: "dags/z.yaml", Schedule: "@daily", Description: "z", Tags: []string{"x", "y"}, DeployID: deployID, NextRunAt: ptr(at(60))},
			{DagID: "alpha", File: "dags/a.yaml", Schedule: "0 * * * *", Tags: nil, DeployID: deployID},
		}
		errs := []*dagdeck.ImportError{
			{File: "dags/b.yaml", Message: "second document: bad", DeployID: deployID},
			{File: "dags/a.yaml", Message: "needs runtime 2.0.0", DeployID: deployID},
			{File: "dags/b.yaml", Message: "first document: bad", DeployID: deployID},
		}
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.ReplaceDags(t.Context(), b.ID, []*dagdeck.Dag{{DagID: "b-only", File: "dags/b.yaml"}}, nil))
			return tx.ReplaceDags(t.Context(), a.ID, dags, errs)
		})
		for _, d := range dags {
			d.DeploymentID = a.ID
		}
		for _, e := range errs {
			e.DeploymentID = a.ID
		}
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListDags(t.Context(), a.ID)
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.Dag{dags[1], dags[0]}, got)
			gotErrs, err := tx.ListImportErrors(t.Context(), a.ID)
			wantNoError(t, err)
			// Ordered by file; a file's errors keep their order.
			wantEqual(t, []*dagdeck.ImportError{errs[1], errs[0], errs[2]}, gotErrs)
			return nil
		})

		// Replacing drops what is not given again, and leaves b alone.
		update(t, s, func(tx dagdeck.Tx) error { return tx.ReplaceDags(t.Context(), a.ID, dags[:1], nil) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListDags(t.Context(), a.ID)
			wantNoError(t, err)
			wantEqual(t, dags[:1], got)
			gotErrs, err := tx.ListImportErrors(t.Context(), a.ID)
			wantNoError(t, err)
			wantEqual(t, []*dagdeck.ImportError(nil), gotErrs)
			got, err = tx.ListDags(t.Context(), b.ID)
			wantNoError(t, err)
			if len(got) != 1 || got[0].DagID != "b-only" {
				t.Fatalf("b's DAGs = %+v, want b-only", got)
			}
			return nil
		})
	})
}

func testReplaceDagsChanges(t *testing.T, open Opener) {
	s := newStore(t, open)
	dep := createDeployment(t, s, "a")
	v1, v2, v3 := dagdeck.NewID(), dagdeck.NewID(), dagdeck.NewID()
	dag := func(id, deployID, description string, tags []string, next *time.Time) *dagdeck.Dag {
		return &dagdeck.Dag{DeploymentID: dep.ID, DagID: id, File: "dags/" + id + ".yaml", Schedule: "@daily",
			Description: description, Tags: tags, DeployID: deployID, NextRunAt: next}
	}
	replace := func(dags ...*dagdeck.Dag) {
		t.Helper()
		update(t, s, func(tx dagdeck.Tx) error { return tx.ReplaceDags(t.Context(), dep.ID, dags, nil) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.ListDags(t.Context(), dep.ID)
			wantNoError(t, err)
			want := slices.SortedFunc(slices.Values(dags), func(a, b *dagdeck.Dag) int { return strings.Compare(a.DagID, b.DagID) })
			wantEqual(t, want, got)
			return nil
		})
	}
	replace(dag("a", v1, "same", []string{"x"}, ptr(at(60))), dag("b", v1, "old", nil, nil), dag("c", v1, "gone", nil, nil))
	// A new deploy: a and b keep their fields (a new deploy id), b's
	// description, tags and next run change, c goes, d comes.
	replace(dag("a", v2, "same", []string{"x"}, ptr(at(60))), dag("b", v2, "new", []string{}, ptr(at(120))), dag("d", v2, "", nil, nil))
	// DAGs of different deploys in one replacement.
	replace(dag("a", v3, "same", []string{"x"}, ptr(at(60))), dag("b", v2, "new", []string{}, ptr(at(120))))
	// Nothing left.
	replace()

	update(t, s, func(tx dagdeck.Tx) error {
		err := tx.ReplaceDags(t.Context(), dep.ID, []*dagdeck.Dag{dag("a", v1, "", nil, nil), dag("a", v1, "", nil, nil)}, nil)
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			t.Errorf("a DAG given twice: %v, want ECONFLICT", err)
		}
		return nil
	})
}

func testDagRuns(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r := createRun(t, s, dep, "daily", "scheduled__2026-11-26", 1)
		bare := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagID: "daily", RunID: "manual__1",
			LogicalDate: at(2), RunType: "manual", State: dagdeck.RunQueued, CreatedAt: at(2)}
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDagRun(t.Context(), bare) })
		view(t, s, func(tx dagdeck.Tx) error {
			for _, want := range []*dagdeck.DagRun{r, bare} {
				got, err := tx.FindDagRun(t.Context(), want.ID)
				wantNoError(t, err)
				wantEqual(t, want, got)
			}
			return nil
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		createRun(t, s, dep, "daily", "manual__1", 1)
		createRun(t, s, other, "daily", "manual__1", 1) // another Deployment may
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.CreateDagRun(t.Context(), newRun(dep, "daily", "manual__1", 2))
		})
		wantCode(t, err, dagdeck.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDagRun(t.Context(), dagdeck.NewID())
			wantCode(t, err, dagdeck.ENOTFOUND)
			_, err = tx.LatestDagRun(t.Context(), dep.ID, "daily", "")
			wantCode(t, err, dagdeck.ENOTFOUND)
			return nil
		})
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.UpdateDagRun(t.Context(), newRun(dep, "daily", "x", 1))
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r := createRun(t, s, dep, "daily", "manual__1", 1)
		want := *r
		want.State, want.StartedAt, want.EndedAt = dagdeck.RunSuccess, ptr(at(5)), ptr(at(6))
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDagRun(t.Context(), &want) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDagRun(t.Context(), r.ID)
			wantNoError(t, err)
			wantEqual(t, &want, got)
			return nil
		})
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		d1 := createRun(t, s, dep, "daily", "r1", 1)
		h3 := createRun(t, s, dep, "hourly", "r3", 3)
		d2 := newRun(dep, "daily", "r2", 2)
		d2.State, d2.RunType = dagdeck.RunFailed, "manual"
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDagRun(t.Context(), d2) })
		o := createRun(t, s, other, "daily", "r9", 9)
		runIDs := func(runs []*dagdeck.DagRun) []string {
			var out []string
			for _, r := range runs {
				out = append(out, r.ID)
			}
			return out
		}
		view(t, s, func(tx dagdeck.Tx) error {
			for _, c := range []struct {
				f    dagdeck.RunFilter
				want []*dagdeck.DagRun
			}{
				{dagdeck.RunFilter{}, []*dagdeck.DagRun{o, h3, d2, d1}},
				{dagdeck.RunFilter{DeploymentID: dep.ID}, []*dagdeck.DagRun{h3, d2, d1}},
				{dagdeck.RunFilter{DeploymentID: dep.ID, DagID: "daily"}, []*dagdeck.DagRun{d2, d1}},
				{dagdeck.RunFilter{DeploymentID: dep.ID, State: dagdeck.RunRunning}, []*dagdeck.DagRun{h3, d1}},
				{dagdeck.RunFilter{DeploymentID: dep.ID, Limit: 2}, []*dagdeck.DagRun{h3, d2}},
			} {
				got, err := tx.ListDagRuns(t.Context(), c.f)
				wantNoError(t, err)
				wantEqual(t, runIDs(c.want), runIDs(got))
			}
			got, err := tx.LatestDagRun(t.Context(), dep.ID, "daily", "")
			wantNoError(t, err)
			wantEqual(t, d2, got)
			got, err = tx.LatestDagRun(t.Context(), dep.ID, "daily", "scheduled")
			wantNoError(t, err)
			wantEqual(t, d1, got)
			_, err = tx.LatestDagRun(t.Context(), dep.ID, "hourly", "manual")
			wantCode(t, err, dagdeck.ENOTFOUND)
			return nil
		})
	})
}

// runWithTasks creates a run of dep and the given tasks in it, oldest first.
func runWithTasks(t *testing.T, s dagdeck.Store, dep *dagdeck.Deployment, runID string, taskIDs ...string) (*dagdeck.DagRun, []*dagdeck.TaskInstance) {
	t.Helper()
	r := createRun(t, s, dep, "daily", runID, 1)
	var tis []*dagdeck.TaskInstance
	for i, id := range taskIDs {
		ti := newTask(r, id, dagdeck.NewID())
		ti.StartedAt = ptr(at(i))
		tis = append(tis, createTask(t, s, ti))
	}
	return r, tis
}
