package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// flakyServer answers 503 EUNAVAILABLE to the first failures requests,
// then 200 with an empty JSON object; it counts the requests.
func flakyServer(t *testing.T, failures int32) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"code":"EUNAVAILABLE","message":"metadata store (PostgreSQL) unreachable; try again shortly"}`))
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClient_Retry(t *testing.T) {
	t.Run("ReadOutlastsOutage", func(t *testing.T) {
		srv, n := flakyServer(t, 2)
		var notes int
		c := New(srv.URL, "", WithRetry(time.Minute, func(error, time.Duration) { notes++ }))
		if _, err := c.GetDeploy(context.Background(), "prod", "d1"); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 3 || notes != 2 {
			t.Errorf("%d requests, %d notes; want 3 and 2", n.Load(), notes)
		}
	})
	t.Run("UploadIsSentAgainFromItsStart", func(t *testing.T) {
		var bodies []string
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			buf := make([]byte, 64)
			k, _ := r.Body.Read(buf)
			bodies = append(bodies, string(buf[:k]))
			if n.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"code":"EUNAVAILABLE","message":"artifact store (S3) unreachable"}`))
			}
		}))
		t.Cleanup(srv.Close)
		c := New(srv.URL, "", WithRetry(time.Minute, nil))
		if err := c.UploadBlob(context.Background(), "sha256:00", strings.NewReader("content"), 7); err != nil {
			t.Fatal(err)
		}
		if len(bodies) != 2 || bodies[1] != "content" {
			t.Errorf("bodies %q; want the content twice", bodies)
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		srv, _ := flakyServer(t, 1000)
		c := New(srv.URL, "", WithRetry(time.Second, nil))
		_, err := c.GetDeploy(context.Background(), "prod", "d1")
		if dagdeck.ErrorCode(err) != dagdeck.EUNAVAILABLE {
			t.Errorf("got %v; want EUNAVAILABLE after the retry time", err)
		}
	})
	t.Run("OffByDefault", func(t *testing.T) {
		srv, n := flakyServer(t, 1)
		_, err := New(srv.URL, "").GetDeploy(context.Background(), "prod", "d1")
		if dagdeck.ErrorCode(err) != dagdeck.EUNAVAILABLE || n.Load() != 1 {
			t.Errorf("got %v after %d requests; want EUNAVAILABLE at once", err, n.Load())
		}
	})
	t.Run("CreateNotRetriedOnBrokenConnection", func(t *testing.T) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // the request may have had its effect
		}))
		t.Cleanup(srv.Close)
		c := New(srv.URL, "", WithRetry(time.Minute, nil))
		if _, err := c.CreateDeploy(context.Background(), "prod", dagdeck.DeployCreate{}); err == nil || n.Load() != 1 {
			t.Errorf("got %v after %d requests; want an error after one", err, n.Load())
		}
	})
}
