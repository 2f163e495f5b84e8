package e2e

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// TestE2E_MoveToPostgresAndS3 moves a SQLite + folder installation to
// PostgreSQL + S3 with `dagdeck export` and `dagdeck import`, and checks with
// the CLI that the history, the artifacts and the admin token survived.
func TestE2E_MoveToPostgresAndS3(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	s3 := testenv.S3(t)
	artifacts := fmt.Sprintf("s3://%s/dagdeck?endpoint=%s&insecure=true&region=%s", s3.NewBucket(t), s3.Endpoint, s3.Region)

	local := StartServer(t)
	dir := t.TempDir()
	local.MustRun(t, dir, "deployment", "create", "--name", "etl-prod")
	var first, second dagdeck.Deploy
	WriteProject(t, dir, project("1.1.0", "report v1"))
	local.JSON(t, dir, &first, "deploy", dir, "--deployment", "etl-prod", "--description", "v1")
	WriteProject(t, dir, project("1.1.0", "report v2"))
	local.JSON(t, dir, &second, "deploy", dir, "--deployment", "etl-prod", "--description", "v2")
	local.MustRun(t, dir, "rollback", first.ID, "--description", "back to v1", "--yes")
	var before history
	local.JSON(t, dir, &before, "deploys", "list", "--deployment", "etl-prod")
	adminToken := AdminToken(t, local)
	refsBefore := apitest.Git(t, dir, "ls-remote", apitest.WithToken(local.URL+"/git/etl-prod.git", adminToken))
	local.Stop(t)

	file := filepath.Join(t.TempDir(), "dagdeck.tar")
	local.MustRun(t, dir, "export", "--data-dir", local.DataDir, "-f", file)

	target := NewServer(t, "--database-url", dbURL, "--artifacts", artifacts)
	target.Env = append(local.Env, "AWS_ACCESS_KEY_ID="+s3.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3.SecretKey, "DAGDECK_SERVER="+target.URL)
	status := target.MustRun(t, dir, "migrate", "status", "--database-url", dbURL)
	if !strings.Contains(status, "pending") {
		t.Fatalf("a new database has no pending migration:\n%s", status)
	}
	target.MustRun(t, dir, "migrate", "up", "--database-url", dbURL)
	if status := target.MustRun(t, dir, "migrate", "status", "--database-url", dbURL); strings.Contains(status, "pending") {
		t.Fatalf("migrations pending after migrate up:\n%s", status)
	}
	target.MustRun(t, dir, "import", "--database-url", dbURL, "--artifacts", artifacts, "-f", file)
	target.Start(t)

	// The CLI's saved admin token is the imported one: it still works.
	var after history
	target.JSON(t, dir, &after, "deploys", "list", "--deployment", "etl-prod", "--token", adminToken)
	if !reflect.DeepEqual(stable(before.Deploys), stable(after.Deploys)) || len(after.Deploys) != 3 {
		t.Fatalf("history changed in the move:\nbefore %+v\nafter  %+v", stable(before.Deploys), stable(after.Deploys))
	}
	for _, d := range []dagdeck.Deploy{first, second} {
		out := filepath.Join(t.TempDir(), "dags.tar.gz")
		target.MustRun(t, dir, "deploys", "download", d.ID, "--part", "dags", "-O", out, "--token", adminToken)
	}
	// The git repository keeps its commit ids, and they can be fetched.
	targetGit := apitest.WithToken(target.URL+"/git/etl-prod.git", adminToken)
	if refs := apitest.Git(t, dir, "ls-remote", targetGit); refs != refsBefore || !strings.Contains(refs, first.BundleCommit) {
		t.Fatalf("git refs changed in the move:\nbefore %s\nafter  %s", refsBefore, refs)
	}
	apitest.Git(t, dir, "clone", "-q", targetGit, filepath.Join(t.TempDir(), "clone"))
	// And the moved installation keeps working: roll back to v2.
	target.MustRun(t, dir, "rollback", second.ID, "--description", "forward again", "--yes", "--token", adminToken)
}

// stable drops what is computed at read time.
func stable(ds []*dagdeck.Deploy) []dagdeck.Deploy {
	out := make([]dagdeck.Deploy, len(ds))
	for i, d := range ds {
		out[i] = *d
		out[i].Rollback = dagdeck.RollbackEligibility{}
		out[i].CreatedAt = d.CreatedAt.UTC()
		if d.FinalizedAt != nil {
			f := d.FinalizedAt.UTC()
			out[i].FinalizedAt = &f
		}
	}
	return out
}
