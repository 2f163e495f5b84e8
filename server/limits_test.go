package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// limitedServer is a real server with short limits.
func limitedServer(t *testing.T, l server.Limits) (string, string) {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.DiscardHandler)
	svc := service.New(db, fs, service.WithLogger(logger))
	token, err := svc.EnsureAdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(svc.Services(), logger)
	srv.SetLimits(l)
	// A page that reads its form, like the web UI's login.
	srv.Mount("POST /form", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	// An answer written slowly, a line every 100 ms, for n lines, after
	// the request's body, if any, is read.
	srv.Mount("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		for i := range n {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			fmt.Fprintln(w, "line", i)
			_ = http.NewResponseController(w).Flush()
		}
	}))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String(), token
}

// trickle sends a request whose body arrives a byte every gap, and
// returns the status line, or "" when the server closed the connection.
func trickle(t *testing.T, addr, head string, body string, gap time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%sContent-Length: %d\r\n\r\n", head, len(body))
	for i := range len(body) {
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			return ""
		}
		time.Sleep(gap)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSpace(line)
}

func TestServer_SlowBodies(t *testing.T) {
	// The gaps between bytes (100 ms) are a tenth of ReadIdle, so a loaded
	// machine cannot turn a live upload into a stalled one.
	addr, token := limitedServer(t, server.Limits{ReadIdle: time.Second})
	t.Run("AnonymousBodyMustArriveInTime", func(t *testing.T) {
		got := trickle(t, addr, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n", strings.Repeat("a", 40), 100*time.Millisecond)
		if strings.Contains(got, " 200 ") || strings.Contains(got, " 303 ") {
			t.Fatalf("a login form trickled over 4 s was served: %q", got)
		}
	})
	t.Run("LiveUploadGoesOn", func(t *testing.T) {
		content := strings.Repeat("b", 15)
		head := fmt.Sprintf("PUT /api/v1/artifacts/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n", dagdeck.DigestOf([]byte(content)), token)
		if got := trickle(t, addr, head, content, 100*time.Millisecond); !strings.Contains(got, " 204 ") && !strings.Contains(got, " 201 ") && !strings.Contains(got, " 200 ") {
			t.Fatalf("an upload that kept sending over 1.5 s: %q, want success", got)
		}
	})
}

// TestServer_LongAnswers: the read deadline guards request bodies, not
// answers: an answer that takes longer than ReadIdle to write (a long
// history, an archive) is written whole, after a body or without one.
func TestServer_LongAnswers(t *testing.T) {
	addr, token := limitedServer(t, server.Limits{ReadIdle: 300 * time.Millisecond})
	for _, body := range []string{"", "a body, read whole before the answer"} {
		req, err := http.NewRequest("GET", "http://"+addr+"/slow?n=10", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || strings.Count(string(got), "line") != 10 {
			t.Fatalf("body %q: %v after %q; want 10 lines over 1 s", body, err, got)
		}
	}
}

func TestServer_AnonymousRequestsBounded(t *testing.T) {
	addr, token := limitedServer(t, server.Limits{ReadIdle: 5 * time.Second, MaxAnonymous: 2})
	// Two anonymous requests whose bodies never finish hold both slots.
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na")
	}
	apitest.WaitFor(t, 5*time.Second, "a third anonymous request to be refused", func() bool {
		res, err := http.Post("http://"+addr+"/form", "text/plain", strings.NewReader("x"))
		if err != nil {
			return false
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode == http.StatusServiceUnavailable
	})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/deployments", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("an authenticated request while anonymous slots are full: %d", res.StatusCode)
	}
}
