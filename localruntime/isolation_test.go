package localruntime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/localruntime"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// tamperProject runs include/x.sh, which prints its version, after trying
// to rewrite it as tasks must not be able to (unless $TAMPER is "no"), and
// to reach what tasks must not read ($DB, $ARTIFACTS, $DATA, $OTHER set by
// the test).
func tamperProject(version string) apitest.Files {
	probe := strings.Join([]string{
		`echo "user=$(id -un)"`,
		`cat "$DB" >/dev/null 2>&1 && echo DB-READ || echo DB-DENIED`,
		`ls "$ARTIFACTS" >/dev/null 2>&1 && echo ARTIFACTS-READ || echo ARTIFACTS-DENIED`,
		`ls "$DATA" >/dev/null 2>&1 && echo DATA-READ || echo DATA-DENIED`,
		`cat "$OTHER" >/dev/null 2>&1 && echo OTHER-READ || echo OTHER-DENIED`,
		`[ "$TAMPER" = no ] || { sed -i s/ORIGINAL/TAMPERED/ include/x.sh 2>/dev/null && echo SED-OK || echo SED-FAILED; }`,
		`touch include/new 2>/dev/null && echo ADD-OK || echo ADD-FAILED`,
	}, "; ")
	return project("1.1.0", map[string]string{
		"include/x.sh":   "echo ORIGINAL " + version + "\n",
		"dags/pipe.yaml": dag("pipe", bashTask("probe", probe), bashTask("run", "sh include/x.sh", "needs: [probe]")),
	})
}

// runPipe triggers the pipe DAG, waits for it and returns the logs of its
// probe and run tasks.
func runPipe(t *testing.T, e *env) (probe, run string) {
	t.Helper()
	r := e.trigger(t, "pipe")
	e.waitRun(t, r)
	return e.log(t, e.tries(t, r, "probe")[0]), e.log(t, e.tries(t, r, "run")[0])
}

// TestRuntime_RollbackRunsArchivedCode: a task rewrites a file of its
// version directory (it runs as the runtime's user, which can); a later
// rollback to that deploy runs the archived code again, not the rewrite.
func TestRuntime_RollbackRunsArchivedCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v1 := e.deploy(t, tamperProject("v1"), "1.1.0")
	if probe, run := runPipe(t, e); !strings.Contains(probe, "SED-OK") || !strings.Contains(run, "TAMPERED v1") {
		t.Fatalf("the test's tampering did not work as the runtime's user:\n%s\n%s", probe, run)
	}
	e.deploy(t, tamperProject("v2"), "1.1.0")
	if _, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to v1"}); err != nil {
		t.Fatal(err)
	}
	e.setEnv(t, "TAMPER", "no", false)
	r := e.trigger(t, "pipe")
	e.waitRun(t, r)
	if run := e.log(t, e.tries(t, r, "run")[0]); !strings.Contains(run, "ORIGINAL v1") {
		t.Fatalf("the rollback ran changed code instead of the archived v1:\n%s\n%+v", run, e.tries(t, r, "run"))
	}
}

// TestRuntime_InPlaceEditStaysInItsVersion: a task (running as the
// runtime's user) rewrites a file of its version in place, through the
// hard link its version shares with the code pool. The next deploy, whose
// file has the same content, runs the archived content, and so does a
// rollback to the first deploy.
func TestRuntime_InPlaceEditStaysInItsVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	files := func(other string) apitest.Files {
		edit := `[ "$TAMPER" = no ] || { chmod u+w include/x.sh && echo 'echo TAMPERED' > include/x.sh && echo EDIT-OK; }`
		return project("1.1.0", map[string]string{
			"include/x.sh":   "echo ORIGINAL\n",
			"include/other":  other,
			"dags/pipe.yaml": dag("pipe", bashTask("probe", edit), bashTask("run", "sh include/x.sh", "needs: [probe]")),
		})
	}
	v1 := e.deploy(t, files("1"), "1.1.0")
	if probe, run := runPipe(t, e); !strings.Contains(probe, "EDIT-OK") || !strings.Contains(run, "TAMPERED") {
		t.Fatalf("the test's in-place edit did not work as the runtime's user:\n%s\n%s", probe, run)
	}
	e.setEnv(t, "TAMPER", "no", false)
	e.deploy(t, files("2"), "1.1.0")
	if _, run := runPipe(t, e); !strings.Contains(run, "ORIGINAL") {
		t.Fatalf("the next deploy ran the edited file instead of the archived one:\n%s", run)
	}
	if _, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to v1"}); err != nil {
		t.Fatal(err)
	}
	if _, run := runPipe(t, e); !strings.Contains(run, "ORIGINAL") {
		t.Fatalf("the rollback ran the edited file instead of the archived one:\n%s", run)
	}
}

// withTaskUser runs tasks as nobody with their code under codeDir.
func withTaskUser(codeDir string) envOption {
	return func(c *localruntime.Config, _ *[]service.Option) { c.TaskUser, c.CodeDir = "nobody", codeDir }
}

