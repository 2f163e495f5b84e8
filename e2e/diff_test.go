package e2e

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// TestE2E_DeploysDiff diffs two deploys with the real binary: the unified
// diff, --stat, --name-only, -o json and --exit-code.
func TestE2E_DeploysDiff(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	v1 := project("1.1.0", "report v1")
	v1["include/logo.png"] = "\x89PNG\r\n\x1a\n\x00\x01"
	WriteProject(t, dir, v1)
	s.MustRun(t, dir, "deploy", dir, "--deployment", "etl", "--description", "v1")
	v2 := project("1.1.0", "report v2")
	v2["include/logo.png"] = "\x89PNG\r\n\x1a\n\x00\x02"
	v2["dags/extra.yaml"] = "dag_id: extra\n"
	WriteProject(t, dir, v2)
	s.MustRun(t, dir, "deploy", dir, "--deployment", "etl", "--description", "v2")

	// Without TO: from #1 to the current deploy.
	res := s.Run(t, dir, "deploys", "diff", "#1", "--deployment", "etl")
	for _, want := range []string{
		"diff --git a/include/report.sh b/include/report.sh\n--- a/include/report.sh\n+++ b/include/report.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo report v1\n+echo report v2\n",
		"diff --git a/dags/extra.yaml b/dags/extra.yaml\nnew file mode 100644\n--- /dev/null\n+++ b/dags/extra.yaml\n@@ -0,0 +1 @@\n+dag_id: extra\n",
		"Binary files a/include/logo.png and b/include/logo.png differ\n",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("the diff lacks\n%s\ngot (exit %d):\n%s%s", want, res.Code, res.Stdout, res.Stderr)
		}
	}
	if res.Code != 0 || strings.Contains(res.Stdout, "\x1b[") {
		t.Errorf("diff into a pipe: exit %d, coloured: %v", res.Code, strings.Contains(res.Stdout, "\x1b["))
	}

	stat := s.MustRun(t, dir, "deploys", "diff", "#1", "#2", "--deployment", "etl", "--stat")
	for _, want := range []string{" include/report.sh | 2 +-\n", " dags/extra.yaml   | 1 +\n", " include/logo.png  | Bin ", " 3 files changed, 2 insertions(+), 1 deletion(-)\n"} {
		if !strings.Contains(stat, want) {
			t.Errorf("--stat lacks %q:\n%s", want, stat)
		}
	}
	if names := s.MustRun(t, dir, "deploys", "diff", "#1", "--deployment", "etl", "--name-only", "--dags"); names != "dags/extra.yaml\n" {
		t.Errorf("--name-only --dags = %q", names)
	}
	var diff dagdeck.DeployDiff
	s.JSON(t, dir, &diff, "deploys", "diff", "#-1", "--deployment", "etl")
	if diff.Stat.Files != 3 || len(diff.Files) != 3 || diff.From.Sequence != 1 || diff.To.Sequence != 2 {
		t.Errorf("-o json = %+v", diff)
	}

	if res := s.Run(t, dir, "deploys", "diff", "#1", "--deployment", "etl", "--exit-code", "--name-only"); res.Code != 1 || res.Stderr != "" {
		t.Errorf("--exit-code with differences: exit %d, stderr %q; want 1 and nothing", res.Code, res.Stderr)
	}
	if res := s.Run(t, dir, "deploys", "diff", "#2", "#2", "--deployment", "etl", "--exit-code"); res.Code != 0 || res.Stdout != "" {
		t.Errorf("--exit-code without differences: exit %d, output %q; want 0 and nothing", res.Code, res.Stdout)
	}
	if res := s.Run(t, dir, "deploys", "diff", "#9", "--deployment", "etl"); res.Code == 0 || !strings.Contains(res.Stderr, "no deploy #9") {
		t.Errorf("diff from an unknown deploy: exit %d, %s", res.Code, res.Stderr)
	}
}
