package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func project(runtime, report string) map[string]string {
	return map[string]string{
		"Dockerfile":        "FROM quay.io/dagdeck/runtime:" + runtime + "\n",
		"requirements.txt":  "",
		"include/report.sh": "#!/bin/sh\necho " + report + "\n",
		"dags/report.yaml": `$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json
dag_id: report
schedule: null
tasks:
  - id: build
    uses: airflow.providers.standard.operators.bash.BashOperator
    with:
      bash_command: "sh include/report.sh"
`,
		".dagdeckignore": "*.tmp\n",
		"scratch.tmp":    "never uploaded\n",
	}
}

type history struct {
	Deploys []*dagdeck.Deploy `json:"deploys"`
}

// TestE2E_DeployHistoryRollback is the core user journey: create → deploy →
// deploy → history → dry-run → rollback → history, with the real binary.
func TestE2E_DeployHistoryRollback(t *testing.T) {
	s := StartServer(t)
	if !strings.Contains(s.Output(), "ddk_") {
		t.Fatalf("the server did not print the first admin token:\n%s", s.Output())
	}
	dir := t.TempDir()
	var dep dagdeck.Deployment
	s.JSON(t, dir, &dep, "deployment", "create", "--name", "etl-prod", "--description", "nightly ETL")
	if dep.Name != "etl-prod" || !dep.IsDagDeployEnabled {
		t.Fatalf("deployment = %+v", dep)
	}

	WriteProject(t, dir, project("1.1.0", "report v1"))
	var first dagdeck.Deploy
	s.JSON(t, dir, &first, "deploy", dir, "--deployment", "etl-prod", "--description", "first version")
	if first.Status != dagdeck.DeployDeployed || first.RuntimeVersion != "1.1.0" || first.Sequence != 1 || !strings.HasPrefix(first.ImageTag, "deploy-") {
		t.Fatalf("first deploy = %+v", first)
	}

	// Settings change between the deploys; a rollback must leave them.
	s.MustRun(t, dir, "deployment", "update", "etl-prod", "--env", "WAREHOUSE=bq", "--description", "nightly ETL, v2")

	WriteProject(t, dir, project("2.0.0", "report v2"))
	var second dagdeck.Deploy
	s.JSON(t, dir, &second, "deploy", dir, "--deployment", "etl-prod", "--description", "v2: new report")
	if second.Sequence != 2 || second.RuntimeVersion != "2.0.0" || second.ImageTag == first.ImageTag {
		t.Fatalf("second deploy = %+v", second)
	}

	var h history
	s.JSON(t, dir, &h, "deploys", "list", "--deployment", "etl-prod")
	if len(h.Deploys) != 2 || h.Deploys[0].ID != second.ID || h.Deploys[1].ID != first.ID {
		t.Fatalf("history = %+v", h.Deploys)
	}
	table := s.MustRun(t, dir, "deploys", "list", "--deployment", "etl-prod")
	for _, want := range []string{first.ImageTag, second.ImageTag, "v2: new report", "first version", "DEPLOYED"} {
		if !strings.Contains(table, want) {
			t.Fatalf("history table lacks %q:\n%s", want, table)
		}
	}

	var plan dagdeck.RollbackResult
	s.JSON(t, dir, &plan, "rollback", first.ID, "--deployment", "etl-prod", "--dry-run")
	p := plan.Plan
	if plan.Deploy != nil || p.Runtime.Change != dagdeck.RuntimeDowngrade || !p.RequiresConfirmation || len(p.NotRolledBack.EnvKeysChanged) != 1 || p.NotRolledBack.EnvKeysChanged[0] != "WAREHOUSE" {
		t.Fatalf("plan = %+v", p)
	}
	if len(p.DagBundle.Changed) != 0 || len(p.DagBundle.Added) != 0 {
		t.Fatalf("the DAG files are the same, plan says %+v", p.DagBundle)
	}
	text := s.MustRun(t, dir, "rollback", first.ID, "--deployment", "etl-prod", "--dry-run")
	for _, want := range []string{"2.0.0", "1.1.0", "downgrade", "WAREHOUSE"} {
		if !strings.Contains(text, want) {
			t.Fatalf("dry-run output lacks %q:\n%s", want, text)
		}
	}
	s.JSON(t, dir, &h, "deploys", "list", "--deployment", "etl-prod")
	if len(h.Deploys) != 2 {
		t.Fatalf("the dry run changed the history: %d rows", len(h.Deploys))
	}

	res := s.Run(t, dir, "rollback", first.ID, "--deployment", "etl-prod", "--description", "v2 report is wrong", "--yes")
	if res.Code == 0 || !strings.Contains(res.Stderr, "--confirm-downgrade") || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
		t.Fatalf("unconfirmed downgrade: exit %d, stderr %q", res.Code, res.Stderr)
	}

	var done dagdeck.RollbackResult
	// Without --deployment: the deploy id is enough (DESIGN §7).
	s.JSON(t, dir, &done, "rollback", first.ID, "--description", "v2 report is wrong", "--confirm-downgrade", "--yes")
	rb := done.Deploy
	if rb.RollbackFromID != first.ID || rb.ImageTag != first.ImageTag || rb.DagBundleVersion != first.DagBundleVersion || rb.RuntimeVersion != "1.1.0" || rb.Description != "v2 report is wrong" || rb.Sequence != 3 {
		t.Fatalf("rollback deploy = %+v", rb)
	}
	s.JSON(t, dir, &h, "deploys", "list", "--deployment", "etl-prod")
	if len(h.Deploys) != 3 || h.Deploys[0].ID != rb.ID || h.Deploys[1].ID != second.ID || h.Deploys[2].ID != first.ID {
		t.Fatalf("history after rollback = %+v", h.Deploys)
	}
	s.JSON(t, dir, &dep, "deployment", "inspect", "etl-prod")
	if dep.CurrentDeployID != rb.ID || dep.RuntimeVersion != "1.1.0" || dep.Description != "nightly ETL, v2" || len(dep.Env) != 1 {
		t.Fatalf("deployment after rollback = %+v", dep)
	}
}

