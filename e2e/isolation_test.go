package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// TestE2E_TaskUser starts `dagdeck server` as root (the tests run as root)
// with --task-user nobody: its tasks run as nobody, cannot read the
// database or change their code, and a rollback runs the archived code.
func TestE2E_TaskUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("tasks change user only when the server runs as root")
	}
	t.Parallel()
	codeDir, err := os.MkdirTemp("", "dagdeck-e2e-code-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(codeDir) })
	s := StartServer(t, "--task-user", "nobody", "--code-dir", codeDir)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	s.MustRun(t, dir, "deployment", "update", "etl", "--env", "DB="+filepath.Join(s.DataDir, "dagdeck.db"))
	probe := `echo "user=$(id -un)"; cat "$DB" >/dev/null 2>&1 && echo DB-READ || echo DB-DENIED; ` +
		`sed -i s/ORIGINAL/TAMPERED/ include/x.sh 2>/dev/null && echo SED-OK || echo SED-FAILED; sh include/x.sh`
	files := func(version string) map[string]string {
		return map[string]string{
			"Dockerfile":   "FROM quay.io/dagdeck/runtime:1.1.0\n",
			"include/x.sh": "echo ORIGINAL " + version + "\n",
			"dags/probe.yaml": "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: probe\nschedule: null\ntasks:\n" +
				"  - id: probe\n    uses: " + bashOperator + "\n    with:\n      bash_command: '" + probe + "'\n",
		}
	}
	runProbe := func() string {
		t.Helper()
		r := trigger(t, s, dir, "probe")
		if state := WaitForRun(t, s, dir, "etl", r); state != dagdeck.RunSuccess {
			t.Fatalf("run %s", state)
		}
		return taskLog(t, s, dir, Try(TaskInstances(t, s, dir, "etl", r.RunID), "probe", 1))
	}
	v1 := deployProject(t, s, dir, files("v1"), "v1")
	log := runProbe()
	for _, want := range []string{"user=nobody", "DB-DENIED", "SED-FAILED", "ORIGINAL v1"} {
		if !strings.Contains(log, want) {
			t.Errorf("the task's log does not say %s:\n%s", want, log)
		}
	}
	deployProject(t, s, dir, files("v2"), "v2")
	s.MustRun(t, dir, "rollback", v1.ID, "--deployment", "etl", "--description", "back to v1", "--yes")
	if log := runProbe(); !strings.Contains(log, "ORIGINAL v1") || strings.Contains(log, "TAMPERED v1") {
		t.Fatalf("the rollback did not run the archived v1:\n%s", log)
	}
	if fi, err := os.Stat(s.DataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
}
