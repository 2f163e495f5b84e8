package gitrepo

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

func post(t *testing.T, repo *Repository, v2 bool, body io.Reader, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/repo.git/git-upload-pack", body)
	req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
	if v2 {
		req.Header.Set("Git-Protocol", "version=2")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	if err := Serve(rec, req, repo, OpUploadPack); err != nil {
		t.Fatalf("Serve returned %v for a client mistake", err)
	}
	return rec
}

func TestServe_BadInput(t *testing.T) {
	h := newMemHistory(state(1), state(2))
	unknown := strings.Repeat("ab", 20)
	tree := h.trees[0].Root.String()
	for _, tc := range []struct {
		name   string
		v2     bool
		body   string
		status int
		want   string
	}{
		{"malformed length", false, "zzzzwant", 200, "ERR malformed pkt-line"},
		{"truncated", false, "0032want " + unknown, 200, "ERR truncated pkt-line"},
		{"empty v0", false, "", 200, "ERR request ended before its want lines"},
		{"unknown want v0", false, pkt("want "+unknown+"\n") + "0000" + pkt("done\n"), 200, "ERR upload-pack: not our ref " + unknown},
		{"tree want v0", false, pkt("want "+tree+"\n") + "0000" + pkt("done\n"), 200, "ERR upload-pack: not our ref"},
		{"bad id v0", false, pkt("want xyz\n") + "0000", 200, "ERR want: object id"},
		{"unknown want v2", true, pkt("command=fetch\n") + "0001" + pkt("want "+unknown+"\n") + pkt("done\n") + "0000", 200, "ERR upload-pack: not our ref"},
		{"unknown command v2", true, pkt("command=push\n") + "0001" + "0000", 200, "ERR unknown command"},
		{"no command v2", true, "0000", 200, "ERR no command"},
		{"bad argument v2", true, pkt("command=fetch\n") + "0001" + pkt("filter blob:none\n") + "0000", 200, "ERR fetch: unsupported argument"},
		{"bad depth v2", true, pkt("command=fetch\n") + "0001" + pkt("deepen -1\n") + "0000", 200, "ERR deepen: invalid depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(t, h.repo(), tc.v2, strings.NewReader(tc.body), nil)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("got %d %q, want %d containing %q", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
}

func TestServe_HugeBodies(t *testing.T) {
	h := newMemHistory(state(1))
	have := pkt("have " + strings.Repeat("cd", 20) + "\n")
	huge := pkt("want "+h.commits[0].ID.String()+"\n") + "0000" + strings.Repeat(have, MaxRequestBody/len(have)+10)
	t.Run("plain", func(t *testing.T) {
		rec := post(t, h.repo(), false, strings.NewReader(huge), nil)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %q, want 413", rec.Code, rec.Body.String())
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		io.WriteString(zw, huge)
		zw.Close()
		rec := post(t, h.repo(), false, &buf, map[string]string{"Content-Encoding": "gzip"})
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %q, want 413", rec.Code, rec.Body.String())
		}
	})
	t.Run("not gzip", func(t *testing.T) {
		rec := post(t, h.repo(), false, strings.NewReader("plain"), map[string]string{"Content-Encoding": "gzip"})
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("got %d %q, want 400", rec.Code, rec.Body.String())
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/repo.git/git-upload-pack", strings.NewReader("x"))
		rec := httptest.NewRecorder()
		if err := Serve(rec, req, h.repo(), OpUploadPack); err != nil || rec.Code != http.StatusUnsupportedMediaType {
			t.Fatalf("got %d, %v; want 415", rec.Code, err)
		}
	})
}

func TestServe_RebuiltCommitMismatch(t *testing.T) {
	h := newMemHistory(state(1), state(2))
	repo := h.repo()
	build := repo.Build
	repo.Build = func(ctx context.Context, i int) (*Object, *Tree, error) {
		c, tr, err := build(ctx, i)
		if i == 1 {
			c = h.commits[0] // not the recorded commit
		}
		return c, tr, err
	}
	req := httptest.NewRequest(http.MethodPost, "/repo.git/git-upload-pack",
		strings.NewReader(pkt("want "+h.commits[1].ID.String()+"\n")+"0000"+pkt("done\n")))
	req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
	rec := httptest.NewRecorder()
	err := Serve(rec, req, repo, OpUploadPack)
	if err == nil || !strings.Contains(err.Error(), "recorded as") || rec.Code != http.StatusInternalServerError {
		t.Fatalf("got %d, %v; want 500 and an error to log", rec.Code, err)
	}
}

func TestServe_SlowBody(t *testing.T) {
	old := RequestBodyTimeout
	RequestBodyTimeout = 200 * time.Millisecond
	t.Cleanup(func() { RequestBodyTimeout = old })
	srv := startGitServer(t, newMemHistory(state(1)))
	u, _ := url.Parse(srv.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and the start of a body that never ends.
	fmt.Fprintf(conn, "POST %s/git-upload-pack HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-git-upload-pack-request\r\nContent-Length: 100000\r\n\r\n0032want ", u.Path, u.Host)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
}
