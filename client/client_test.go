package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// statuses is the server's code → status table, as documented for the API.
var statuses = map[string]int{
	dagdeck.EINVALID:        400,
	dagdeck.EUNAUTHORIZED:   401,
	dagdeck.EFORBIDDEN:      403,
	dagdeck.ENOTFOUND:       404,
	dagdeck.ECONFLICT:       409,
	dagdeck.ETOOLARGE:       413,
	dagdeck.EUNPROCESSABLE:  422,
	dagdeck.EINTERNAL:       500,
	dagdeck.ENOTIMPLEMENTED: 501,
}

// newServer starts a test API server with handlers registered on a mux
// (patterns are relative to /api/v1) and returns a Client of it.
func newServer(t *testing.T, routes map[string]http.HandlerFunc) *client.Client {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v1"+path, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return client.New(srv.URL+"/", "ddk_secret", client.WithVersion("1.2.3"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code, msg string) {
	writeJSON(w, statuses[code], map[string]string{"code": code, "message": msg})
}

// An internal error names its request id, which leads to the server's log line.
func TestClient_InternalErrorRequestID(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		dagdeck.EINTERNAL: "internal error (request id req-42)",
		dagdeck.EINVALID:  "internal error",
	} {
		c := newServer(t, map[string]http.HandlerFunc{
			"GET /deployments/{id}": func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, statuses[code], map[string]string{"code": code, "message": "internal error", "requestId": "req-42"})
			},
		})
		_, err := c.GetDeployment(context.Background(), "etl")
		if got := dagdeck.ErrorMessage(err); got != want {
			t.Errorf("%s: message = %q, want %q", code, got, want)
		}
	}
}

func TestClient_ErrorRoundTrip(t *testing.T) {
	t.Parallel()
	for code := range statuses {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			c := newServer(t, map[string]http.HandlerFunc{
				"GET /deployments/{id}": func(w http.ResponseWriter, r *http.Request) {
					writeError(w, code, "something about "+r.PathValue("id"))
				},
			})
			_, err := c.GetDeployment(context.Background(), "etl")
			if got := dagdeck.ErrorCode(err); got != code {
				t.Fatalf("code = %q, want %q (err %v)", got, code, err)
			}
			if got := dagdeck.ErrorMessage(err); got != "something about etl" {
				t.Fatalf("message = %q", got)
			}
		})
	}
}

func TestClient_ErrorWithoutJSONBody(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		},
		"GET /deployments/{id}": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no such thing", http.StatusNotFound)
		},
	})
	_, err := c.ListDeployments(context.Background())
	if code, msg := dagdeck.ErrorCode(err), dagdeck.ErrorMessage(err); code != dagdeck.EINTERNAL || msg != "server answered 502 Bad Gateway" {
		t.Fatalf("got %s %q", code, msg)
	}
	_, err = c.GetDeployment(context.Background(), "x")
	if code, msg := dagdeck.ErrorCode(err), dagdeck.ErrorMessage(err); code != dagdeck.ENOTFOUND || msg != "server answered 404 Not Found: no such thing" {
		t.Fatalf("got %s %q", code, msg)
	}
}

func TestClient_ConnectionError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := client.New(srv.URL, "").Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET /api/v1/me on "+srv.URL+": dial tcp") {
		t.Fatalf("err = %v", err)
	}
}

func TestClient_Headers(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /me": func(w http.ResponseWriter, r *http.Request) {
			if got := r.Header.Get("Authorization"); got != "Bearer ddk_secret" {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("User-Agent"); got != "dagdeck/1.2.3" {
				t.Errorf("User-Agent = %q", got)
			}
			writeJSON(w, 200, map[string]string{"id": "t1", "kind": "token", "name": "ci", "role": "deployer"})
		},
	})
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.Name != "ci" || me.Role != dagdeck.RoleDeployer || me.Actor().Role != dagdeck.RoleDeployer {
		t.Fatalf("me = %+v", me)
	}
}

func TestClient_PathEscaping(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments/{id}/deploys/{deployId}": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, dagdeck.Deploy{ID: r.PathValue("deployId"), DeploymentID: r.PathValue("id")})
		},
	})
	d, err := c.GetDeploy(context.Background(), "a/b", "x y")
	if err != nil {
		t.Fatal(err)
	}
	if d.DeploymentID != "a/b" || d.ID != "x y" {
		t.Fatalf("got %q %q", d.DeploymentID, d.ID)
	}
}

// pagedHistory serves n deploys (sequence n down to 1) in pages, with the
// cursor being the sequence to continue below.
func pagedHistory(t *testing.T, n int, limits *[]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*limits = append(*limits, r.URL.Query().Get("limit"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 2
		}
		below := n + 1
		if cur := r.URL.Query().Get("cursor"); cur != "" {
			below, _ = strconv.Atoi(cur)
		}
		var page dagdeck.DeployPage
		for s := below - 1; s >= 1 && len(page.Deploys) < limit; s-- {
			page.Deploys = append(page.Deploys, &dagdeck.Deploy{ID: fmt.Sprint("d", s), Sequence: int64(s)})
		}
		if last := page.Deploys[len(page.Deploys)-1].Sequence; last > 1 {
			page.NextCursor = strconv.FormatInt(last, 10)
		}
		writeJSON(w, 200, page)
	}
}

