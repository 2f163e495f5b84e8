package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// TestE2E_KillDuringUpload: a server killed with SIGKILL while a file is
// half uploaded comes back with the old deploy current, the half file not
// stored, and the interrupted deploy never current; after it is cancelled,
// deploys work again.
func TestE2E_KillDuringUpload(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	var first dagdeck.Deploy
	WriteProject(t, dir, project("1.1.0", "v1"))
	s.JSON(t, dir, &first, "deploy", dir, "--deployment", "prod", "--description", "v1")

	ctx := context.Background()
	token := tokenRE.FindString(s.Output())
	c := client.New(s.URL, token)
	p := apitest.Project("1.1.0", "v2 never lands")
	big := strings.Repeat("x", 8<<20)
	p["include/big.dat"] = big
	created, err := c.CreateDeploy(ctx, "prod", p.Request("1.1.0", "interrupted"))
	if err != nil {
		t.Fatal(err)
	}
	// Send half of the big file, and kill the server while it waits for the rest.
	bigDigest := dagdeck.DigestOf([]byte(big))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/api/v1/artifacts/"+bigDigest, pr)
	req.ContentLength = int64(len(big))
	req.Header.Set("Authorization", "Bearer "+token)
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := pw.Write([]byte(big[:len(big)/2])); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.DataDir, "artifacts", "tmp")
	WaitFor(t, 10*time.Second, "half the upload to reach the server's temp file", func() bool {
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() > 0 {
				return true
			}
		}
		return false
	})
	s.Kill(t)
	pw.Close()
	s.Start(t)

	// The half-written file never became a blob.
	if _, err := c.DownloadBlob(ctx, bigDigest); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("a half-uploaded file is visible after the crash: %v", err)
	}

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
