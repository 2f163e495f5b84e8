// Package apitest has helpers for tests that drive a dagdeck server through
// its API: in-memory projects and a whole deploy (create, upload what is
// missing, finalize).
package apitest

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/sqlite"
)

// Files is an in-memory project: path → content.
type Files map[string]string

// Manifest lists the files for which keep returns true.
func (p Files) Manifest(kind string, keep func(path string) bool) *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: kind, Files: []dagdeck.ManifestFile{}}
	for path, content := range p {
		if keep(path) {
			m.Files = append(m.Files, dagdeck.ManifestFile{Path: path, Mode: 0o644, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))})
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

// IsDAG reports whether path is in the DAG bundle.
func IsDAG(path string) bool { return dagdeck.IsDAGPath(path) }

// Request is a plain deploy (image + DAG bundle) of the project.
func (p Files) Request(runtime, description string) dagdeck.DeployCreate {
	return dagdeck.DeployCreate{
		Type: dagdeck.DeployImageAndDAG, RuntimeVersion: runtime, Description: description,
		ImageManifest: p.Manifest(dagdeck.ManifestImage, func(s string) bool { return !IsDAG(s) }),
		DagManifest:   p.Manifest(dagdeck.ManifestDAGs, IsDAG),
	}
}

// Deploy runs create → upload missing files → finalize through the API.
func Deploy(ctx context.Context, c *client.Client, deployment string, p Files, req dagdeck.DeployCreate) (*dagdeck.Deploy, error) {
	created, err := c.CreateDeploy(ctx, deployment, req)
	if err != nil {
		return nil, err
	}
	byDigest := make(map[string]string, len(p))
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

// Project returns a small project with the runtime version and a report
// script that prints marker.
func Project(runtime, marker string) Files {
	return Files{
		"Dockerfile":        "FROM quay.io/dagdeck/runtime:" + runtime + "\n",
		"include/report.sh": "echo " + marker + "\n",
		"dags/report.yaml":  "dag_id: report # " + marker + "\n",
	}
}

// LocalStores opens the default backends in a temporary directory: a SQLite
// database and an artifact folder, closed when the test ends.
func LocalStores(t testing.TB) (*sqlite.DB, *file.Store) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fs, err := file.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return db, fs
}

// WaitFor polls cond until it holds, failing the test after timeout: tests
// wait on conditions, never on fixed sleeps.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WantCode fails t unless err carries the dagdeck error code (nil for "").
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := dagdeck.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
