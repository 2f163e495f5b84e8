package localruntime_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
)

func TestRuntime_Orphans(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc to recognise a leftover process")
	}
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, withoutRuntime())
	d := e.deploy(t, project("1.1.0", map[string]string{"dags/job.yaml": dag("job",
		bashTask("work", "echo retried", "retries: 1", "retry_delay: 0"),
		bashTask("once", "true"),
	)}), "1.1.0")

	// What a runtime killed with -9 leaves: tries "running" and their processes.
	b := e.svc.LocalRuntimeBackend()
	now := time.Now().UTC().Truncate(time.Microsecond)
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DagID: "job", RunID: "manual__crashed", LogicalDate: now, RunType: "manual", State: dagdeck.RunRunning, CreatedAt: now, StartedAt: &now}
	if err := b.CreateRun(ctx, e.dep.ID, run); err != nil {
		t.Fatal(err)
	}
	orphan := func(task string, maxTries int) *dagdeck.TaskInstance {
		ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DagRunID: run.ID, TaskID: task, TryNumber: 1, MaxTries: maxTries,
			State: dagdeck.TaskRunning, DeployID: d.ID, RuntimeVersion: "1.1.0", StartedAt: &now, RunnerID: "dead-runner"}
		if err := b.CreateTaskInstance(ctx, e.dep.ID, ti); err != nil {
			t.Fatal(err)
		}
		return ti
	}
	work, once := orphan("work", 2), orphan("once", 1)
	leftover := exec.Command("sleep", "60")
	leftover.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leftover.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- leftover.Wait() }()
	pidDir := filepath.Join(e.dataDir, "runtime", e.dep.ID, "pids")
	if err := os.MkdirAll(pidDir, 0o700); err != nil {
		t.Fatal(err)
	}
	pidLine := fmt.Sprintf("%d %s\n", leftover.Process.Pid, procStart(t, leftover.Process.Pid))
	if err := os.WriteFile(filepath.Join(pidDir, work.ID), []byte(pidLine), 0o600); err != nil {
		t.Fatal(err)
	}

	e.rt = e.startRuntime(t, e.config)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the process a dead runtime left was not killed")
	}
	if got := e.waitRun(t, run); got.State != dagdeck.RunFailed {
		t.Fatalf("run = %s, want failed (once had no retries)", got.State)
	}
	works := e.tries(t, run, "work")
	if len(works) != 2 || works[0].ID != work.ID || works[0].State != dagdeck.TaskFailed || works[1].State != dagdeck.TaskSuccess || works[1].RunnerID != e.rt.RunnerID() {
		t.Fatalf("work tries = %+v", works)
	}
	if onces := e.tries(t, run, "once"); len(onces) != 1 || onces[0].ID != once.ID || onces[0].State != dagdeck.TaskFailed || onces[0].EndedAt == nil {
		t.Fatalf("once tries = %+v", onces)
	}
}

// procStart is the start time of a process as /proc/<pid>/stat gives it.
func procStart(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[19]
}

func TestRuntime_EnvVarsAndSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secret := "hunter2-very-secret"
	e.setEnv(t, "PLAIN", "one", false)
	e.setEnv(t, "API_KEY", secret, true)
	files := map[string]string{"dags/show.yaml": dag("show",
		bashTask("show", `echo "plain=$PLAIN key=$API_KEY"; echo "$API_KEY"`),
		`  - id: isolated
    uses: airflow.providers.standard.operators.bash.BashOperator
    with:
      bash_command: 'echo "plain=${PLAIN:-unset} only=$ONLY dag=$DAGDECK_DAG_ID"'
      env: {ONLY: x}
`)}
	v1 := e.deploy(t, project("2.0.0", files), "2.0.0")
	showLog := func(r *dagdeck.DagRun) string {
		e.waitRun(t, r)
		return e.log(t, e.tries(t, r, "show")[0])
	}

	r1 := e.trigger(t, "show")
	if log := showLog(r1); !strings.Contains(log, "plain=one key=***") || strings.Contains(log, secret) {
		t.Fatalf("log of run 1 (secret masked?):\n%s", log)
	}
	if log := e.log(t, e.tries(t, r1, "isolated")[0]); !strings.Contains(log, "plain=unset only=x dag=show") {
		t.Fatalf("env without append_env should replace the inherited environment:\n%s", log)
	}
	x, err := e.svc.LocalRuntimeBackend().FindXCom(context.Background(), e.dep.ID, r1.ID, "show", "return_value")
	if err != nil || x.Value != "***" {
		t.Fatalf("XCom of a secret line = %+v, %v", x, err)
	}

	// Tasks that start after a change see it.
	e.setEnv(t, "PLAIN", "two", false)
	if log := showLog(e.trigger(t, "show")); !strings.Contains(log, "plain=two") {
		t.Fatalf("log after the env change:\n%s", log)
	}

	// A rollback leaves env vars as they are.
	files["include/extra.sh"] = "echo extra\n"
	e.deploy(t, project("2.0.0", files), "2.0.0")
	if _, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back"}); err != nil {
		t.Fatal(err)
	}
	if log := showLog(e.trigger(t, "show")); !strings.Contains(log, "plain=two") {
		t.Fatalf("log after the rollback:\n%s", log)
	}
}

