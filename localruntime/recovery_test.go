package localruntime_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// crashedRun records what a runtime killed with -9 leaves: a running run
// of DAG "job" and, per task given, a try "running" on a dead runner.
func crashedRun(t *testing.T, e *env, d *dagdeck.Deploy, tasks map[string]int) (*dagdeck.DagRun, map[string]*dagdeck.TaskInstance) {
	t.Helper()
	ctx := context.Background()
	b := e.svc.LocalRuntimeBackend()
	now := time.Now().UTC().Truncate(time.Microsecond)
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DagID: "job", RunID: "manual__crashed", LogicalDate: now, RunType: "manual", State: dagdeck.RunRunning, CreatedAt: now, StartedAt: &now}
	if err := b.CreateRun(ctx, e.dep.ID, run); err != nil {
		t.Fatal(err)
	}
	tis := map[string]*dagdeck.TaskInstance{}
	for task, maxTries := range tasks {
		ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DagRunID: run.ID, TaskID: task, TryNumber: 1, MaxTries: maxTries,
			State: dagdeck.TaskRunning, DeployID: d.ID, RuntimeVersion: d.RuntimeVersion, StartedAt: &now, RunnerID: "dead-runner"}
		if err := b.CreateTaskInstance(ctx, e.dep.ID, ti); err != nil {
			t.Fatal(err)
		}
		tis[task] = ti
	}
	return run, tis
}

// TestRuntime_OrphanLogMasked: the log a dead runtime left is stored with
// the Deployment's secrets masked by the runtime itself, on the first tick.
func TestRuntime_OrphanLogMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRuntime())
	secret := "orphan-secret-value"
	e.setEnv(t, "API_KEY", secret, true)
	d := e.deploy(t, project("1.1.0", map[string]string{"dags/job.yaml": dag("job", bashTask("work", "true"))}), "1.1.0")
	run, tis := crashedRun(t, e, d, map[string]int{"work": 1})
	work := tis["work"]
	logs := filepath.Join(e.dataDir, "runtime", e.dep.ID, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, work.ID+".log"), []byte("key="+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	e.rt = e.startRuntime(t, e.config)
	e.waitRun(t, run)
	stored := e.spy.storedLogs(work.ID)
	if len(stored) == 0 {
		t.Fatal("the orphan's log was not stored")
	}
	for _, log := range stored {
		if strings.Contains(log, secret) || !strings.Contains(log, "key=***") {
			t.Fatalf("the runtime stored the orphan's log unmasked:\n%s", log)
		}
	}
}

// TestRuntime_OrphanGroupOutlivesLeader: the shell leading a try's process
// group died (SIGPIPE once the runtime died, or it simply exited) while a
// background child runs on: the recovery kills the child all the same.
func TestRuntime_OrphanGroupOutlivesLeader(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc to find a leftover process group")
	}
	t.Parallel()
	e := newEnv(t, withoutRuntime())
	d := e.deploy(t, project("1.1.0", map[string]string{"dags/job.yaml": dag("job", bashTask("work", "true"))}), "1.1.0")
	run, tis := crashedRun(t, e, d, map[string]int{"work": 1})

	childFile := filepath.Join(t.TempDir(), "child.pid")
	leader := exec.Command("bash", "-c", "sleep 60 & echo $! > "+childFile)
	leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	pidLine := fmt.Sprintf("%d %s\n", leader.Process.Pid, procStart(t, leader.Process.Pid))
	if err := leader.Wait(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(childFile)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	if pgid, err := syscall.Getpgid(child); err != nil || pgid != leader.Process.Pid || !processAlive(child) {
		t.Fatalf("child %d: group %d, %v; want the dead leader's group %d", child, pgid, err, leader.Process.Pid)
	}
	pidDir := filepath.Join(e.dataDir, "runtime", e.dep.ID, "pids")
	if err := os.MkdirAll(pidDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pidDir, tis["work"].ID), []byte(pidLine), 0o600); err != nil {
		t.Fatal(err)
	}

	e.rt = e.startRuntime(t, e.config)
	e.waitRun(t, run)
	waitFor(t, "the leftover child to be killed", func() bool { return !processAlive(child) })
}

// processAlive reports whether a process exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// TestRuntime_ReleasedRetryNeverRunsOldCode: with the runtime learning of
// a downgrade from the store (as `dagdeck runtime` does), a tick that read
// the Deployment before the rollback committed must not start a retry the
// rollback released: the retry runs the rolled-back code.
func TestRuntime_ReleasedRetryNeverRunsOldCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, withExternalRuntime())
	v1 := e.deploy(t, stepProject("1.1.0", "v1", "retries: 1", "retry_delay: 0"), "1.1.0")
	v2 := e.deploy(t, stepProject("2.0.0", "v2", "retries: 1", "retry_delay: 0"), "2.0.0")
	waitFor(t, "the runtime to run v2", func() bool {
		dags, _, err := e.svc.ListDags(viewer, e.dep.ID)
		return err == nil && len(dags) == 1 && dags[0].DeployID == v2.ID
	})
	r := e.trigger(t, "pipe")
	running := e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)

	// The rollback's first step: the server fails the running try, holding
	// its retry; the runtime stops the process.
	if err := e.svc.ExternalRuntime().PrepareDowngrade(ctx, e.dep.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the runtime to stop try 1", func() bool { return strings.Contains(e.log(t, running), "ended by the server") })

	// The rollback commits, and the held retry is released, just after the
	// runtime read the Deployment in a tick.
	var rb *dagdeck.RollbackResult
	var rbErr error
	done := make(chan struct{})
	e.spy.setAfterDeployment(func() {
		defer close(done)
		rb, rbErr = e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to 1.1", ConfirmDowngrade: true})
		if rbErr != nil {
			return
		}
		held := e.tries(t, r, "first")[0]
		now := time.Now().UTC().Truncate(time.Microsecond)
		held.RetryAt = &now
		rbErr = e.svc.LocalRuntimeBackend().UpdateTaskInstance(ctx, e.dep.ID, held)
	})
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the runtime did not read the Deployment")
	}
	if rbErr != nil {
		t.Fatal(rbErr)
	}
	e.release(t, "go-2")
	retry := e.waitTry(t, r, "first", 2, dagdeck.TaskSuccess, dagdeck.TaskFailed)
	if retry.DeployID != rb.Deploy.ID || retry.RuntimeVersion != "1.1.0" || !strings.Contains(e.log(t, retry), "first "+r.RunID+" v1") {
		t.Fatalf("the retry ran %s on %s, not the rollback %s:\n%s", retry.DeployID, retry.RuntimeVersion, rb.Deploy.ID, e.log(t, retry))
	}
}

