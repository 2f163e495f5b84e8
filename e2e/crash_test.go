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

// TestE2E_CompressedAfterACrash: the server stores uploads plain and
// compresses them once uploads pause; killed before it could, it
// compresses them after it restarts, and every blob reads back whole.
func TestE2E_CompressedAfterACrash(t *testing.T) {
	s := NewServer(t)
	defaults := s.Args
	s.Args = append(append([]string(nil), defaults...), "--compress-idle", "1h")
	s.Start(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	p := project("1.1.0", "v1")
	text := strings.Repeat("SELECT id, name, amount FROM orders WHERE region = 'emea';\n", 20_000)
	p["include/queries.sql"] = text
	WriteProject(t, dir, p)
	s.MustRun(t, dir, "deploy", dir, "--deployment", "prod", "--description", "v1")
	token := tokenRE.FindString(s.Output())
	s.Kill(t)         // before the compressor's pause is over
	s.Args = defaults // the default pause from now on
	blobs := filepath.Join(s.DataDir, "artifacts", "blobs", "sha256")
	plain, compressed := countBlobFiles(t, blobs)
	if plain == 0 {
		t.Fatalf("no blob stored plain right after a deploy (%d compressed); want the upload as it came", compressed)
	}

	s.Start(t)
	WaitFor(t, 30*time.Second, "the blobs to be compressed after the restart", func() bool {
		plain, compressed = countBlobFiles(t, blobs)
		return plain == 0 && compressed > 0
	})
	var sql os.FileInfo
	_ = filepath.WalkDir(blobs, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(filepath.Base(path), strings.TrimPrefix(dagdeck.DigestOf([]byte(text)), "sha256:")) {
			sql, _ = d.Info()
		}
		return nil
	})
	if sql == nil || sql.Size() > int64(len(text))/4 {
		t.Fatalf("%d bytes of SQL stored as %v; want compressed", len(text), sql)
	}
	c := client.New(s.URL, token)
	for path, content := range p {
		if path == "scratch.tmp" { // ignored by .dagdeckignore
			continue
		}
		rc, err := c.DownloadBlob(context.Background(), dagdeck.DigestOf([]byte(content)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != content {
			t.Fatalf("%s reads back %d bytes (%v); want its %d", path, len(got), err, len(content))
		}
	}
}

// countBlobFiles counts the blob files under an artifact folder's blobs
// directory: plain ones (<hex>) and compressed ones (<hex>.zst).
func countBlobFiles(t *testing.T, blobs string) (plain, compressed int) {
	t.Helper()
	err := filepath.WalkDir(blobs, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch name := d.Name(); {
		case len(name) == 64:
			plain++
		case strings.HasSuffix(name, ".zst"):
			compressed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, compressed
}
