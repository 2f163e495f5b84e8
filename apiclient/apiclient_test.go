package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/apiclient"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// TestGenerated_UpToDate regenerates the client from server/openapi.yaml
// and compares it with the committed one.
func TestGenerated_UpToDate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "client.gen.go")
	cfg, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "oapi-codegen.yaml")
	cfg = bytes.Replace(cfg, []byte("output: client.gen.go"), []byte("output: "+out), 1)
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", config, "../server/openapi.yaml")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatal("apiclient/client.gen.go is out of date with server/openapi.yaml: run go generate ./apiclient")
	}
}

// TestGenerated_DeployHistoryRollback drives the real server through the
// generated client: create a Deployment, deploy twice, read the history,
// roll back.
func TestGenerated_DeployHistoryRollback(t *testing.T) {
	ctx := context.Background()
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.DiscardHandler)
	svc := service.New(db, fs, service.WithLogger(logger))
	token, err := svc.EnsureAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(svc.Services(), logger).Handler())
	t.Cleanup(ts.Close)
	c, err := apiclient.NewClientWithResponses(ts.URL+"/api/v1", apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateDeploymentWithResponse(ctx, apiclient.CreateDeploymentJSONRequestBody{Name: "prod"})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create Deployment: %v %s", err, created.Body)
	}
	var ids []string
	for _, marker := range []string{"v1", "v2"} {
		ids = append(ids, deploy(t, c, apitest.Project("2.0.0", marker), marker))
	}
	page, err := c.ListDeploysWithResponse(ctx, "prod", nil)
	if err != nil || page.JSON200 == nil || len(page.JSON200.Deploys) != 2 || page.JSON200.Deploys[0].Id != ids[1] {
		t.Fatalf("history: %v %s", err, page.Body)
	}
	rb, err := c.RollbackDeployWithResponse(ctx, "prod", ids[0], apiclient.RollbackDeployJSONRequestBody{Description: ptr("v2 broke the report")})
	if err != nil || rb.JSON201 == nil || rb.JSON201.Deploy == nil || rb.JSON201.Deploy.RollbackFromId != ids[0] {
		t.Fatalf("rollback: %v %s", err, rb.Body)
	}
	missing, err := c.RollbackDeployWithResponse(ctx, "prod", "nope", apiclient.RollbackDeployJSONRequestBody{Description: ptr("x")})
	if err != nil || missing.JSON4XX == nil || missing.JSON4XX.Code != apiclient.ErrorCodeENOTFOUND {
		t.Fatalf("rollback to an unknown deploy: %v %s", err, missing.Body)
	}
}

// deploy creates, uploads and finalizes a deploy of p through the client.
func deploy(t *testing.T, c *apiclient.ClientWithResponses, p apitest.Files, description string) string {
	t.Helper()
	ctx := context.Background()
	body, err := json.Marshal(p.Request("2.0.0", description))
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateDeployWithBodyWithResponse(ctx, "prod", "application/json", bytes.NewReader(body))
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create deploy: %v %s", err, created.Body)
	}
	for _, d := range created.JSON201.Missing {
		for _, content := range p {
			if dagdeck.DigestOf([]byte(content)) == d {
				res, err := c.PutArtifactWithBodyWithResponse(ctx, d, "application/octet-stream", bytes.NewReader([]byte(content)))
				if err != nil || res.StatusCode() >= 300 {
					t.Fatalf("upload %s: %v %s", d, err, res.Body)
				}
			}
		}
	}
	fin, err := c.FinalizeDeployWithResponse(ctx, "prod", created.JSON201.Deploy.Id)
	if err != nil || fin.JSON200 == nil || fin.JSON200.Status != apiclient.DeployStatusDEPLOYED {
		t.Fatalf("finalize: %v %s", err, fin.Body)
	}
	return fin.JSON200.Id
}

func ptr[T any](v T) *T { return &v }
