package server_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
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

// blobs returns client.Blobs of the contents.
func blobs(contents ...string) []client.Blob {
	var out []client.Blob
	for _, c := range contents {
		out = append(out, client.Blob{Digest: dagdeck.DigestOf([]byte(c)), Size: int64(len(c)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(c)), nil }})
	}
	return out
}

// TestServer_UploadArtifacts sends files as tar streams: stored and
// readable, a file whose content does not match its digest refused by
// name with the files before it stored, and what is not a tar stream of
// regular files refused.
func TestServer_UploadArtifacts(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	deployer := ts.as(t, "ci", dagdeck.RoleDeployer)
	stored := func(contents ...string) []string {
		t.Helper()
		var digests []string
		for _, c := range contents {
			digests = append(digests, dagdeck.DigestOf([]byte(c)))
		}
		missing, err := deployer.MissingBlobs(ctx, digests)
		if err != nil {
			t.Fatal(err)
		}
		return missing
	}

	if err := deployer.UploadBlobs(ctx, blobs("one\n", "two\n", "")); err != nil {
		t.Fatal(err)
	}
	if missing := stored("one\n", "two\n", ""); len(missing) != 0 {
		t.Fatalf("after the batch, missing %v", missing)
	}
	rc, err := deployer.DownloadBlob(ctx, dagdeck.DigestOf([]byte("two\n")))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "two\n" {
		t.Fatalf("stored %q, want %q", got, "two\n")
	}

	t.Run("BadFile", func(t *testing.T) {
		bs := blobs("before\n", "lies\n", "after\n")
		bs[1].Digest = dagdeck.DigestOf([]byte("truth\n")) // same size, other content
		err := deployer.UploadBlobs(ctx, bs)
		if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), bs[1].Digest) {
			t.Fatalf("err = %v, want EINVALID naming %s", err, bs[1].Digest)
		}
		if missing := stored("before\n", "truth\n", "after\n"); len(missing) != 2 || missing[0] == dagdeck.DigestOf([]byte("before\n")) {
			t.Fatalf("missing %v, want the bad file and the one after it", missing)
		}
	})
	t.Run("Viewer", func(t *testing.T) {
		viewer := ts.as(t, "vera", dagdeck.RoleViewer)
		if err := viewer.UploadBlobs(ctx, blobs("viewer\n")); dagdeck.ErrorCode(err) != dagdeck.EFORBIDDEN {
			t.Fatalf("err = %v, want EFORBIDDEN", err)
		}
	})
	post := func(contentType string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/artifacts", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ts.adminToken)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("NotATarStream", func(t *testing.T) {
		if resp := post("application/octet-stream", []byte("x")); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
		if resp := post("application/x-tar", []byte("not a tar stream, not a tar stream")); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("NotARegularFile", func(t *testing.T) {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: dagdeck.DigestOf([]byte("x")), Linkname: "/etc/passwd"}); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		resp := post("application/x-tar", b.Bytes())
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "not a regular file") {
			t.Fatalf("status %d, %s; want 400, not a regular file", resp.StatusCode, body)
		}
	})
}

// TestServer_UploadArtifactsFallback: against a server without the batch
// endpoint (an older version: 404), the client sends the files one by one.
func TestServer_UploadArtifactsFallback(t *testing.T) {
	ts := newTestServer(t)
	target, _ := url.Parse(ts.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var batches, puts atomic.Int32
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/artifacts":
			batches.Add(1)
			http.NotFound(w, r)
			return
		case r.Method == http.MethodPut:
			puts.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	defer old.Close()
	c := client.New(old.URL, ts.adminToken)
	if err := c.UploadBlobs(context.Background(), blobs("a\n", "b\n")); err != nil {
		t.Fatal(err)
	}
	if batches.Load() != 1 || puts.Load() != 2 {
		t.Fatalf("%d batch requests and %d single uploads, want 1 and 2", batches.Load(), puts.Load())
	}
	missing, err := c.MissingBlobs(context.Background(), []string{dagdeck.DigestOf([]byte("a\n")), dagdeck.DigestOf([]byte("b\n"))})
	if err != nil || len(missing) != 0 {
		t.Fatalf("missing %v, %v", missing, err)
	}
}
