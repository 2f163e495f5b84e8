package server_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// TestServer_DeployArchive checks that an archive is only streamed when
// every file it needs is stored: otherwise the answer is a 404 JSON error
// before the first byte, never a truncated archive.
func TestServer_DeployArchive(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin, ok := prodDeployed(t, ts, "complete")
	created, err := admin.CreateDeploy(ctx, "prod", v2().Request("2.0.0", "never uploaded"))
	if err != nil {
		t.Fatal(err)
	}
	failed := dagdeck.DeployFailed
	if _, err := admin.UpdateDeploy(ctx, "prod", created.Deploy.ID, dagdeck.DeployUpdate{Status: &failed}); err != nil {
		t.Fatal(err)
	}
	archive := func(deployID string) string {
		return ts.URL + "/api/v1/deployments/prod/deploys/" + deployID + "/archive?part=dags"
	}

	t.Run("OK", func(t *testing.T) {
		status, body := rawRequest(t, "GET", archive(ok.ID), ts.adminToken, "")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if n, err := tarEntries(string(body)); err != nil || n == 0 {
			t.Fatalf("archive has %d entries: %v", n, err)
		}
	})
	t.Run("ErrFailedDeploy", func(t *testing.T) {
		wantArchiveError(t, ts, archive(created.Deploy.ID), "it FAILED before all its files were uploaded")
	})
	t.Run("ErrFileRemoved", func(t *testing.T) {
		dags, err := admin.DeployManifest(ctx, "prod", ok.ID, client.PartDAGs)
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.artifacts.Delete(ctx, dags.Files[0].Digest); err != nil {
			t.Fatal(err)
		}
		wantArchiveError(t, ts, archive(ok.ID), "1 of its files are not stored")
	})
}

// wantArchiveError checks that url answers 404 with a JSON error saying want.
func wantArchiveError(t *testing.T, ts *testServer, url, want string) {
	t.Helper()
	status, body := rawRequest(t, "GET", url, ts.adminToken, "")
	var e struct{ Code, Message string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %q is not a JSON error: %v", status, body, err)
	}
	if status != http.StatusNotFound || e.Code != dagdeck.ENOTFOUND || !strings.Contains(e.Message, want) {
		t.Fatalf("status %d, error %+v; want 404 saying %q", status, e, want)
	}
}

// tarEntries reads a whole tar.gz and returns its number of entries.
func tarEntries(archive string) (int, error) {
	gz, err := gzip.NewReader(strings.NewReader(archive))
	if err != nil {
		return 0, err
	}
	tr := tar.NewReader(gz)
	n := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// TestServer_TruncatedUpload sends 5 of the 1000 bytes its Content-Length
// announces, then ends the request: a client error, with nothing stored
// and no ERROR logged.
func TestServer_TruncatedUpload(t *testing.T) {
	ts := newTestServer(t)
	content := strings.Repeat("x", 1000)
	digest := dagdeck.DigestOf([]byte(content))
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/v1/artifacts/%s HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n%s", digest, ts.adminToken, content[:5])
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || e.Code != dagdeck.EINVALID || !strings.Contains(e.Message, "ended after 5 of its 1000 bytes") {
		t.Fatalf("status %d, error %+v; want 400 EINVALID saying the upload ended early", resp.StatusCode, e)
	}
	if _, err := ts.artifacts.Stat(context.Background(), digest); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("the truncated upload was stored: %v", err)
	}
	if logs := string(ts.logs.Bytes()); strings.Contains(logs, "level=ERROR") {
		t.Fatalf("a client's truncated upload was logged as an error:\n%s", logs)
	}
}

// TestServer_Readyz: /readyz answers 200 with each dependency's state while
// the stores answer, 503 once the database is gone; /healthz stays 200.
func TestServer_Readyz(t *testing.T) {
	ts := newTestServer(t)
	status, body := rawRequest(t, "GET", ts.URL+"/readyz", "", "")
	var res dagdeck.Readiness
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if status != http.StatusOK || res.Status != dagdeck.ReadyOK || len(res.Checks) != 2 {
		t.Fatalf("status %d, body %s", status, body)
	}
	if err := ts.store.Close(); err != nil {
		t.Fatal(err)
	}
	status, body = rawRequest(t, "GET", ts.URL+"/readyz", "", "")
	res = dagdeck.Readiness{}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	want := dagdeck.DependencyCheck{Name: "database", Status: dagdeck.ReadyUnavailable, Error: "failed"}
	if status != http.StatusServiceUnavailable || res.Status != dagdeck.ReadyUnavailable || res.Checks[0] != want || res.Checks[1].Status != dagdeck.ReadyOK {
		t.Fatalf("with the database closed: status %d, body %s", status, body)
	}
	if status, body := rawRequest(t, "GET", ts.URL+"/healthz", "", ""); status != http.StatusOK {
		t.Fatalf("healthz: status %d, body %s", status, body)
	}
}
