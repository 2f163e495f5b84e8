package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// testLease is a short upload lease, so the test waits for lapses briefly.
const testLease = 200 * time.Millisecond

// startLeaseMain runs the server in-process over dataDir with testLease.
func startLeaseMain(t *testing.T, dataDir string) (*Main, string) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Addr: "127.0.0.1:0", Runtime: runtimeNone, Stdout: &out, UploadLease: testLease, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.DataDir = dataDir
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, tokenRE.FindString(out.String())
}

// crashUpload creates a deploy whose client never uploads nor renews its
// lease, as a CLI killed mid-upload, and waits until its lease has lapsed.
func crashUpload(t *testing.T, c *client.Client, p apitest.Files) *dagdeck.Deploy {
	t.Helper()
	created, err := c.CreateDeploy(context.Background(), "prod", p.Request("2.0.0", "crashed"))
	if err != nil {
		t.Fatal(err)
	}
	d := created.Deploy
	if d.LeaseExpiresAt == nil {
		t.Fatalf("a new deploy has no upload lease: %+v", d)
	}
	apitest.WaitFor(t, 10*time.Second, "the upload lease to lapse", func() bool { return time.Now().After(*d.LeaseExpiresAt) })
	return d
}

// TestMain_CrashedUploadsDoNotBlock: an upload whose client or server
// crashed blocks its Deployment only until its lease lapses: the server
// fails it when it starts, and the next deploy fails it when it wants the
// Deployment; nobody has to cancel it.
func TestMain_CrashedUploadsDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	m, token := startLeaseMain(t, dir)
	ctx := context.Background()
	c := client.New(m.URL(), token)
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	v1, v2 := apitest.Project("2.0.0", "v1"), apitest.Project("2.0.0", "v2")
	if _, err := apitest.Deploy(ctx, c, "prod", v1, v1.Request("2.0.0", "v1")); err != nil {
		t.Fatal(err)
	}

	beforeRestart := crashUpload(t, c, v2)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2, _ := startLeaseMain(t, dir)
	c = client.New(m2.URL(), token)
	if d, err := c.GetDeploy(ctx, "prod", beforeRestart.ID); err != nil || d.Status != dagdeck.DeployFailed {
		t.Fatalf("an upload lapsed before the restart, after it: %+v %v; want FAILED", d, err)
	}

	crashUpload(t, c, v2)
	d, err := apitest.Deploy(ctx, c, "prod", v2, v2.Request("2.0.0", "v2"))
	if err != nil || d.Status != dagdeck.DeployDeployed {
		t.Fatalf("deploy after a crashed upload's lease lapsed: %+v %v", d, err)
	}
}
