package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// reportDags makes the runtime report d's DAGs, with import errors for files.
func (e *env) reportDags(t *testing.T, dep *dagdeck.Deployment, d *dagdeck.Deploy, files ...string) {
	t.Helper()
	dags := []*dagdeck.Dag{{DagID: "report", File: "dags/report.yaml", Schedule: "@daily", DeployID: d.ID}}
	var errs []*dagdeck.ImportError
	for _, f := range files {
		errs = append(errs, &dagdeck.ImportError{File: f, Message: "broken", DeployID: d.ID})
	}
	if err := e.svc.LocalRuntimeBackend().ReplaceDags(context.Background(), dep.ID, dags, errs); err != nil {
		t.Fatal(err)
	}
}

// reportTries records ended tries on d: failed ones, then successful ones.
func (e *env) reportTries(t *testing.T, dep *dagdeck.Deployment, d *dagdeck.Deploy, failed, succeeded int) {
	t.Helper()
	ctx := context.Background()
	b := e.svc.LocalRuntimeBackend()
	run := e.newRun(t, dep.ID)
	for i := range failed + succeeded {
		state := dagdeck.TaskSuccess
		if i < failed {
			state = dagdeck.TaskFailed
		}
		ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID,
			TaskID: fmt.Sprint("t", i), TryNumber: 1, MaxTries: 1, State: state, DeployID: d.ID, RuntimeVersion: d.RuntimeVersion}
		if err := b.CreateTaskInstance(ctx, dep.ID, ti); err != nil {
			t.Fatal(err)
		}
	}
}

// newRun records a running manual run of the report DAG.
func (e *env) newRun(t *testing.T, deploymentID string) *dagdeck.DagRun {
	t.Helper()
	now := e.clock.Now()
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: deploymentID, DagID: "report", RunID: "manual__" + dagdeck.NewID(), LogicalDate: now, RunType: "manual", State: dagdeck.RunRunning, CreatedAt: now, Conf: "{}"}
	if err := e.svc.LocalRuntimeBackend().CreateRun(context.Background(), deploymentID, run); err != nil {
		t.Fatal(err)
	}
	return run
}

func (e *env) autoRollbackOn(t *testing.T, name string) *dagdeck.Deployment {
	t.Helper()
	dep := e.deployment(t, name, true)
	on := true
	dep, err := e.svc.UpdateDeployment(admin, name, dagdeck.DeploymentUpdate{AutoRollback: &dagdeck.AutoRollbackUpdate{Enabled: &on}})
	if err != nil || !dep.AutoRollback.Enabled || dep.AutoRollback.WatchSeconds != 900 {
		t.Fatalf("enable automatic rollback: %+v, %v", dep, err)
	}
	return dep
}

