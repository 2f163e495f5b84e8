package localruntime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// stepProject is a project whose DAG "pipe" runs include/step.sh twice:
// first waits for $SHARED/<run conf…> file "go-<try>", then second. Both
// print the code version, so a log proves which code ran.
func stepProject(runtime, version string, firstExtra ...string) apitest.Files {
	return project(runtime, map[string]string{
		"include/step.sh": "echo \"$1 $DAGDECK_RUN_ID " + version + "\"\n[ \"$1\" = first ] || exit 0\necho $$ > \"$SHARED/first-$DAGDECK_TRY_NUMBER.pid\"\n" + waitScript("go-$DAGDECK_TRY_NUMBER") + "\n",
		"dags/pipe.yaml": dag("pipe",
			bashTask("first", "sh include/step.sh first", firstExtra...),
			bashTask("second", "sh include/step.sh second", "needs: [first]"),
		),
	})
}

func TestRuntime_DeployWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v1 := e.deploy(t, stepProject("1.1.0", "v1"), "1.1.0")

	// A deploy while first runs: first finishes on v1, second runs v2.
	r1 := e.trigger(t, "pipe")
	e.waitTry(t, r1, "first", 1, dagdeck.TaskRunning)
	v2 := e.deploy(t, stepProject("1.1.0", "v2"), "1.1.0")
	e.release(t, "go-1")
	e.waitRun(t, r1)
	first, second := e.tries(t, r1, "first")[0], e.tries(t, r1, "second")[0]
	if first.State != dagdeck.TaskSuccess || first.DeployID != v1.ID || !strings.Contains(e.log(t, first), "first "+r1.RunID+" v1") {
		t.Fatalf("first should have finished on v1: %+v\n%s", first, e.log(t, first))
	}
	if second.State != dagdeck.TaskSuccess || second.DeployID != v2.ID || !strings.Contains(e.log(t, second), "second "+r1.RunID+" v2") {
		t.Fatalf("second should have run v2: %+v\n%s", second, e.log(t, second))
	}

	// A rollback that keeps the runtime, while first runs: the same.
	if err := os.Remove(filepath.Join(e.shared, "go-1")); err != nil {
		t.Fatal(err)
	}
	r2 := e.trigger(t, "pipe")
	e.waitTry(t, r2, "first", 1, dagdeck.TaskRunning)
	plan, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := plan.Plan; p.Runtime.Change != dagdeck.RuntimeSame || len(p.RunningTasks) != 1 || !strings.HasPrefix(p.RunningTasks[0].Outcome, "finishes on the code it started with") || len(p.Erased) != 0 {
		t.Fatalf("plan = %+v", p)
	}
	rb, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "v2 is wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if ti := e.tries(t, r2, "first")[0]; ti.State != dagdeck.TaskRunning {
		t.Fatalf("a rollback without downgrade stopped a running task: %+v", ti)
	}
	e.release(t, "go-1")
	e.waitRun(t, r2)
	first, second = e.tries(t, r2, "first")[0], e.tries(t, r2, "second")[0]
	if first.DeployID != v2.ID || !strings.Contains(e.log(t, first), "first "+r2.RunID+" v2") {
		t.Fatalf("first should have finished on v2: %+v\n%s", first, e.log(t, first))
	}
	if second.DeployID != rb.Deploy.ID || !strings.Contains(e.log(t, second), "second "+r2.RunID+" v1") {
		t.Fatalf("second should have run the rolled-back v1 code: %+v\n%s", second, e.log(t, second))
	}
}