// TestRuntime_VersionsAfterRestart: a restarted runtime keeps the most
// recently activated version directories (a rollback to them reuses them
// as they are), removes what an interrupted removal left, and version
// files are read-only.
func TestRuntime_VersionsAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeepVersions(1))
	var deploys []*dagdeck.Deploy
	for _, v := range []string{"v1", "v2", "v3"} {
		deploys = append(deploys, e.deploy(t, stepProject("1.1.0", v), "1.1.0"))
	}
	e.release(t, "go-1")
	e.waitRun(t, e.trigger(t, "pipe"))
	waitFor(t, "v1's directory to be removed", func() bool {
		return slices.Equal(versionsIn(versionDirs(t, e)), []string{"v2", "v3"})
	})
	root := filepath.Join(e.dataDir, "runtime", e.dep.ID, "versions")
	var v2 string
	for k, v := range versionDirs(t, e) {
		if v == "v2" {
			v2 = filepath.Join(root, k, "include", "step.sh")
		}
	}
	before, err := os.Stat(v2)
	if err != nil {
		t.Fatal(err)
	}
	if before.Mode().Perm()&0o222 != 0 {
		t.Fatalf("version file %s is writable: %v", v2, before.Mode())
	}

	e.rt.Close()
	trash := filepath.Join(root, ".trash-0123")
	if err := os.MkdirAll(filepath.Join(trash, "include"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.rt = e.startRuntime(t, e.config)
	e.waitRun(t, e.trigger(t, "pipe"))
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Fatalf("the trash of an interrupted removal is still there: %v", err)
	}
	if got := versionsIn(versionDirs(t, e)); !slices.Equal(got, []string{"v2", "v3"}) {
		t.Fatalf("after a restart: %v, want v2 (recent) and v3 (current)", got)
	}
	rb, err := e.svc.Rollback(deployer, e.dep.ID, deploys[1].ID, dagdeck.RollbackRequest{Description: "back to v2"})
	if err != nil {
		t.Fatal(err)
	}
	r := e.trigger(t, "pipe")
	e.waitRun(t, r)
	if ti := e.tries(t, r, "second")[0]; ti.DeployID != rb.Deploy.ID || !strings.Contains(e.log(t, ti), "v2") {
		t.Fatalf("second = %+v\n%s", ti, e.log(t, ti))
	}
	after, err := os.Stat(v2)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the rollback to a kept version wrote its directory again: %v", err)
	}
}

// TestRuntime_MaxActiveRuns: runs of a DAG with max_active_runs: 1 run
// one at a time, in order.
func TestRuntime_MaxActiveRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	header := "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\n"
	e.deploy(t, project("1.1.0", map[string]string{
		"dags/one.yaml": header + "dag_id: one\nschedule: null\nmax_active_runs: 1\ntasks:\n" + bashTask("t", waitScript("go-$DAGDECK_RUN_ID")),
	}), "1.1.0")
	runs := []*dagdeck.DagRun{e.trigger(t, "one"), e.trigger(t, "one"), e.trigger(t, "one")}
	for i, r := range runs {
		e.waitTry(t, r, "t", 1, dagdeck.TaskRunning)
		for _, later := range runs[i+1:] {
			if tries := e.tries(t, later, "t"); len(tries) != 0 {
				t.Fatalf("run %d started while run %d runs", slices.Index(runs, later), i)
			}
		}
		e.release(t, "go-"+r.RunID)
		if got := e.waitRun(t, r); got.State != dagdeck.RunSuccess {
			t.Fatalf("run %d = %s", i, got.State)
		}
	}
}

// TestRuntime_OrphanWithoutPidFile: the runtime crashed between starting a
// try's process and recording its pid; the recovery finds the process by
// the try id in its environment and kills it.
func TestRuntime_OrphanWithoutPidFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc to find the process")
	}
	t.Parallel()
	e := newEnv(t, withoutRuntime())
	d := e.deploy(t, project("1.1.0", map[string]string{"dags/job.yaml": dag("job", bashTask("work", "true"))}), "1.1.0")
	run, tis := crashedRun(t, e, d, map[string]int{"work": 1})

	proc := exec.Command("sleep", "60")
	proc.Env = append(os.Environ(), "DAGDECK_TASK_INSTANCE_ID="+tis["work"].ID)
	proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = proc.Wait(); close(exited) }()
	t.Cleanup(func() { _ = proc.Process.Kill() })

	e.rt = e.startRuntime(t, e.config)
	e.waitRun(t, run)
	waitFor(t, "the try's process to be killed", func() bool {
		select {
		case <-exited:
			return true
		default:
			return false
		}
	})
}
