package service_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// dryRun returns the plan of rolling dep back to deployID.
func dryRun(t *testing.T, e *env, dep, deployID string) *dagdeck.RollbackPlan {
	t.Helper()
	res, err := e.svc.Rollback(viewer, dep, deployID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.PlanID == "" {
		t.Fatal("the plan has no planId")
	}
	return res.Plan
}

// wantHistory fails unless dep's history is n deploys with top on top.
func wantHistory(t *testing.T, e *env, dep string, n int, top *dagdeck.Deploy) {
	t.Helper()
	h := history(t, e, dep)
	if len(h) != n || h[0].ID != top.ID {
		t.Fatalf("history %v: want %d deploys, %s on top", ids(h), n, top)
	}
}

// deployedTwice returns an env whose Deployment prod has two deploys: v1
// on runtime 1.1.0, then next on runtime.
func deployedTwice(t *testing.T, next project, runtime string) (e *env, first, second *dagdeck.Deploy) {
	t.Helper()
	e = newEnv(t)
	e.deployment(t, "prod", true)
	first = e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	second = e.deploy(t, "prod", next, next.request(dagdeck.DeployImageAndDAG, runtime, true))
	return e, first, second
}

func TestDeployService_RollbackPlanID(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e, first, _ := deployedTwice(t, v2(), "2.0.0")
		seen := dryRun(t, e, "prod", first.ID)
		res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 breaks the report", ConfirmDowngrade: true, PlanID: seen.PlanID})
		if err != nil {
			t.Fatal(err)
		}
		if res.Plan.PlanID != seen.PlanID || res.Deploy.RollbackFromID != first.ID || !res.Deploy.Rollback.Eligible {
			t.Fatalf("plan %s (seen %s), deploy %+v", res.Plan.PlanID, seen.PlanID, res.Deploy)
		}
		wantHistory(t, e, "prod", 3, res.Deploy)
		if len(e.runtime.downgrades) != 1 {
			t.Fatalf("the confirmed downgrade stopped running tasks %d times", len(e.runtime.downgrades))
		}
	})

	t.Run("ErrDeployLandedSince", func(t *testing.T) {
		e, first, _ := deployedTwice(t, v2(), "2.0.0")
		seen := dryRun(t, e, "prod", first.ID)
		v2Fixed := v2()
		v2Fixed["include/report.sh"] = "echo report v2 fixed\n"
		landed := e.deploy(t, "prod", v2Fixed, v2Fixed.request(dagdeck.DeployImageAndDAG, "2.0.0", true))

		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 breaks the report", ConfirmDowngrade: true, PlanID: seen.PlanID})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		msg := dagdeck.ErrorMessage(err)
		for _, s := range []string{landed.String() + " became current", "the image now goes from dagdeck/prod:" + landed.ImageTag, "nothing was rolled back"} {
			if !strings.Contains(msg, s) {
				t.Errorf("message %q does not say %q", msg, s)
			}
		}
		wantHistory(t, e, "prod", 3, landed)
		if len(e.runtime.downgrades) != 0 {
			t.Fatalf("a refused rollback stopped running tasks: %v", e.runtime.downgrades)
		}

		t.Run("NewPlanCommits", func(t *testing.T) {
			again := dryRun(t, e, "prod", first.ID)
			res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "the fix did not help", ConfirmDowngrade: true, PlanID: again.PlanID})
			if err != nil {
				t.Fatal(err)
			}
			wantHistory(t, e, "prod", 4, res.Deploy)
		})
	})

	// Tasks that run on, whichever they are, are not part of what the user
	// confirms; those a downgrade stops are.
	t.Run("TaskStartedSince", func(t *testing.T) {
		e, first, cur := deployedTwice(t, v1Fixed(), "1.1.0")
		seen := dryRun(t, e, "prod", first.ID)
		e.startTask(t, "prod", cur)
		res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", PlanID: seen.PlanID})
		if err != nil {
			t.Fatalf("a task that started after the plan, and finishes on its code, refused the confirmed rollback: %v", err)
		}
		if n := len(res.Plan.RunningTasks); n != 1 {
			t.Fatalf("the plan lists %d running tasks, want the one that started", n)
		}
		wantHistory(t, e, "prod", 3, res.Deploy)
	})

	t.Run("ErrTaskStartedBeforeADowngrade", func(t *testing.T) {
		e, first, cur := deployedTwice(t, v2(), "2.0.0")
		seen := dryRun(t, e, "prod", first.ID)
		e.startTask(t, "prod", cur)
		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", ConfirmDowngrade: true, PlanID: seen.PlanID})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		if msg := dagdeck.ErrorMessage(err); !strings.Contains(msg, "other tasks run now (1), which the downgrade stops") {
			t.Fatalf("message %q does not say which part changed", msg)
		}
		wantHistory(t, e, "prod", 2, cur)
		if len(e.runtime.downgrades) != 0 {
			t.Fatalf("a refused downgrade stopped running tasks: %v", e.runtime.downgrades)
		}
	})

	t.Run("ErrTargetQuarantinedSince", func(t *testing.T) {
		e, first, cur := deployedTwice(t, v1Fixed(), "1.1.0")
		seen := dryRun(t, e, "prod", first.ID)
		if _, err := e.svc.QuarantineDeploy(deployer, "prod", first.ID, "leaks credentials"); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", PlanID: seen.PlanID})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		if msg := dagdeck.ErrorMessage(err); !strings.Contains(msg, "QUARANTINED") || !strings.Contains(msg, "nothing was rolled back") {
			t.Fatalf("message %q", msg)
		}
		wantHistory(t, e, "prod", 2, cur)
		// Without a planId the refusal stays what it was.
		_, err = e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x"})
		apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		e, first, _ := deployedTwice(t, v1Fixed(), "1.1.0")
		seen := dryRun(t, e, "prod", first.ID)
		for _, req := range []dagdeck.RollbackRequest{
			{Description: "x", PlanID: "not-a-plan"},
			{Description: "x", PlanID: seen.PlanID, Replan: true, ExpectedCurrentDeployID: seen.CurrentDeploy.ID},
		} {
			_, err := e.svc.Rollback(deployer, "prod", first.ID, req)
			apitest.WantCode(t, err, dagdeck.EINVALID)
		}
		if h := history(t, e, "prod"); len(h) != 2 {
			t.Fatalf("history has %d deploys, want 2", len(h))
		}
	})
}