// TestE2E_Errors checks that bad input gets one clear line on stderr, a
// non-zero exit, and changes nothing.
func TestE2E_Errors(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	s.MustRun(t, dir, "deployment", "create", "--name", "nodags", "--dag-deploy=false")
	good := filepath.Join(dir, "good")
	WriteProject(t, good, project("2.0.0", "ok"))
	var ok dagdeck.Deploy
	s.JSON(t, dir, &ok, "deploy", good, "--deployment", "prod", "--description", "good")

	noDockerfile := filepath.Join(dir, "nodockerfile")
	WriteProject(t, noDockerfile, map[string]string{"dags/a.yaml": "x: 1\n"})
	noTag := filepath.Join(dir, "notag")
	WriteProject(t, noTag, map[string]string{"Dockerfile": "FROM quay.io/dagdeck/runtime\n"})
	badVersion := filepath.Join(dir, "badversion")
	WriteProject(t, badVersion, project("7.7.7", "x"))
	older := filepath.Join(dir, "older")
	WriteProject(t, older, project("1.0.0", "x"))
	outside := t.TempDir()
	linkOut := filepath.Join(dir, "linkout")
	WriteProject(t, linkOut, project("2.0.0", "x"))
	if err := os.Symlink(outside, filepath.Join(linkOut, "include", "escape")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"DescriptionTooLong", []string{"deploy", good, "--deployment", "prod", "--description", strings.Repeat("x", 501)}, "500"},
		{"UnknownDeployment", []string{"deploy", good, "--deployment", "nope", "--description", "x"}, "not found"},
		{"UnknownDeploy", []string{"rollback", "nope", "--deployment", "prod", "--description", "x", "--yes"}, "not found"},
		{"MissingDockerfile", []string{"deploy", noDockerfile, "--deployment", "prod", "--description", "x"}, "Dockerfile"},
		{"MissingFromTag", []string{"deploy", noTag, "--deployment", "prod", "--description", "x"}, "tag"},
		{"InvalidRuntimeVersion", []string{"deploy", badVersion, "--deployment", "prod", "--description", "x"}, "7.7.7"},
		{"DowngradedRuntime", []string{"deploy", older, "--deployment", "prod", "--description", "x"}, "downgraded runtime"},
		{"LinkOutsideProject", []string{"deploy", linkOut, "--deployment", "prod", "--description", "x"}, "outside"},
		{"DagsWithDagDeploysDisabled", []string{"deploy", good, "--deployment", "nodags", "--dags", "--description", "x"}, "disabled"},
		{"RollbackToOtherDeployment", []string{"rollback", ok.ID, "--deployment", "nodags", "--description", "x", "--yes"}, "another Deployment"},
		{"RollbackWithoutDescription", []string{"rollback", ok.ID, "--deployment", "prod", "--yes"}, "description"},
		{"RollbackToCurrent", []string{"rollback", "#1", "--deployment", "prod", "--description", "x", "--yes"}, "deploy #1 is current; nothing to roll back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Run(t, dir, tt.args...)
			line := strings.TrimSpace(res.Stderr)
			if res.Code == 0 || !strings.Contains(line, tt.want) || !strings.HasPrefix(line, "Error: ") {
				t.Fatalf("exit %d, stderr %q; want a non-zero exit and one error line mentioning %q", res.Code, res.Stderr, tt.want)
			}
			if strings.Contains(line, "\n") && !strings.Contains(line, "Usage:") {
				t.Fatalf("error is more than one line: %q", line)
			}
			var h history
			s.JSON(t, dir, &h, "deploys", "list", "--deployment", "prod")
			if len(h.Deploys) != 1 {
				t.Fatalf("history changed: %d rows", len(h.Deploys))
			}
		})
	}
}

