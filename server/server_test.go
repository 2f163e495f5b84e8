package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/sqlite"
)

// testServer is a real server (SQLite, file artifacts) behind httptest.
type testServer struct {
	*httptest.Server
	svc        *service.Service
	adminToken string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fs, err := file.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, fs, service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(ctx)
	if err != nil || secret == "" {
		t.Fatalf("admin token: %q, %v", secret, err)
	}
	ts := httptest.NewServer(server.New(svc, logger).Handler())
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, svc: svc, adminToken: secret}
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

// files is an in-memory project: path → content.
type files map[string]string

func (p files) manifest(kind string, keep func(string) bool) *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: kind, Files: []dagdeck.ManifestFile{}}
	for path, content := range p {
		if keep(path) {
			m.Files = append(m.Files, dagdeck.ManifestFile{Path: path, Mode: 0o644, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))})
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

func isDAG(p string) bool { return len(p) > 5 && p[:5] == "dags/" }

func (p files) request(runtime, description string) dagdeck.DeployCreate {
	return dagdeck.DeployCreate{
		Type: dagdeck.DeployImageAndDAG, RuntimeVersion: runtime, Description: description,
		ImageManifest: p.manifest(dagdeck.ManifestImage, func(s string) bool { return !isDAG(s) }),
		DagManifest:   p.manifest(dagdeck.ManifestDAGs, isDAG),
	}
}

// deploy runs create → upload missing → finalize through the API.
func deploy(ctx context.Context, c *client.Client, deployment string, p files, req dagdeck.DeployCreate) (*dagdeck.Deploy, error) {
	created, err := c.CreateDeploy(ctx, deployment, req)
	if err != nil {
		return nil, err
	}
	byDigest := make(map[string]string)
	for _, content := range p {
		byDigest[dagdeck.DigestOf([]byte(content))] = content
	}
	for _, d := range created.Missing {
		content := byDigest[d]
		if err := c.UploadBlob(ctx, d, bytes.NewReader([]byte(content)), int64(len(content))); err != nil {
			return nil, err
		}
	}
	return c.FinalizeDeploy(ctx, deployment, created.Deploy.ID)
}

func v1() files {
	return files{"Dockerfile": "FROM quay.io/dagdeck/runtime:1.1.0\n", "include/report.sh": "echo report v1\n", "dags/report.yaml": "dag_id: report # v1\n"}
}

func v2() files {
	return files{"Dockerfile": "FROM quay.io/dagdeck/runtime:2.0.0\n", "include/report.sh": "echo report v2\n", "dags/report.yaml": "dag_id: report # v2\n"}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := dagdeck.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
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
