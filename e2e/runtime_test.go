package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/sqlite"
)

const bashOperator = "airflow.providers.standard.operators.bash.BashOperator"

// stepScript prints which code runs; the task "first" then records its pid
// in $SHARED/<dag>-first-<try>.pid and waits (at most a minute) for
// $SHARED/go-<try>.
func stepScript(version string) string {
	return `echo "$1 ` + version + ` try $DAGDECK_TRY_NUMBER"
[ "$1" = first ] || exit 0
echo $$ > "$SHARED/$DAGDECK_DAG_ID-first-$DAGDECK_TRY_NUMBER.pid"
i=0
while [ ! -e "$SHARED/go-$DAGDECK_TRY_NUMBER" ]; do
  i=$((i+1)); [ $i -gt 600 ] && exit 1
  sleep 0.1
done
`
}

// pipeProject is a project whose DAG "pipe" runs first (retried once) then
// second, both printing the code version. On runtime 2.0.0 second reads
// first's XCom.
func pipeProject(runtime, version string) map[string]string {
	second := `  - id: second
    uses: ` + bashOperator + `
    needs: [first]
    with:
      bash_command: "sh include/step.sh second"
`
	if runtime == "2.0.0" {
		second = `  - id: second
    uses: ` + bashOperator + `
    with:
      bash_command: 'sh include/step.sh second; echo "first said: $FIRST"'
      env: {FIRST: {$x: first}}
      append_env: true
`
	}
	return map[string]string{
		"Dockerfile":      "FROM quay.io/dagdeck/runtime:" + runtime + "\n",
		"include/step.sh": stepScript(version),
		"dags/pipe.yaml": `$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json
dag_id: pipe
schedule: null
tasks:
  - id: first
    uses: ` + bashOperator + `
    retries: 1
    retry_delay: 0
    with:
      bash_command: "sh include/step.sh first"
` + second,
	}
}

// runtimeSetup starts a server with extra args, creates the Deployment
// "etl" whose tasks find the test's scratch directory in $SHARED, and
// returns the server, a working directory and the scratch directory.
func runtimeSetup(t *testing.T, extra ...string) (*Server, string, string) {
	t.Helper()
	s := StartServer(t, extra...)
	dir, shared := t.TempDir(), t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	s.MustRun(t, dir, "deployment", "update", "etl", "--env", "SHARED="+shared)
	return s, dir, shared
}

// deployProject writes files into a fresh project folder and deploys it.
func deployProject(t *testing.T, s *Server, dir string, files map[string]string, description string) *dagdeck.Deploy {
	t.Helper()
	project := filepath.Join(dir, strings.ReplaceAll(description, " ", "-"))
	WriteProject(t, project, files)
	var d dagdeck.Deploy
	s.JSON(t, dir, &d, "deploy", project, "--deployment", "etl", "--description", description, "--wait")
	return &d
}

func trigger(t *testing.T, s *Server, dir, dagID string) *dagdeck.DagRun {
	t.Helper()
	var r dagdeck.DagRun
	s.JSON(t, dir, &r, "dags", "trigger", dagID, "--deployment", "etl")
	return &r
}