func TestRuntime_DowngradeRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v1 := e.deploy(t, stepProject("1.1.0", "v1", "retries: 1", "retry_delay: 0"), "1.1.0")
	e.deploy(t, stepProject("2.0.0", "v2", "retries: 1", "retry_delay: 0"), "2.0.0")

	// A finished run on 2.0.0 leaves XCom values: one per task.
	e.release(t, "go-1")
	done := e.trigger(t, "pipe")
	e.waitRun(t, done)
	for _, f := range []string{"go-1", "first-1.pid"} {
		if err := os.Remove(filepath.Join(e.shared, f)); err != nil {
			t.Fatal(err)
		}
	}

	r := e.trigger(t, "pipe")
	running := e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)
	pid := readPid(t, filepath.Join(e.shared, "first-1.pid"))
	plan, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Plan
	if p.Runtime.Change != dagdeck.RuntimeDowngrade || len(p.RunningTasks) != 1 || p.RunningTasks[0].TaskID != "first" || !strings.Contains(p.RunningTasks[0].Outcome, "retried after the rollback") {
		t.Fatalf("plan = %+v", p)
	}
	if len(p.Erased) != 1 || p.Erased[0].Feature.Name != dagdeck.FeatureXCom.Name || p.Erased[0].Rows != 2 {
		t.Fatalf("plan erases %+v, want 2 XCom rows", p.Erased)
	}

	rb, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to 1.1", ConfirmDowngrade: true})
	if err != nil {
		t.Fatal(err)
	}
	// At once: the try's process is gone and the try is over.
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("the running task's process %d still exists after the rollback", pid)
	}
	tries := e.tries(t, r, "first")
	if tries[0].ID != running.ID || tries[0].State == dagdeck.TaskRunning || tries[0].EndedAt == nil || tries[0].DeployID != running.DeployID {
		t.Fatalf("try 1 after the rollback = %+v", tries[0])
	}
	// The retry runs the rolled-back code on the older runtime, after the rollback.
	e.release(t, "go-2")
	retry := e.waitTry(t, r, "first", 2, dagdeck.TaskSuccess)
	if retry.DeployID != rb.Deploy.ID || retry.RuntimeVersion != "1.1.0" || retry.StartedAt.Before(*rb.Deploy.FinalizedAt) {
		t.Fatalf("retry = %+v, rollback finalized at %s", retry, rb.Deploy.FinalizedAt)
	}
	if log := e.log(t, retry); !strings.Contains(log, "first "+r.RunID+" v1") {
		t.Fatalf("the retry did not run v1:\n%s", log)
	}
	if first := e.tries(t, r, "first")[0]; first.State != dagdeck.TaskFailed {
		t.Fatalf("try 1 = %s, want failed", first.State)
	}
	if log := e.log(t, tries[0]); !strings.Contains(log, "downgrading the runtime") {
		t.Fatalf("try 1's log does not say why it stopped:\n%s", log)
	}
	e.waitRun(t, r)
	err = e.store.View(deployer, func(tx dagdeck.Tx) error {
		n, err := tx.CountFeatureRows(deployer, e.dep.ID, dagdeck.FeatureXCom)
		if err == nil && n != 0 {
			t.Errorf("%d XCom rows left after the downgrade", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitFor(t, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// TestRuntime_DowngradeHoldExpires: if no Activate follows PrepareDowngrade
// (the rollback request was cancelled before it committed), the held
// retries start on the current code after a minute.
func TestRuntime_DowngradeHoldExpires(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var offset time.Duration
	e := newEnv(t, withClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}))
	v1 := e.deploy(t, stepProject("1.1.0", "v1", "retries: 1", "retry_delay: 0"), "1.1.0")
	r := e.trigger(t, "pipe")
	e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)
	if err := e.rt.PrepareDowngrade(context.Background(), e.dep.ID); err != nil {
		t.Fatal(err)
	}
	if held := e.tries(t, r, "first")[0]; held.State != dagdeck.TaskUpForRetry || held.RetryAt != nil {
		t.Fatalf("after PrepareDowngrade: %+v", held)
	}
	e.release(t, "go-2")
	mu.Lock()
	offset = 2 * time.Minute
	mu.Unlock()
	if retry := e.waitTry(t, r, "first", 2, dagdeck.TaskSuccess); retry.DeployID != v1.ID {
		t.Fatalf("retry = %+v", retry)
	}
}

// TestRuntime_DowngradeRollbackTaskGone rolls back, downgrading the
// runtime, to code without the DAG whose task runs: the plan says the task
// will not be retried, the stopped try fails with a reason naming the
// deploy, and its run ends instead of waiting for ever.
func TestRuntime_DowngradeRollbackTaskGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v1 := e.deploy(t, project("1.1.0", map[string]string{"dags/other.yaml": dag("other", bashTask("hello", "echo hello"))}), "1.1.0")
	e.deploy(t, stepProject("2.0.0", "v2", "retries: 3", "retry_delay: 0"), "2.0.0")
	r := e.trigger(t, "pipe")
	running := e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)

	plan, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if tasks := plan.Plan.RunningTasks; len(tasks) != 1 || !strings.Contains(tasks[0].Outcome, "not retried: deploy #1 has no task first in DAG pipe") {
		t.Fatalf("plan's running tasks = %+v", tasks)
	}
	rb, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to 1.1", ConfirmDowngrade: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.waitRun(t, r); got.State != dagdeck.RunFailed {
		t.Fatalf("run = %+v, want failed", got)
	}
	tries := e.tries(t, r, "first")
	if len(tries) != 1 || tries[0].ID != running.ID || tries[0].State != dagdeck.TaskFailed {
		t.Fatalf("tries = %+v, want the stopped try failed and no retry", tries)
	}
	want := fmt.Sprintf("not retried: the current code, rollback deploy #%d, has no task first in DAG pipe", rb.Deploy.Sequence)
	if log := e.log(t, tries[0]); !strings.Contains(log, "downgrading the runtime") || !strings.Contains(log, want) {
		t.Fatalf("the try's log does not say why it ended (%q):\n%s", want, log)
	}
}