func (e *env) check(t *testing.T) {
	t.Helper()
	if err := e.svc.CheckAutoRollbacks(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) current(t *testing.T, name string) *dagdeck.Deploy {
	t.Helper()
	dep, err := e.svc.FindDeployment(viewer, name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.FindDeploy(viewer, name, dep.CurrentDeployID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAutoRollback_NewImportErrors(t *testing.T) {
	e := newEnv(t)
	dep := e.autoRollbackOn(t, "prod")
	good := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.reportDags(t, dep, good, "dags/legacy.py") // an old error does not count
	e.clock.Add(time.Hour)
	bad := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.check(t) // not reported yet: nothing to judge
	if cur := e.current(t, "prod"); cur.ID != bad.ID {
		t.Fatalf("rolled back before the runtime reported anything")
	}
	e.reportDags(t, dep, bad, "dags/legacy.py", "dags/extra.yaml")
	e.clock.Add(time.Minute)
	e.check(t)

	cur := e.current(t, "prod")
	if cur.RollbackFromID != good.ID || cur.CreatedBy.Name != dagdeck.AutoRollbackActorName ||
		!strings.HasPrefix(cur.Description, "automatic rollback: import errors the previous code did not have: dags/extra.yaml") {
		t.Fatalf("current after the check = #%d by %q: %q (rollback of %s)", cur.Sequence, cur.CreatedBy.Name, cur.Description, cur.RollbackFromID)
	}
	if b, _ := e.svc.FindDeploy(viewer, "prod", bad.ID); b.Quarantine == nil || b.Rollback.Reason != dagdeck.ReasonQuarantined {
		t.Fatalf("the bad deploy is not quarantined: %+v", b)
	}
	// Never loops: its own rollback is not judged, and the bad deploy is judged once.
	e.reportDags(t, dep, cur, "dags/extra.yaml")
	e.check(t)
	if again := e.current(t, "prod"); again.ID != cur.ID {
		t.Fatalf("a second automatic rollback: #%d", again.Sequence)
	}
	page, err := e.svc.ListAudit(admin, dagdeck.AuditFilter{DeploymentID: "prod"}, "")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range page.Entries[:3] {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, " ") != "autorollback.decided rollback.deployed deploy.quarantined" {
		t.Fatalf("newest audit entries: %v", actions)
	}
}

func TestAutoRollback_FailedShare(t *testing.T) {
	e := newEnv(t)
	dep := e.autoRollbackOn(t, "prod")
	good := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.clock.Add(time.Hour)
	bad := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.reportTries(t, dep, good, 5, 0) // the old code's failures do not count
	e.reportTries(t, dep, bad, 2, 2)  // 4 tries: fewer than the minimum of 5
	e.check(t)
	if e.current(t, "prod").ID != bad.ID {
		t.Fatal("rolled back before the minimum number of tries")
	}
	e.reportTries(t, dep, bad, 1, 0) // 3 of 5 failed: 60 % ≥ 50 %
	e.check(t)
	if cur := e.current(t, "prod"); cur.RollbackFromID != good.ID || !strings.Contains(cur.Description, "3 of 5 task tries on deploy #2 failed") {
		t.Fatalf("current = %+v", cur)
	}
}

func TestAutoRollback_OnlyInsideTheWatchWindow(t *testing.T) {
	e := newEnv(t)
	dep := e.autoRollbackOn(t, "prod")
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	bad := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.clock.Add(16 * time.Minute)
	e.reportTries(t, dep, bad, 5, 0)
	e.check(t)
	if e.current(t, "prod").ID != bad.ID {
		t.Fatal("rolled back after the watch window")
	}
}

func TestAutoRollback_NeverDowngrades(t *testing.T) {
	e := newEnv(t)
	dep := e.autoRollbackOn(t, "prod")
	e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	bad := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.reportTries(t, dep, bad, 5, 0)
	e.check(t)
	if cur := e.current(t, "prod"); cur.ID != bad.ID {
		t.Fatalf("an automatic downgrade to #%d", cur.Sequence)
	}
	page, err := e.svc.ListAudit(admin, dagdeck.AuditFilter{DeploymentID: "prod", Limit: 1}, "")
	if err != nil {
		t.Fatal(err)
	}
	if e := page.Entries[0]; e.Action != dagdeck.AuditAutoRollback || e.Summary["outcome"] != dagdeck.AutoNeedsHuman || !strings.Contains(fmt.Sprint(e.Summary["reason"]), "lowers the runtime") {
		t.Fatalf("decision entry: %+v", e)
	}
}

func TestAutoRollback_OffByDefault(t *testing.T) {
	e := newEnv(t)
	dep := e.deployment(t, "prod", true)
	if dep.AutoRollback.Enabled || dep.AutoRollback != dagdeck.DefaultAutoRollbackPolicy {
		t.Fatalf("new Deployment's policy = %+v", dep.AutoRollback)
	}
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	bad := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.reportTries(t, dep, bad, 10, 0)
	e.check(t)
	if e.current(t, "prod").ID != bad.ID {
		t.Fatal("rolled back with the policy off")
	}
	bad2 := 1.5
	_, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{AutoRollback: &dagdeck.AutoRollbackUpdate{MaxFailedShare: &bad2}})
	apitest.WantCode(t, err, dagdeck.EINVALID)
}