// versionDirs maps the version directories of the Deployment to the
// version their include/step.sh prints.
func versionDirs(t *testing.T, e *env) map[string]string {
	t.Helper()
	root := filepath.Join(e.dataDir, "runtime", e.dep.ID, "versions")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, en := range entries {
		b, _ := os.ReadFile(filepath.Join(root, en.Name(), "include", "step.sh"))
		for _, v := range []string{"v1", "v2", "v3"} {
			if strings.Contains(string(b), " "+v+"\"") {
				out[en.Name()] = v
			}
		}
	}
	return out
}

func versionsIn(dirs map[string]string) []string {
	var vs []string
	for _, v := range dirs {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

func TestRuntime_VersionDirectories(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeepVersions(-1))
	e.deploy(t, stepProject("1.1.0", "v1"), "1.1.0")
	r := e.trigger(t, "pipe")
	e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)
	e.deploy(t, stepProject("1.1.0", "v2"), "1.1.0")
	e.deploy(t, stepProject("1.1.0", "v3"), "1.1.0")

	// v1 is in use, v3 is current; v2 is neither.
	waitFor(t, "v2's directory to be removed", func() bool {
		return slices.Equal(versionsIn(versionDirs(t, e)), []string{"v1", "v3"})
	})

	e.release(t, "go-1")
	e.waitRun(t, r)
	waitFor(t, "v1's directory to be removed once unused", func() bool {
		return slices.Equal(versionsIn(versionDirs(t, e)), []string{"v3"})
	})
}

func TestRuntime_GCKeepsArtifactsOfRunningTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withServiceOptions(service.WithRetention(time.Nanosecond)))
	step := func(v string) string { return dagdeck.DigestOf([]byte(stepProject("1.1.0", v)["include/step.sh"])) }
	e.deploy(t, stepProject("1.1.0", "v1"), "1.1.0")
	r := e.trigger(t, "pipe")
	e.waitTry(t, r, "first", 1, dagdeck.TaskRunning)
	e.deploy(t, stepProject("1.1.0", "v2"), "1.1.0")
	e.deploy(t, stepProject("1.1.0", "v3"), "1.1.0")

	stored := func(digest string) bool {
		_, err := e.files.Stat(context.Background(), digest)
		if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Fatal(err)
		}
		return err == nil
	}
	if _, err := e.svc.GC(admin); err != nil {
		t.Fatal(err)
	}
	if !stored(step("v1")) || stored(step("v2")) || !stored(step("v3")) {
		t.Fatalf("after GC: v1 %v (a task runs it), v2 %v (unused), v3 %v (current)", stored(step("v1")), stored(step("v2")), stored(step("v3")))
	}
	e.release(t, "go-1")
	e.waitRun(t, r)
	if _, err := e.svc.GC(admin); err != nil {
		t.Fatal(err)
	}
	if stored(step("v1")) {
		t.Fatal("v1's files outlived the task that used them")
	}
}

func TestRuntime_Schedules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 14, 5, 9, 0, time.UTC)
	e := newEnv(t, withClock(func() time.Time { return now }))
	header := "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\n"
	e.deploy(t, project("1.1.0", map[string]string{
		"dags/hourly.yaml":   header + "dag_id: hourly\nschedule: \"@hourly\"\nstart_date: 2026-11-01\ncatchup: no\ntasks:\n" + bashTask("t", "true"),
		"dags/backfill.yaml": header + "dag_id: backfill\nschedule: \"30 * * * *\"\nstart_date: \"2026-11-26T11:00:00\"\ncatchup: true\ntasks:\n" + bashTask("t", "true"),
		"dags/manual.yaml":   dag("manual", bashTask("t", "true")),
	}), "1.1.0")
	runIDs := func(dagID string) []string {
		runs, err := e.svc.ListRuns(viewer, e.dep.ID, dagdeck.RunQuery{DagID: dagID})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			if r.State == dagdeck.RunSuccess {
				ids = append(ids, r.RunID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	want := map[string][]string{
		"hourly":   {"scheduled__2026-11-26T14:00:00+00:00"},
		"backfill": {"scheduled__2026-11-26T11:30:00+00:00", "scheduled__2026-11-26T12:30:00+00:00", "scheduled__2026-11-26T13:30:00+00:00"},
	}
	for dagID, ids := range want {
		waitFor(t, dagID+" runs", func() bool { return slices.Equal(runIDs(dagID), ids) })
	}
	if ids := runIDs("manual"); len(ids) != 0 {
		t.Fatalf("a manual DAG ran on its own: %v", ids)
	}
	dags, _, err := e.svc.ListDags(viewer, e.dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dags {
		if d.DagID == "hourly" && (d.NextRunAt == nil || !d.NextRunAt.Equal(time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC))) {
			t.Fatalf("hourly's next run = %v", d.NextRunAt)
		}
	}
}