// TestDeployService_RollbackJudgesOnce counts the reads of what
// eligibility depends on: a plan judges the target once, and a confirmed
// downgrade, which used to judge it four times, judges it twice: when it
// plans, and again once the running tasks are stopped, under the lock
// that commits it.
func TestDeployService_RollbackJudgesOnce(t *testing.T) {
	e, first, _ := deployedTwice(t, v2(), "2.0.0")
	counting := &marksCountingStore{Store: e.store}
	e.svc = service.New(counting, e.artifacts, service.WithClock(e.clock.Now), service.WithRuntime(e.runtime), service.WithGCGrace(0))

	seen := dryRun(t, e, "prod", first.ID)
	if n := counting.n.Load(); n != 1 {
		t.Errorf("the dry run judged eligibility %d times, want 1", n)
	}
	counting.n.Store(0)
	if _, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "down", ConfirmDowngrade: true, PlanID: seen.PlanID}); err != nil {
		t.Fatal(err)
	}
	if n := counting.n.Load(); n != 2 {
		t.Errorf("the confirmed downgrade judged eligibility %d times, want 2", n)
	}
}

// TestDeployService_DowngradeQuarantinedWhileTasksStop: a target
// quarantined while a downgrade stops the running tasks is not rolled back
// to; the current deploy stays, and is activated again.
func TestDeployService_DowngradeQuarantinedWhileTasksStop(t *testing.T) {
	e, first, second := deployedTwice(t, v2(), "2.0.0")
	e.runtime.duringDowngrade = func() {
		if _, err := e.svc.QuarantineDeploy(deployer, "prod", first.ID, "found broken meanwhile"); err != nil {
			t.Error(err)
		}
	}
	_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "down", ConfirmDowngrade: true})
	if dagdeck.ErrorCode(err) != dagdeck.EUNPROCESSABLE {
		t.Fatalf("rollback to a deploy quarantined while tasks stopped: %v, want EUNPROCESSABLE", err)
	}
	dep, err := e.svc.FindDeployment(viewer, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if dep.CurrentDeployID != second.ID {
		t.Fatalf("current deploy %s, want %s (the one before the refused rollback)", dep.CurrentDeployID, second.ID)
	}
}

// marksCountingStore counts ListMarks, which every judgement of
// eligibility reads.
type marksCountingStore struct {
	dagdeck.Store
	n atomic.Int64
}

func (s *marksCountingStore) View(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return s.Store.View(ctx, func(tx dagdeck.Tx) error { return fn(marksCountingTx{tx, s}) })
}

func (s *marksCountingStore) Update(ctx context.Context, fn func(tx dagdeck.Tx) error) error {
	return s.Store.Update(ctx, func(tx dagdeck.Tx) error { return fn(marksCountingTx{tx, s}) })
}

type marksCountingTx struct {
	dagdeck.Tx
	s *marksCountingStore
}

func (tx marksCountingTx) ListMarks(ctx context.Context, deploymentID string) ([]*dagdeck.DeployMark, error) {
	tx.s.n.Add(1)
	return tx.Tx.ListMarks(ctx, deploymentID)
}

// startTask records a running try of d's code in the Deployment name.
func (e *env) startTask(t *testing.T, name string, d *dagdeck.Deploy) {
	t.Helper()
	dep, err := e.svc.FindDeployment(viewer, name)
	if err != nil {
		t.Fatal(err)
	}
	run, now := e.newRun(t, dep.ID), e.clock.Now()
	ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID,
		TaskID: "extract", TryNumber: 1, MaxTries: 2, State: dagdeck.TaskRunning, StartedAt: &now, DeployID: d.ID, RuntimeVersion: d.RuntimeVersion}
	if err := e.svc.LocalRuntimeBackend().CreateTaskInstance(context.Background(), dep.ID, ti); err != nil {
		t.Fatal(err)
	}
}
