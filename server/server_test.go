package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// testServer is a real server (SQLite, file artifacts) behind httptest.
type testServer struct {
	*httptest.Server
	svc        *service.Service
	store      dagdeck.Store
	artifacts  dagdeck.ArtifactStore
	adminToken string
	logs       *testenv.Buffer // the server's log, at level INFO and above
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	db, fs := apitest.LocalStores(t)
	logs := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	svc := service.New(db, fs, service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(ctx)
	if err != nil || secret == "" {
		t.Fatalf("admin token: %q, %v", secret, err)
	}
	ts := httptest.NewServer(server.New(svc.Services(), logger).Handler())
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, svc: svc, store: db, artifacts: fs, adminToken: secret, logs: logs}
}

func (ts *testServer) client(token string) *client.Client { return client.New(ts.URL, token) }

// token creates a token with the role and returns a client using it.
func (ts *testServer) as(t *testing.T, name string, role dagdeck.Role) *client.Client {
	t.Helper()
	created, err := ts.client(ts.adminToken).CreateToken(context.Background(), name, role)
	if err != nil {
		t.Fatal(err)
	}
	return ts.client(created.Secret)
}

func v1() apitest.Files { return apitest.Project("1.1.0", "report v1") }

func v2() apitest.Files { return apitest.Project("2.0.0", "report v2") }

var deploy = apitest.Deploy

// prodDeployed creates the Deployment prod (DAG deploys on) and deploys v1
// to it, described as description. It returns the admin's client and the
// deploy.
func prodDeployed(t *testing.T, ts *testServer, description string) (*client.Client, *dagdeck.Deploy) {
	t.Helper()
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	d, err := deploy(ctx, admin, "prod", v1(), v1().Request("1.1.0", description))
	if err != nil {
		t.Fatal(err)
	}
	return admin, d
}

// rawJSON sends a request and returns the status and the decoded error code.
func rawRequest(t *testing.T, method, url, token string, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewBufferString(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
