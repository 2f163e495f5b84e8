package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// brokenReport is the v2 of examples/hello's report script in
// docs/walkthrough-runtime.md: it reads a file that does not exist.
const brokenReport = `#!/usr/bin/env bash
# Called by the "report" task of the hello DAG.
set -euo pipefail
echo "report v2: reading today's numbers from the warehouse export"
cat /data/warehouse/export.csv
`

// TestE2E_RuntimeWalkthrough follows docs/walkthrough-runtime.md with
// examples/hello: deploy v1, deploy a broken v2, watch its tasks fail, roll
// back, watch v1's code run again.
func TestE2E_RuntimeWalkthrough(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.Env = append(s.Env, "TMPDIR="+t.TempDir()) // nightly_cleanup's scratch directory
	s.Start(t)
	project := filepath.Join(t.TempDir(), "hello")
	CopyDir(t, filepath.Join("..", "examples", "hello"), project)
	s.MustRun(t, project, "deployment", "create", "--name", "hello")
	s.MustRun(t, project, "deploy", ".", "--deployment", "hello", "--description", "v1", "--wait")
	if out := s.MustRun(t, project, "dags", "list", "--deployment", "hello"); !strings.Contains(out, "nightly_cleanup") || strings.Contains(out, "Import errors") {
		t.Fatalf("dags list:\n%s", out)
	}

	// run triggers hello, waits for the run and returns report's tries.
	run := func(wantState string) []*dagdeck.TaskInstance {
		t.Helper()
		var r dagdeck.DagRun
		s.JSON(t, project, &r, "dags", "trigger", "hello", "--deployment", "hello")
		if state := WaitForRun(t, s, project, "hello", &r); state != wantState {
			t.Fatalf("run %s = %s, want %s", r.RunID, state, wantState)
		}
		var tries []*dagdeck.TaskInstance
		for n := 1; ; n++ {
			ti := Try(TaskInstances(t, s, project, "hello", r.RunID), "report", n)
			if ti == nil {
				return tries
			}
			tries = append(tries, ti)
		}
	}
	logOf := func(ti *dagdeck.TaskInstance) string {
		return s.MustRun(t, project, "tasks", "logs", ti.ID, "--deployment", "hello")
	}

	if tries := run(dagdeck.RunSuccess); !strings.Contains(logOf(tries[0]), "report v1") {
		t.Fatalf("v1's report:\n%s", logOf(tries[0]))
	}

	if err := os.WriteFile(filepath.Join(project, "include", "report.sh"), []byte(brokenReport), 0o755); err != nil {
		t.Fatal(err)
	}
	s.MustRun(t, project, "deploy", ".", "--deployment", "hello", "--description", "v2: report from the warehouse export", "--wait")
	tries := run(dagdeck.RunFailed)
	if len(tries) != 3 || tries[2].State != dagdeck.TaskFailed {
		t.Fatalf("v2's report tries = %+v", tries)
	}
	if log := logOf(tries[0]); !strings.Contains(log, "report v2") || !strings.Contains(log, "No such file or directory") || !strings.Contains(log, "exit code 1") {
		t.Fatalf("v2's report log:\n%s", log)
	}

	var rb dagdeck.RollbackResult
	s.JSON(t, project, &rb, "rollback", "#1", "--deployment", "hello", "--description", "v2 broke the report", "--yes")
	tries = run(dagdeck.RunSuccess)
	if tries[0].DeployID != rb.Deploy.ID || !strings.Contains(logOf(tries[0]), "report v1") {
		t.Fatalf("after the rollback: %+v\n%s", tries[0], logOf(tries[0]))
	}
}
