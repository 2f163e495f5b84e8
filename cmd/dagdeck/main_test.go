package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

var tokenRE = regexp.MustCompile(`ddk_[A-Za-z0-9_-]+`)

// startMain runs the server in-process on 127.0.0.1:0 over dataDir.
func startMain(t *testing.T, dataDir string) (*Main, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Addr: "127.0.0.1:0", Runtime: runtimeNone, Stdout: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.DataDir = dataDir
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, &out
}

// TestMain_InProcess starts the real server in this process, deploys and
// rolls back through the API, restarts it on the same data directory and
// finds everything still there.
func TestMain_InProcess(t *testing.T) {
	dir := t.TempDir()
	m, out := startMain(t, dir)
	token := tokenRE.FindString(out.String())
	if token == "" {
		t.Fatalf("the first start printed no admin token:\n%s", out)
	}
	ctx := context.Background()
	c := client.New(m.URL(), token)
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	v1, v2 := apitest.Project("2.0.0", "v1"), apitest.Project("2.0.0", "v2")
	first, err := apitest.Deploy(ctx, c, "prod", v1, v1.Request("2.0.0", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apitest.Deploy(ctx, c, "prod", v2, v2.Request("2.0.0", "v2")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Rollback(ctx, "prod", "previous", dagdeck.RollbackRequest{Description: "v2 broke"})
	if err != nil || res.Deploy.RollbackFromID != first.ID {
		t.Fatalf("rollback: %+v %v", res, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m2, out2 := startMain(t, dir)
	if tokenRE.MatchString(out2.String()) {
		t.Fatalf("a restart printed a new admin token:\n%s", out2)
	}
	page, err := client.New(m2.URL(), token).ListDeploys(ctx, "prod", client.ListDeploysOptions{})
	if err != nil || len(page.Deploys) != 3 || page.Deploys[0].RollbackFromID != first.ID {
		t.Fatalf("after a restart: %+v %v", page, err)
	}
}

// TestMain_NewDataFolderKeepsTheSavedToken: a server started on the same
// address with a new data folder does not silently replace the CLI's saved
// token of the other installation.
func TestMain_NewDataFolderKeepsTheSavedToken(t *testing.T) {
	t.Setenv("DAGDECK_CONFIG", filepath.Join(t.TempDir(), "credentials.json"))
	start := func(dir string) (*Main, string) {
		var out bytes.Buffer
		m := &Main{Addr: "127.0.0.1:0", Runtime: runtimeNone, Stdout: &out, SaveCredentials: true, Logger: slog.New(slog.DiscardHandler)}
		m.DataDir = dir
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m, out.String()
	}
	first, out := start(t.TempDir())
	oldToken := tokenRE.FindString(out)
	first.Close()
	// Same address, new data folder.
	second := &Main{Addr: first.ln.Addr().String(), Runtime: runtimeNone, SaveCredentials: true, Logger: slog.New(slog.DiscardHandler)}
	var out2 bytes.Buffer
	second.Stdout, second.DataDir = &out2, t.TempDir()
	if err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if !strings.Contains(out2.String(), "belongs to another dagdeck installation") {
		t.Fatalf("the second start did not say what happened:\n%s", out2.String())
	}
	raw, err := os.ReadFile(os.Getenv("DAGDECK_CONFIG"))
	if err != nil || !strings.Contains(string(raw), oldToken) {
		t.Fatalf("the old token is gone from the credentials file (%v)", err)
	}
}
