package storetest

import (
	"bytes"
	"sort"
	"strconv"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func taskIDs(tis []*dagdeck.TaskInstance) []string {
	var out []string
	for _, ti := range tis {
		out = append(out, ti.ID)
	}
	return out
}

func testTaskInstances(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r := createRun(t, s, dep, "daily", "manual__1", 1)
		full := newTask(r, "extract", dagdeck.NewID())
		full.ExitCode, full.RetryAt, full.EndedAt, full.Note = ptr(0), ptr(at(40)), ptr(at(35)), "a note"
		bare := newTask(r, "load", dagdeck.NewID())
		bare.State, bare.StartedAt, bare.RunnerID = dagdeck.TaskScheduled, nil, ""
		createTask(t, s, full)
		createTask(t, s, bare)
		view(t, s, func(tx dagdeck.Tx) error {
			for _, want := range []*dagdeck.TaskInstance{full, bare} {
				got, err := tx.FindTaskInstance(t.Context(), want.ID)
				wantNoError(t, err)
				wantEqual(t, want, got)
			}
			return nil
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r := createRun(t, s, dep, "daily", "manual__1", 1)
		createTask(t, s, newTask(r, "extract", dagdeck.NewID()))
		retry := newTask(r, "extract", dagdeck.NewID())
		retry.TryNumber = 2
		createTask(t, s, retry) // a new try is a new row
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.CreateTaskInstance(t.Context(), newTask(r, "extract", dagdeck.NewID()))
		})
		wantCode(t, err, dagdeck.ECONFLICT)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r := createRun(t, s, dep, "daily", "manual__1", 1)
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindTaskInstance(t.Context(), dagdeck.NewID())
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
		err = s.Update(t.Context(), func(tx dagdeck.Tx) error {
			return tx.UpdateTaskInstance(t.Context(), newTask(r, "extract", dagdeck.NewID()))
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		_, tis := runWithTasks(t, s, dep, "manual__1", "extract", "load")
		want := *tis[0]
		want.MaxTries, want.State, want.DeployID, want.RuntimeVersion = 5, dagdeck.TaskUpForRetry, dagdeck.NewID(), "2.0.0"
		want.ExitCode, want.RetryAt, want.EndedAt, want.RunnerID, want.Note = ptr(137), ptr(at(50)), ptr(at(45)), "runner-2", "killed"
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateTaskInstance(t.Context(), &want) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindTaskInstance(t.Context(), want.ID)
			wantNoError(t, err)
			wantEqual(t, &want, got)
			got, err = tx.FindTaskInstance(t.Context(), tis[1].ID)
			wantNoError(t, err)
			wantEqual(t, tis[1], got)
			return nil
		})
		// Pointers can be cleared again.
		want.ExitCode, want.RetryAt, want.StartedAt, want.EndedAt = nil, nil, nil, nil
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateTaskInstance(t.Context(), &want) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindTaskInstance(t.Context(), want.ID)
			wantNoError(t, err)
			wantEqual(t, &want, got)
			return nil
		})
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		r1, t1 := runWithTasks(t, s, dep, "r1", "a", "b")
		_, t2 := runWithTasks(t, s, dep, "r2", "a")
		_, t3 := runWithTasks(t, s, other, "r3", "a")
		t1[0].State = dagdeck.TaskSuccess
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateTaskInstance(t.Context(), t1[0]) })
		view(t, s, func(tx dagdeck.Tx) error {
			for _, c := range []struct {
				f    dagdeck.TaskFilter
				want []*dagdeck.TaskInstance
			}{
				{dagdeck.TaskFilter{}, []*dagdeck.TaskInstance{t3[0], t2[0], t1[1], t1[0]}},
				{dagdeck.TaskFilter{DeploymentID: dep.ID}, []*dagdeck.TaskInstance{t2[0], t1[1], t1[0]}},
				{dagdeck.TaskFilter{DagRunID: r1.ID}, []*dagdeck.TaskInstance{t1[1], t1[0]}},
				{dagdeck.TaskFilter{DeploymentID: dep.ID, DagID: "daily", State: dagdeck.TaskRunning}, []*dagdeck.TaskInstance{t2[0], t1[1]}},
				{dagdeck.TaskFilter{DeploymentID: dep.ID, Limit: 1}, []*dagdeck.TaskInstance{t2[0]}},
				{dagdeck.TaskFilter{DagID: "weekly"}, nil},
			} {
				got, err := tx.ListTaskInstances(t.Context(), c.f)
				wantNoError(t, err)
				wantEqual(t, taskIDs(c.want), taskIDs(got))
			}
			return nil
		})
	})
}