// TestE2E_GitAndTokens deploys from a git checkout with a deployer token:
// the commit subject becomes the description, the commit is recorded, a
// dirty checkout is refused without -f, and "created by" is the token.
func TestE2E_GitAndTokens(t *testing.T) {
	testenv.Tool(t, "git", "apt-get install -y git")
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	var tok struct {
		Secret string `json:"secret"`
	}
	s.JSON(t, dir, &tok, "token", "create", "--name", "ci", "--role", "deployer")
	if !strings.HasPrefix(tok.Secret, "ddk_") {
		t.Fatalf("token = %+v", tok)
	}
	repo := filepath.Join(dir, "repo")
	WriteProject(t, repo, project("1.1.0", "from git"))
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.email=ci@example.com", "-c", "user.name=CI", "-C", repo}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", "https://git.example.com/team/pipelines.git")
	git("add", "-A")
	git("commit", "-q", "-m", "Add the report DAG")

	var d dagdeck.Deploy
	s.JSON(t, dir, &d, "deploy", repo, "--deployment", "prod", "--token", tok.Secret)
	if d.Description != "Add the report DAG" || d.Git == nil || len(d.Git.CommitSHA) != 40 || d.Git.Branch != "main" || d.Git.RemoteURL != "https://git.example.com/team/pipelines.git" {
		t.Fatalf("deploy = %+v git %+v", d, d.Git)
	}
	if d.CreatedBy.Name != "ci" || d.CreatedBy.Kind != "token" {
		t.Fatalf("createdBy = %+v", d.CreatedBy)
	}

	if err := os.WriteFile(filepath.Join(repo, "include", "report.sh"), []byte("echo dirty\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := s.Run(t, dir, "deploy", repo, "--deployment", "prod", "--token", tok.Secret)
	if res.Code == 0 || !strings.Contains(res.Stderr, "-f") {
		t.Fatalf("dirty checkout: exit %d stderr %q", res.Code, res.Stderr)
	}
	s.JSON(t, dir, &d, "deploy", repo, "--deployment", "prod", "--token", tok.Secret, "-f", "--description", "hotfix")
	if d.Sequence != 2 || d.Description != "hotfix" {
		t.Fatalf("forced deploy = %+v", d)
	}

	// A viewer token cannot deploy.
	s.JSON(t, dir, &tok, "token", "create", "--name", "dash", "--role", "viewer")
	res = s.Run(t, dir, "deploy", repo, "--deployment", "prod", "--token", tok.Secret, "-f", "--description", "x")
	if res.Code == 0 || !strings.Contains(res.Stderr, "deployer") {
		t.Fatalf("viewer deploy: exit %d stderr %q", res.Code, res.Stderr)
	}
}