func TestClient_ListDeploys_Pagination(t *testing.T) {
	t.Parallel()
	var limits []string
	c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": pagedHistory(t, 5, &limits)})
	ctx := context.Background()

	page, err := c.ListDeploys(ctx, "etl", client.ListDeploysOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Deploys) != 3 || page.NextCursor != "3" {
		t.Fatalf("first page: %d deploys, cursor %q", len(page.Deploys), page.NextCursor)
	}
	page, err = c.ListDeploys(ctx, "etl", client.ListDeploysOptions{Limit: 3, Cursor: page.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Deploys) != 2 || page.NextCursor != "" || page.Deploys[0].Sequence != 2 {
		t.Fatalf("second page: %+v", page)
	}

	all, err := c.ListAllDeploys(ctx, "etl")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, d := range all {
		seqs = append(seqs, d.Sequence)
	}
	if fmt.Sprint(seqs) != "[5 4 3 2 1]" {
		t.Fatalf("all = %v", seqs)
	}
	if got := strings.Join(limits, ","); got != "3,3,,," {
		t.Fatalf("limits sent = %q", got)
	}
}

func TestClient_EachDeploy_Stops(t *testing.T) {
	t.Parallel()
	var limits []string
	c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": pagedHistory(t, 9, &limits)})
	n := 0
	err := c.EachDeploy(context.Background(), "etl", 2, func(d *dagdeck.Deploy) bool {
		n++
		return d.Sequence != 6
	})
	if err != nil || n != 4 || len(limits) != 2 {
		t.Fatalf("err %v, visited %d, requests %d", err, n, len(limits))
	}
}

func TestClient_EachDeploy_CursorLoop(t *testing.T) {
	t.Parallel()
	calls := 0
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments/{id}/deploys": func(w http.ResponseWriter, r *http.Request) {
			calls++
			writeJSON(w, 200, dagdeck.DeployPage{Deploys: []*dagdeck.Deploy{{ID: "d"}}, NextCursor: "same"})
		},
	})
	if _, err := c.ListAllDeploys(context.Background(), "etl"); err != nil || calls != 2 {
		t.Fatalf("err %v, calls %d", err, calls)
	}
}

func TestClient_FinalizeDeploy_Missing(t *testing.T) {
	t.Parallel()
	missing := []string{"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("b", 64)}
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /deployments/{id}/deploys/{deployId}/finalize": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, map[string]any{"code": "EINVALID", "message": "2 files are missing", "missing": missing})
		},
	})
	_, err := c.FinalizeDeploy(context.Background(), "etl", "d1")
	var me *dagdeck.MissingBlobsError
	if !errors.As(err, &me) {
		t.Fatalf("err = %#v, want *dagdeck.MissingBlobsError", err)
	}
	if fmt.Sprint(me.Digests) != fmt.Sprint(missing) {
		t.Fatalf("digests = %v", me.Digests)
	}
	if dagdeck.ErrorCode(err) != dagdeck.EINVALID {
		t.Fatalf("code %s message %q", dagdeck.ErrorCode(err), dagdeck.ErrorMessage(err))
	}
}

func TestClient_FinalizeDeploy_OK(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /deployments/{id}/deploys/{deployId}/finalize": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, dagdeck.Deploy{ID: r.PathValue("deployId"), Status: dagdeck.DeployDeployed})
		},
	})
	d, err := c.FinalizeDeploy(context.Background(), "etl", "d1")
	if err != nil || d.Status != dagdeck.DeployDeployed {
		t.Fatalf("d %+v err %v", d, err)
	}
}

func TestClient_UploadBlob(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	c := newServer(t, map[string]http.HandlerFunc{
		"PUT /artifacts/{digest}": func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if r.ContentLength != int64(len(b)) || r.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("Content-Length %d for %d bytes, Content-Type %q", r.ContentLength, len(b), r.Header.Get("Content-Type"))
			}
			if len(r.TransferEncoding) > 0 {
				t.Errorf("Transfer-Encoding %v", r.TransferEncoding)
			}
			got[r.PathValue("digest")] = string(b)
			w.WriteHeader(http.StatusNoContent)
		},
	})
	ctx := context.Background()
	hello := []byte("hello")
	if err := c.UploadBlob(ctx, dagdeck.DigestOf(hello), strings.NewReader("hello, and more"), 5); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadBlob(ctx, dagdeck.DigestOf(nil), strings.NewReader(""), 0); err != nil {
		t.Fatal(err)
	}
	if got[dagdeck.DigestOf(hello)] != "hello" || len(got) != 2 {
		t.Fatalf("stored %v", got)
	}
}

func TestClient_MissingBlobs(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /artifacts/missing": func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Digests []string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			writeJSON(w, 200, map[string]any{"missing": in.Digests[1:]})
		},
	})
	got, err := c.MissingBlobs(context.Background(), []string{"a", "b", "c"})
	if err != nil || fmt.Sprint(got) != "[b c]" {
		t.Fatalf("got %v err %v", got, err)
	}
}