func testTaskLogs(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		_, tis := runWithTasks(t, s, createDeployment(t, s, "etl"), "r1", "a", "b")
		first, second := []byte("line 1\n\x00binary\xff\n"), []byte("try again\n")
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.PutTaskLog(t.Context(), tis[0].ID, first))
			wantNoError(t, tx.PutTaskLog(t.Context(), tis[1].ID, []byte{}))
			return tx.PutTaskLog(t.Context(), tis[0].ID, second) // replaces
		})
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.TaskLog(t.Context(), tis[0].ID)
			wantNoError(t, err)
			if !bytes.Equal(got, second) {
				t.Fatalf("log = %q, want %q", got, second)
			}
			got, err = tx.TaskLog(t.Context(), tis[1].ID)
			wantNoError(t, err)
			if len(got) != 0 {
				t.Fatalf("empty log = %q", got)
			}
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		_, tis := runWithTasks(t, s, createDeployment(t, s, "etl"), "r1", "a")
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.TaskLog(t.Context(), tis[0].ID)
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testXCom(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r, _ := runWithTasks(t, s, dep, "r1", "a")
		x := &dagdeck.XCom{DagRunID: r.ID, TaskID: "a", Key: "return_value", Value: "first"}
		other := &dagdeck.XCom{DagRunID: r.ID, TaskID: "a", Key: "other", Value: "kept"}
		update(t, s, func(tx dagdeck.Tx) error {
			wantNoError(t, tx.PutXCom(t.Context(), dep.ID, x))
			wantNoError(t, tx.PutXCom(t.Context(), dep.ID, other))
			x.Value = "second"
			return tx.PutXCom(t.Context(), dep.ID, x) // replaces
		})
		view(t, s, func(tx dagdeck.Tx) error {
			for _, want := range []*dagdeck.XCom{x, other} {
				got, err := tx.FindXCom(t.Context(), r.ID, want.TaskID, want.Key)
				wantNoError(t, err)
				wantEqual(t, want, got)
			}
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		r, _ := runWithTasks(t, s, dep, "r1", "a")
		update(t, s, func(tx dagdeck.Tx) error {
			return tx.PutXCom(t.Context(), dep.ID, &dagdeck.XCom{DagRunID: r.ID, TaskID: "a", Key: "return_value", Value: "1"})
		})
		view(t, s, func(tx dagdeck.Tx) error {
			for _, k := range [][3]string{{r.ID, "a", "other"}, {r.ID, "b", "return_value"}, {dagdeck.NewID(), "a", "return_value"}} {
				_, err := tx.FindXCom(t.Context(), k[0], k[1], k[2])
				wantCode(t, err, dagdeck.ENOTFOUND)
			}
			return nil
		})
	})
}

func testCountTaskInstances(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		a, b := createDeployment(t, s, "a"), createDeployment(t, s, "b")
		ra, rb := createRun(t, s, a, "daily", "manual__1", 1), createRun(t, s, b, "daily", "manual__1", 1)
		for i, c := range []struct {
			run   *dagdeck.DagRun
			state string
		}{{ra, dagdeck.TaskRunning}, {ra, dagdeck.TaskFailed}, {ra, dagdeck.TaskFailed}, {rb, dagdeck.TaskSuccess}} {
			ti := newTask(c.run, "task"+strconv.Itoa(i), dagdeck.NewID())
			ti.State = c.state
			createTask(t, s, ti)
		}
		want := []dagdeck.TaskCount{
			{DeploymentID: a.ID, State: dagdeck.TaskFailed, Count: 2},
			{DeploymentID: a.ID, State: dagdeck.TaskRunning, Count: 1},
			{DeploymentID: b.ID, State: dagdeck.TaskSuccess, Count: 1},
		}
		sort.SliceStable(want, func(i, j int) bool { return want[i].DeploymentID < want[j].DeploymentID })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.CountTaskInstances(t.Context())
			wantNoError(t, err)
			wantEqual(t, want, got)
			return nil
		})
	})
	t.Run("Empty", func(t *testing.T) {
		s := newStore(t, open)
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.CountTaskInstances(t.Context())
			wantNoError(t, err)
			if len(got) != 0 {
				t.Fatalf("counts of an empty store: %v", got)
			}
			return nil
		})
	})
}
