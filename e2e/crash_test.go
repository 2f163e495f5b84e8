package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/internal/apitest"
)

// TestE2E_KillDuringUpload: a server killed with SIGKILL in the middle of an
// upload comes back with the old deploy current and the interrupted one
// never current; after it is cancelled, deploys work again.
func TestE2E_KillDuringUpload(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	var first dagdeck.Deploy
	WriteProject(t, dir, project("1.1.0", "v1"))
	s.JSON(t, dir, &first, "deploy", dir, "--deployment", "prod", "--description", "v1")

	ctx := context.Background()
	c := client.New(s.URL, tokenRE.FindString(s.Output()))
	p := apitest.Project("1.1.0", "v2 never lands")
	p["include/big.dat"] = strings.Repeat("x", 1<<20)
	created, err := c.CreateDeploy(ctx, "prod", p.Request("1.1.0", "interrupted"))
	if err != nil {
		t.Fatal(err)
	}
	// Upload one file, then kill the server before the rest and the finalize.
	d := created.Missing[0]
	for _, content := range p {
		if dagdeck.DigestOf([]byte(content)) == d {
			if err := c.UploadBlob(ctx, d, bytes.NewReader([]byte(content)), int64(len(content))); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Kill(t)
	s.Start(t)

	var dep dagdeck.Deployment
	s.JSON(t, dir, &dep, "deployment", "inspect", "prod")
	if dep.CurrentDeployID != first.ID {
		t.Fatalf("after the crash the current deploy is %s, want %s", dep.CurrentDeployID, first.ID)
	}
	var got dagdeck.Deploy
	s.JSON(t, dir, &got, "deploys", "inspect", created.Deploy.ID)
	if got.Status != dagdeck.DeployInitialized || got.Rollback.Eligible {
		t.Fatalf("interrupted deploy = %+v", got)
	}
	res := s.Run(t, dir, "deploy", dir, "--deployment", "prod", "--description", "blocked")
	if res.Code == 0 || !strings.Contains(res.Stderr, "deploys cancel") {
		t.Fatalf("deploy during an unfinished one: exit %d, stderr %q", res.Code, res.Stderr)
	}
	s.MustRun(t, dir, "deploys", "cancel", created.Deploy.ID)
	s.JSON(t, dir, &got, "deploys", "inspect", created.Deploy.ID)
	if got.Status != dagdeck.DeployFailed || got.Rollback.Reason != dagdeck.ReasonFailed {
		t.Fatalf("cancelled deploy = %+v", got)
	}
	var third dagdeck.Deploy
	WriteProject(t, dir, project("1.1.0", "v3"))
	s.JSON(t, dir, &third, "deploy", dir, "--deployment", "prod", "--description", "v3")
	if third.Sequence != 3 || third.Status != dagdeck.DeployDeployed {
		t.Fatalf("deploy after the crash = %+v", third)
	}
}
