package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// validatingTransport checks every request and response against the
// OpenAPI document the server publishes.
type validatingTransport struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // "operationId status"
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(check)
	if err != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return resp, nil
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			v.t.Errorf("%s %s: request does not match the document: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		v.t.Errorf("%s %s → %d: response does not match the document: %v\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, err, respBody)
	}
	v.mu.Lock()
	v.seen[route.Operation.OperationID] = true
	v.mu.Unlock()
	return resp, nil
}

func TestServer_OpenAPI(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	status, raw := rawRequest(t, "GET", ts.URL+"/api/v1/openapi.json", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET openapi.json: %d", status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: ts.URL + "/api/v1"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	vt := &validatingTransport{t: t, router: router, seen: map[string]bool{}}
	c := client.New(ts.URL, ts.adminToken, client.WithHTTPClient(&http.Client{Transport: vt}))

	// A whole session: every operation, successes and errors.
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	secret := "s3cret"
	if _, err := c.UpdateDeployment(ctx, "prod", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "API_KEY", Value: &secret, IsSecret: true}}}); err != nil {
		t.Fatal(err)
	}
	if dep, err := c.GetDeployment(ctx, "prod"); err != nil || dep.Env[0].Value != "" {
		t.Fatalf("secret leaked or error: %+v %v", dep, err)
	}
	if _, err := c.ListDeployments(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := deploy(ctx, c, "prod", v1(), v1().Request("1.1.0", "first"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MissingBlobs(ctx, []string{dagdeck.DigestOf([]byte("nothing"))}); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadBlobs(ctx, blobs("batched a", "batched b")); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy(ctx, c, "prod", v2(), v2().Request("2.0.0", "second")); err != nil {
		t.Fatal(err)
	}
	// An external image pinned by digest: the plans and deploys below carry it.
	ext := dagdeck.DeployCreate{Type: dagdeck.DeployImageOnly, RuntimeVersion: "2.0.0", ImageName: "registry.example.com/etl:2", ImageRegistryDigest: dagdeck.DigestOf([]byte("etl 2"))}
	if d, err := deploy(ctx, c, "prod", v2(), ext); err != nil || d.ImageRegistryDigest != ext.ImageRegistryDigest {
		t.Fatalf("external image deploy: %+v, %v", d, err)
	}
	if _, err := c.ListDeploys(ctx, "prod", client.ListDeploysOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.StreamDeploys(ctx, "prod", func(*dagdeck.Deploy) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDeploy(ctx, "prod", first.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := c.GetDeployByID(ctx, first.ID); err != nil || d.ID != first.ID {
		t.Fatalf("get deploy by id: %+v %v", d, err)
	}
	desc := "better words"
	if _, err := c.UpdateDeploy(ctx, "prod", first.ID, dagdeck.DeployUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	dry, err := c.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "x"}); dagdeck.ErrorCode(err) != dagdeck.EUNPROCESSABLE {
		t.Fatalf("unconfirmed downgrade: %v", err)
	}
	if _, err := c.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "back", ConfirmDowngrade: true, PlanID: dry.Plan.PlanID}); err != nil {
		t.Fatal(err)
	}
	if d, err := c.DiffDeploys(ctx, "prod", "#2", "", dagdeck.DiffOptions{Contents: true}); err != nil || d.Stat.Files == 0 || d.Files[0].Content == "" {
		t.Fatalf("diff with contents: %+v, %v", d, err)
	}
	if d, err := c.DiffDeploys(ctx, "prod", "#1", "#2", dagdeck.DiffOptions{Part: "image", Limit: 1}); err != nil || len(d.Files) != 1 || d.NextCursor == "" {
		t.Fatalf("first page of an image diff: %+v, %v", d, err)
	}
	if _, err := c.DiffDeploys(ctx, "prod", "#99", "", dagdeck.DiffOptions{}); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("diff from an unknown deploy: %v", err)
	}
	rc, err := c.DownloadArchive(ctx, "prod", first.ID, "dags")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := c.GC(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := c.CreateToken(ctx, "ci", dagdeck.RoleDeployer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTokens(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteToken(ctx, tok.Token.ID); err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateUser(ctx, "oncall", "correct horse battery", dagdeck.RoleDeployer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListUsers(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(365 * 24 * time.Hour).UTC()
	if d, err := c.PinDeploy(ctx, "prod", first.ID, "before the migration", &until); err != nil || d.Pin == nil || !d.Rollback.Eligible {
		t.Fatalf("pin: %+v %v", d, err)
	}
	if _, err := c.UnpinDeploy(ctx, "prod", first.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := c.QuarantineDeploy(ctx, "prod", first.ID, "bad"); err != nil || d.Rollback.Reason != dagdeck.ReasonQuarantined {
		t.Fatalf("quarantine: %+v %v", d, err)
	}
	if _, err := c.ReleaseDeploy(ctx, "prod", first.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := c.CreateWebhook(ctx, client.WebhookCreate{URL: "https://hooks.example.com/dagdeck", Events: []string{dagdeck.EventDeployDeployed}, Deployment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RotateWebhookSecret(ctx, wh.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TestWebhook(ctx, wh.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WebhookDeliveries(ctx, wh.Webhook.ID, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx, wh.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	if page, err := c.ListAudit(ctx, client.AuditListOptions{Limit: 5}); err != nil || len(page.Entries) != 5 || page.NextCursor == "" {
		t.Fatalf("audit page: %+v %v", page, err)
	}
	if v, err := c.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("audit verify: %+v %v", v, err)
	}
	if _, err := c.GetDeploy(ctx, "prod", "missing"); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("get missing deploy: %v", err)
	}

	for _, op := range []string{"getMe", "createDeployment", "updateDeployment", "getDeployment", "listDeployments", "createDeploy", "putArtifact", "uploadArtifacts", "finalizeDeploy", "missingArtifacts", "listDeploys", "getDeploy", "getDeployByID", "updateDeploy", "rollbackDeploy", "diffDeploys", "getDeployArchive", "runGC", "createToken", "listTokens", "deleteToken", "createUser", "listUsers", "deleteUser",
		"createWebhook", "listWebhooks", "rotateWebhookSecret", "testWebhook", "listWebhookDeliveries", "deleteWebhook", "listAudit", "verifyAudit",
		"pinDeploy", "unpinDeploy", "quarantineDeploy", "releaseDeploy"} {
		if !vt.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}