// foldersRunning returns the version folders whose include/x.sh (see
// echoProject) is content.
func (e *env) foldersRunning(content string) []string {
	var found []string
	m, _ := filepath.Glob(filepath.Join(e.dataDir, "runtime", "*", "versions", "*", "include", "x.sh"))
	for _, p := range m {
		if b, _ := os.ReadFile(p); string(b) == content {
			found = append(found, p)
		}
	}
	return found
}

// rollbackRemoved deploys FIRST then SECOND with no old folder kept, and
// rolls back to FIRST, whose folder the runtime removed by then, while
// gate guards the one file its folder must copy again (release, when
// set, ends a gate that holds it back, at the latest when the test ends).
// The rollback must not wait for that copy.
func rollbackRemoved(t *testing.T, gate func() error, release func()) (*env, *dagdeck.RollbackResult) {
	t.Helper()
	e := newEnv(t, withKeepVersions(-1))
	if release != nil {
		t.Cleanup(release) // before the runtime's Close, which waits for the build
	}
	v1 := e.deploy(t, echoProject("FIRST"), "1.1.0")
	e.deploy(t, echoProject("SECOND"), "1.1.0")
	waitFor(t, "the first deploy's folder to be removed", func() bool { return len(e.foldersRunning("echo FIRST\n")) == 0 })
	e.spy.gate("echo FIRST\n", gate)
	type result struct {
		rb  *dagdeck.RollbackResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		rb, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "SECOND is wrong"})
		done <- result{rb, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return e, r.rb
	case <-time.After(30 * time.Second):
		t.Fatal("the rollback waited for its folder to be built")
		return nil, nil
	}
}

// TestRuntime_RollbackSwitchesBeforeItsFolderIsBuilt: a rollback to code
// whose folder the runtime removed switches at once, with the DAGs it
// parsed when that code ran, while the folder is built again; tries wait
// for the folder, then run the old code.
func TestRuntime_RollbackSwitchesBeforeItsFolderIsBuilt(t *testing.T) {
	t.Parallel()
	held := make(chan struct{})
	release := sync.OnceFunc(func() { close(held) })
	e, rb := rollbackRemoved(t, func() error { <-held; return nil }, release)
	if a := rb.Deploy.Activation; a == nil || a.State != dagdeck.ActivationActive {
		t.Fatalf("the rollback's activation = %+v, want active", a)
	}
	dags, _, err := e.svc.ListDags(viewer, e.dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dags) != 1 || dags[0].DeployID != rb.Deploy.ID {
		t.Fatalf("the DAGs reported after the rollback: %+v, want pipe of deploy %s", dags, rb.Deploy.ID)
	}
	r := e.trigger(t, "pipe")
	if got := e.foldersRunning("echo FIRST\n"); len(got) != 0 {
		t.Fatalf("the folder was built while its file was held back: %v", got)
	}
	if tis := e.tries(t, r, "probe"); len(tis) != 0 {
		t.Fatalf("a try started before its code's folder was built: %+v", tis[0])
	}
	release()
	e.waitRun(t, r)
	run := e.tries(t, r, "run")[0]
	if log := e.log(t, run); run.State != dagdeck.TaskSuccess || run.DeployID != rb.Deploy.ID || !strings.Contains(log, "FIRST") {
		t.Fatalf("after the folder was built, run = %+v\n%s", run, log)
	}
	if got := e.foldersRunning("echo FIRST\n"); len(got) != 1 {
		t.Fatalf("folders running FIRST: %v, want one", got)
	}
}

// TestRuntime_RollbackWhoseFolderCannotBeBuilt: when the folder of the
// code a rollback switched to cannot be built, the rollback's activation
// turns failed with the reason, and the runtime reports its code broken.
func TestRuntime_RollbackWhoseFolderCannotBeBuilt(t *testing.T) {
	t.Parallel()
	e, rb := rollbackRemoved(t, func() error { return errors.New("the disk is on fire") }, nil)
	var dep *dagdeck.Deployment
	waitFor(t, "the activation to fail", func() bool {
		var err error
		dep, err = e.svc.FindDeployment(viewer, e.dep.ID)
		return err == nil && dep.Activation != nil && dep.Activation.State == dagdeck.ActivationFailed
	})
	if a := dep.Activation; a.DeployID != rb.Deploy.ID || !strings.Contains(a.Error, "the disk is on fire") {
		t.Fatalf("activation = %+v, want failed for %s with the reason", a, rb.Deploy.ID)
	}
	dags, errs, err := e.svc.ListDags(viewer, e.dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dags) != 0 || len(errs) != 1 || errs[0].File != dagdeck.CodeImportFile || errs[0].DeployID != rb.Deploy.ID {
		t.Fatalf("reported %d DAGs and import errors %+v, want only the broken code of %s", len(dags), errs, rb.Deploy.ID)
	}
}