// TestRuntime_TaskUser runs tasks as nobody (the test runs as root): they
// cannot read the database, the artifacts, the data directory or another
// Deployment's code, cannot change their own code, and a rollback runs the
// archived code.
func TestRuntime_TaskUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("tasks change user only when the runtime runs as root")
	}
	t.Parallel()
	codeDir, err := os.MkdirTemp("", "dagdeck-code-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(codeDir) })
	e := newEnv(t, withTaskUser(codeDir))
	other, err := e.svc.CreateDeployment(admin, dagdeck.DeploymentCreate{Name: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	e.deployTo(t, other.ID, project("1.1.0", map[string]string{"include/secret.sh": "echo billing secret\n"}), "1.1.0")
	var otherFile string
	waitFor(t, "billing's code", func() bool {
		m, _ := filepath.Glob(filepath.Join(codeDir, other.ID, "versions", "*", "include", "secret.sh"))
		if len(m) == 1 {
			otherFile = m[0]
		}
		return otherFile != ""
	})
	for k, v := range map[string]string{"DB": e.store.(interface{ Path() string }).Path(), "ARTIFACTS": e.files.Dir(), "DATA": e.dataDir, "OTHER": otherFile} {
		e.setEnv(t, k, v, false)
	}

	v1 := e.deploy(t, tamperProject("v1"), "1.1.0")
	probe, run := runPipe(t, e)
	for _, want := range []string{"user=nobody", "DB-DENIED", "ARTIFACTS-DENIED", "DATA-DENIED", "OTHER-DENIED", "SED-FAILED", "ADD-FAILED"} {
		if !strings.Contains(probe, want) {
			t.Errorf("the task's probe does not say %s:\n%s", want, probe)
		}
	}
	if !strings.Contains(run, "ORIGINAL v1") {
		t.Fatalf("run:\n%s", run)
	}
	e.deploy(t, tamperProject("v2"), "1.1.0")
	if _, err := e.svc.Rollback(deployer, e.dep.ID, v1.ID, dagdeck.RollbackRequest{Description: "back to v1"}); err != nil {
		t.Fatal(err)
	}
	if _, run := runPipe(t, e); !strings.Contains(run, "ORIGINAL v1") {
		t.Fatalf("the rollback did not run the archived v1:\n%s", run)
	}
}

// TestRuntime_PrepareLaysOutCodeAhead: Prepare builds the code of a deploy
// that is not current yet, and the current code keeps running; once the
// deploy is finalized, activating it opens no artifact.
func TestRuntime_PrepareLaysOutCodeAhead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, echoProject("FIRST"), "1.1.0")
	next := e.upload(t, e.dep.ID, echoProject("SECOND"), "1.1.0")
	before := e.spy.blobsOpened()
	if err := e.rt.Prepare(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if e.spy.blobsOpened() == before {
		t.Fatal("Prepare opened no artifact: it laid out nothing")
	}
	if _, run := runPipe(t, e); !strings.Contains(run, "FIRST") {
		t.Fatalf("after Prepare the current code changed:\n%s", run)
	}
	prepared := e.spy.blobsOpened()
	if _, err := e.svc.FinalizeDeploy(deployer, e.dep.ID, next.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.spy.blobsOpened() - prepared; n != 0 {
		t.Errorf("activating a prepared deploy opened %d artifacts, want none", n)
	}
	if _, run := runPipe(t, e); !strings.Contains(run, "SECOND") {
		t.Fatalf("after the finalize the new code does not run:\n%s", run)
	}
}

// TestRuntime_PreparedCodeChangedIsRebuilt: Prepare lays out a deploy's
// code, a task running as the runtime's user edits it, and the deploy is
// cancelled; a later deploy of the same code finds the folder changed and
// runs the archived code. (Only the activation of the deploy Prepare was
// for trusts the folder it just built.)
func TestRuntime_PreparedCodeChangedIsRebuilt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, echoProject("FIRST"), "1.1.0")
	next := e.upload(t, e.dep.ID, echoProject("SECOND"), "1.1.0")
	if err := e.rt.Prepare(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	prepared := ""
	m, _ := filepath.Glob(filepath.Join(e.dataDir, "runtime", "*", "versions", "*", "include", "x.sh"))
	for _, p := range m {
		if b, _ := os.ReadFile(p); string(b) == "echo SECOND\n" {
			prepared = p
		}
	}
	if prepared == "" {
		t.Fatalf("no prepared folder runs SECOND among %v", m)
	}
	if err := os.Chmod(prepared, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prepared, []byte("echo TAMPERED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := dagdeck.DeployFailed
	if _, err := e.svc.UpdateDeploy(deployer, e.dep.ID, next.ID, dagdeck.DeployUpdate{Status: &failed}); err != nil {
		t.Fatal(err)
	}
	e.deploy(t, echoProject("SECOND"), "1.1.0")
	if _, run := runPipe(t, e); !strings.Contains(run, "SECOND") || strings.Contains(run, "TAMPERED") {
		t.Fatalf("a deploy of the prepared code ran the changed folder instead of the archived code:\n%s", run)
	}
}

// echoProject is a project whose pipe DAG's run task echoes version.
func echoProject(version string) apitest.Files {
	return project("1.1.0", map[string]string{
		"include/x.sh":   "echo " + version + "\n",
		"dags/pipe.yaml": dag("pipe", bashTask("probe", "true"), bashTask("run", "sh include/x.sh", "needs: [probe]")),
	})
}