func taskLog(t *testing.T, s *Server, dir string, ti *dagdeck.TaskInstance) string {
	t.Helper()
	return s.MustRun(t, dir, "tasks", "logs", ti.ID, "--deployment", "etl")
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	WaitFor(t, 30*time.Second, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// alive reports whether a process exists and is not a zombie (a killed
// process nobody reaped yet is dead).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if _, statErr := os.Stat("/proc/self/stat"); statErr != nil {
			return syscall.Kill(pid, 0) == nil // no /proc here
		}
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// TestE2E_RuntimeDeployWhileRunning: a deploy while a run is in flight lets
// the running task finish on the old code; the task downstream that starts
// afterwards runs the new code.
func TestE2E_RuntimeDeployWhileRunning(t *testing.T) {
	t.Parallel()
	s, dir, shared := runtimeSetup(t)
	v1 := deployProject(t, s, dir, pipeProject("1.1.0", "v1"), "v1")
	run := trigger(t, s, dir, "pipe")
	WaitForTry(t, s, dir, "etl", run.RunID, "first", 1, dagdeck.TaskRunning)

	v2 := deployProject(t, s, dir, pipeProject("1.1.0", "v2"), "v2")
	Touch(t, shared, "go-1")
	if state := WaitForRun(t, s, dir, "etl", run); state != dagdeck.RunSuccess {
		t.Fatalf("run = %s", state)
	}
	tis := TaskInstances(t, s, dir, "etl", run.RunID)
	first, second := Try(tis, "first", 1), Try(tis, "second", 1)
	if first.DeployID != v1.ID || first.RuntimeVersion != "1.1.0" || !strings.Contains(taskLog(t, s, dir, first), "first v1 try 1") {
		t.Fatalf("first should have finished on v1: %+v\n%s", first, taskLog(t, s, dir, first))
	}
	if second.DeployID != v2.ID || !strings.Contains(taskLog(t, s, dir, second), "second v2 try 1") {
		t.Fatalf("second should have run v2: %+v\n%s", second, taskLog(t, s, dir, second))
	}
	table := s.MustRun(t, dir, "tasks", "list", "--deployment", "etl", "--run", run.RunID)
	for _, want := range []string{v1.ID, v2.ID, "success", "1/2"} {
		if !strings.Contains(table, want) {
			t.Fatalf("tasks list lacks %q:\n%s", want, table)
		}
	}
}

// TestE2E_RuntimeDowngradeRollback: a rollback from runtime 2.0.0 to 1.1.0
// while a task with retries runs stops it at once; the retry starts only
// once the rollback is DEPLOYED and runs v1's code on 1.1.0; the XCom rows
// are erased, as many as the dry run said.
func TestE2E_RuntimeDowngradeRollback(t *testing.T) {
	t.Parallel()
	s, dir, shared := runtimeSetup(t)
	v1 := deployProject(t, s, dir, pipeProject("1.1.0", "v1"), "v1")
	deployProject(t, s, dir, pipeProject("2.0.0", "v2"), "v2")

	// A finished run on 2.0.0 leaves XCom values.
	Touch(t, shared, "go-1")
	done := trigger(t, s, dir, "pipe")
	if state := WaitForRun(t, s, dir, "etl", done); state != dagdeck.RunSuccess {
		t.Fatalf("run = %s", state)
	}
	if log := taskLog(t, s, dir, Try(TaskInstances(t, s, dir, "etl", done.RunID), "second", 1)); !strings.Contains(log, "first said: ") {
		t.Fatalf("second did not read first's XCom:\n%s", log)
	}
	for _, f := range []string{"go-1", "pipe-first-1.pid"} {
		if err := os.Remove(filepath.Join(shared, f)); err != nil {
			t.Fatal(err)
		}
	}

	run := trigger(t, s, dir, "pipe")
	running := WaitForTry(t, s, dir, "etl", run.RunID, "first", 1, dagdeck.TaskRunning)
	pid := readPid(t, filepath.Join(shared, "pipe-first-1.pid"))
	var dry dagdeck.RollbackResult
	s.JSON(t, dir, &dry, "rollback", v1.ID, "--deployment", "etl", "--dry-run")
	p := dry.Plan
	if p.Runtime.Change != dagdeck.RuntimeDowngrade || len(p.RunningTasks) != 1 || p.RunningTasks[0].TaskID != "first" || len(p.Erased) != 1 || p.Erased[0].Feature.Name != "xcom" {
		t.Fatalf("plan = %+v", p)
	}
	if n := xcomRows(t, s); n != p.Erased[0].Rows || n == 0 {
		t.Fatalf("the plan erases %d XCom rows; the store has %d", p.Erased[0].Rows, n)
	}

	var rb dagdeck.RollbackResult
	s.JSON(t, dir, &rb, "rollback", v1.ID, "--deployment", "etl", "--description", "back to 1.1", "--confirm-downgrade", "--yes")
	if alive(pid) {
		t.Fatalf("first's process %d survived the downgrade", pid)
	}
	stopped := Try(TaskInstances(t, s, dir, "etl", run.RunID), "first", 1)
	if stopped.ID != running.ID || stopped.State == dagdeck.TaskRunning || stopped.EndedAt == nil {
		t.Fatalf("try 1 after the rollback = %+v", stopped)
	}
	if n := xcomRows(t, s); n != 0 {
		t.Fatalf("%d XCom rows left after the downgrade", n)
	}

	Touch(t, shared, "go-2")
	retry := WaitForTry(t, s, dir, "etl", run.RunID, "first", 2, dagdeck.TaskSuccess)
	if retry.DeployID != rb.Deploy.ID || retry.RuntimeVersion != "1.1.0" || retry.StartedAt.Before(*rb.Deploy.FinalizedAt) {
		t.Fatalf("retry = %+v; the rollback %s was finalized at %s", retry, rb.Deploy.ID, rb.Deploy.FinalizedAt)
	}
	if log := taskLog(t, s, dir, retry); !strings.Contains(log, "first v1 try 2") {
		t.Fatalf("the retry did not run v1:\n%s", log)
	}
	if state := WaitForRun(t, s, dir, "etl", run); state != dagdeck.RunSuccess {
		t.Fatalf("run = %s", state)
	}
	// Notes exist on 1.1.0; XCom is refused below 2.0.0 at import time.
	s.MustRun(t, dir, "tasks", "note", retry.ID, "--deployment", "etl", "--note", "retried after the downgrade")
}

// xcomRows counts the Deployment's XCom rows in the server's SQLite
// database (a second connection; WAL lets it read while the server runs).
func xcomRows(t *testing.T, s *Server) int {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(s.DataDir, "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeploymentByName(ctx, "etl")
		if err != nil {
			return err
		}
		n, err = tx.CountFeatureRows(ctx, dep.ID, dagdeck.FeatureXCom)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestE2E_RuntimeProcess: `dagdeck runtime` against `dagdeck server
// --runtime=none` runs a Deployment the same way: env vars reach tasks and
// changes apply to tasks started afterwards, secrets never show in CLI
// output, deploys and rollbacks change the code that runs, and a rollback
// leaves env vars as they are.
func TestE2E_RuntimeProcess(t *testing.T) {
	t.Parallel()
	s, dir, _ := runtimeSetup(t, "--runtime=none")
	token := RuntimeToken(t, s, dir, "etl")
	secret := "pa55-w0rd-never-shown"
	s.MustRun(t, dir, "deployment", "update", "etl", "--env", "PLAIN=one", "--secret-env", "API_KEY="+secret)
	show := func(version string) map[string]string {
		return map[string]string{
			"Dockerfile":      "FROM quay.io/dagdeck/runtime:1.1.0\n",
			"include/show.sh": `echo "plain=$PLAIN key=$API_KEY code=` + version + ` deploy=$DAGDECK_DEPLOY_ID"` + "\n",
			"dags/show.yaml": `$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json
dag_id: show
schedule: null
tasks:
  - id: show
    uses: ` + bashOperator + `
    with:
      bash_command: "sh include/show.sh"
`,
		}
	}
	rt := StartProcess(t, s, "is running", "runtime", "--deployment", "etl", "--server", s.URL, "--token", token,
		"--data-dir", filepath.Join(t.TempDir(), "runtime"), "--poll-interval", "100ms", "--task-user=")
	WriteProject(t, filepath.Join(dir, "v1"), show("v1"))
	var v1 dagdeck.Deploy
	s.JSON(t, dir, &v1, "deploy", filepath.Join(dir, "v1"), "--deployment", "etl", "--description", "v1", "--wait")
	var outputs []string
	runShow := func(r *dagdeck.DagRun, want string) {
		t.Helper()
		if state := WaitForRun(t, s, dir, "etl", r); state != dagdeck.RunSuccess {
			t.Fatalf("run %s = %s", r.RunID, state)
		}
		ti := Try(TaskInstances(t, s, dir, "etl", r.RunID), "show", 1)
		log := taskLog(t, s, dir, ti)
		if !strings.Contains(log, want) {
			t.Fatalf("log lacks %q:\n%s", want, log)
		}
		outputs = append(outputs, log, s.MustRun(t, dir, "tasks", "list", "--deployment", "etl", "-o", "json"))
	}
	runShow(trigger(t, s, dir, "show"), "plain=one key=*** code=v1")

	s.MustRun(t, dir, "deployment", "update", "etl", "--env", "PLAIN=two")
	runShow(trigger(t, s, dir, "show"), "plain=two key=*** code=v1")

	WriteProject(t, filepath.Join(dir, "v2"), show("v2"))
	s.MustRun(t, dir, "deploy", filepath.Join(dir, "v2"), "--deployment", "etl", "--description", "v2", "--wait")
	runShow(trigger(t, s, dir, "show"), "code=v2")

	s.MustRun(t, dir, "rollback", v1.ID, "--deployment", "etl", "--description", "back", "--yes")
	runShow(trigger(t, s, dir, "show"), "plain=two key=*** code=v1")

	var dep dagdeck.Deployment
	s.JSON(t, dir, &dep, "deployment", "inspect", "etl")
	for _, v := range dep.Env {
		if v.Key == "PLAIN" && v.Value != "two" {
			t.Fatalf("the rollback changed PLAIN to %q", v.Value)
		}
	}
	outputs = append(outputs,
		s.MustRun(t, dir, "deployment", "inspect", "etl"),
		s.MustRun(t, dir, "deployment", "inspect", "etl", "-o", "json"),
		s.MustRun(t, dir, "deployment", "list", "-o", "json"),
		s.MustRun(t, dir, "dags", "list", "--deployment", "etl"),
		s.MustRun(t, dir, "runs", "list", "--deployment", "etl", "-o", "json"),
		rt.Output(), s.Output())
	for _, out := range outputs {
		if strings.Contains(out, secret) {
			t.Fatalf("the secret value was printed:\n%s", out)
		}
	}
}

// TestE2E_RuntimeServerKilled: a server killed with SIGKILL while tasks run
// leaves no task instance running forever: when it starts again, the tries
// are failed, and retried when retries remain.
func TestE2E_RuntimeServerKilled(t *testing.T) {
	t.Parallel()
	s, dir, shared := runtimeSetup(t)
	files := pipeProject("1.1.0", "v1")
	files["dags/solo.yaml"] = `$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json
dag_id: solo
schedule: null
tasks:
  - id: first
    uses: ` + bashOperator + `
    with:
      bash_command: "sh include/step.sh first"
`
	d := deployProject(t, s, dir, files, "v1")
	pipe := trigger(t, s, dir, "pipe")
	pipeTry := WaitForTry(t, s, dir, "etl", pipe.RunID, "first", 1, dagdeck.TaskRunning)
	solo := trigger(t, s, dir, "solo")
	soloTry := WaitForTry(t, s, dir, "etl", solo.RunID, "first", 1, dagdeck.TaskRunning)
	pids := []int{readPid(t, filepath.Join(shared, "pipe-first-1.pid")), readPid(t, filepath.Join(shared, "solo-first-1.pid"))}
	// The crash this test makes comes after the runtime recorded each
	// try's process (a crash in the instant between starting a process and
	// recording it is not what it tests).
	for _, ti := range []*dagdeck.TaskInstance{pipeTry, soloTry} {
		pidFile := filepath.Join(s.DataDir, "runtime", ti.DeploymentID, "pids", ti.ID)
		WaitFor(t, 30*time.Second, "the runtime to record the process of "+ti.ID, func() bool {
			_, err := os.Stat(pidFile)
			return err == nil
		})
	}

	s.Kill(t)
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("task process %d died with the server: the test proves nothing", pid)
		}
	}
	s.Start(t)

	retry := WaitForTry(t, s, dir, "etl", pipe.RunID, "first", 2, dagdeck.TaskRunning, dagdeck.TaskSuccess)
	if retry.DeployID != d.ID {
		t.Fatalf("retry = %+v", retry)
	}
	orphan := Try(TaskInstances(t, s, dir, "etl", pipe.RunID), "first", 1)
	if orphan.State != dagdeck.TaskFailed || orphan.EndedAt == nil || orphan.RunnerID == retry.RunnerID {
		t.Fatalf("the orphaned try = %+v (retry by %s)", orphan, retry.RunnerID)
	}
	if soloTry := WaitForTry(t, s, dir, "etl", solo.RunID, "first", 1, dagdeck.TaskFailed); soloTry.EndedAt == nil {
		t.Fatalf("solo's try = %+v", soloTry)
	}
	WaitFor(t, 30*time.Second, "the killed server's task processes to be gone", func() bool { return !alive(pids[0]) && !alive(pids[1]) })

	Touch(t, shared, "go-2")
	if state := WaitForRun(t, s, dir, "etl", pipe); state != dagdeck.RunSuccess {
		t.Fatalf("pipe = %s", state)
	}
	if state := WaitForRun(t, s, dir, "etl", solo); state != dagdeck.RunFailed {
		t.Fatalf("solo = %s", state)
	}
	var all struct {
		TaskInstances []*dagdeck.TaskInstance `json:"taskInstances"`
	}
	s.JSON(t, dir, &all, "tasks", "list", "--deployment", "etl")
	for _, ti := range all.TaskInstances {
		if ti.State == dagdeck.TaskRunning {
			t.Fatalf("still running: %+v", ti)
		}
	}
}

// TestE2E_RuntimeProcessDowngradeRollback: with `dagdeck runtime` running
// the Deployment (the server runs none), a rollback from runtime 2.0.0 to
// 1.1.0 while a task with retries runs: the running try ends at once and
// its process is stopped; its retry exists only once the rollback is
// DEPLOYED, and runs v1's code on 1.1.0.
func TestE2E_RuntimeProcessDowngradeRollback(t *testing.T) {
	t.Parallel()
	s, dir, shared := runtimeSetup(t, "--runtime=none")
	token := RuntimeToken(t, s, dir, "etl")
	StartProcess(t, s, "is running", "runtime", "--deployment", "etl", "--server", s.URL, "--token", token,
		"--data-dir", filepath.Join(t.TempDir(), "runtime"), "--poll-interval", "100ms", "--task-user=")
	v1 := deployProject(t, s, dir, pipeProject("1.1.0", "v1"), "v1")
	v2 := deployProject(t, s, dir, pipeProject("2.0.0", "v2"), "v2") // --wait: the runtime loaded it

	run := trigger(t, s, dir, "pipe")
	running := WaitForTry(t, s, dir, "etl", run.RunID, "first", 1, dagdeck.TaskRunning)
	if running.DeployID != v2.ID {
		t.Fatalf("try 1 = %+v, want it on v2", running)
	}
	pid := readPid(t, filepath.Join(shared, "pipe-first-1.pid"))

	var rb dagdeck.RollbackResult
	s.JSON(t, dir, &rb, "rollback", v1.ID, "--deployment", "etl", "--description", "back to 1.1", "--confirm-downgrade", "--yes")
	if rb.Deploy == nil || rb.Deploy.Status != dagdeck.DeployDeployed || rb.Deploy.FinalizedAt == nil {
		t.Fatalf("rollback = %+v", rb.Deploy)
	}
	// At once, the server ended try 1; no try 2 ran on the code from before.
	tis := TaskInstances(t, s, dir, "etl", run.RunID)
	if stopped := Try(tis, "first", 1); stopped.State == dagdeck.TaskRunning || stopped.EndedAt == nil {
		t.Fatalf("try 1 after the rollback = %+v", stopped)
	}
	if early := Try(tis, "first", 2); early != nil && early.DeployID != rb.Deploy.ID {
		t.Fatalf("try 2 started before the rollback was deployed: %+v", early)
	}
	WaitFor(t, 30*time.Second, "the runtime to stop try 1's process", func() bool { return !alive(pid) })

	Touch(t, shared, "go-2")
	retry := WaitForTry(t, s, dir, "etl", run.RunID, "first", 2, dagdeck.TaskSuccess, dagdeck.TaskFailed)
	if retry.DeployID != rb.Deploy.ID || retry.RuntimeVersion != "1.1.0" || retry.StartedAt.Before(*rb.Deploy.FinalizedAt) {
		t.Fatalf("retry = %+v; the rollback %s was finalized at %s", retry, rb.Deploy.ID, rb.Deploy.FinalizedAt)
	}
	if log := taskLog(t, s, dir, retry); !strings.Contains(log, "first v1 try 2") {
		t.Fatalf("the retry did not run v1:\n%s", log)
	}
	if state := WaitForRun(t, s, dir, "etl", run); state != dagdeck.RunSuccess {
		t.Fatalf("run = %s", state)
	}
	tis = TaskInstances(t, s, dir, "etl", run.RunID)
	if first := Try(tis, "first", 1); first.State != dagdeck.TaskFailed || first.DeployID != v2.ID {
		t.Fatalf("try 1 = %+v", first)
	}
	if extra := Try(tis, "first", 3); extra != nil {
		t.Fatalf("a third try ran: %+v", extra)
	}
	// Whichever the runtime process learns first, the server ending the try
	// or the downgraded current deploy, its log says why it stopped.
	if log := taskLog(t, s, dir, Try(tis, "first", 1)); !strings.Contains(log, "ended by the server") && !strings.Contains(log, "runtime was downgraded") {
		t.Fatalf("try 1's log does not say why it stopped:\n%s", log)
	}
}
