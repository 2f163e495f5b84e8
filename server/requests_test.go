package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// requestIDHeader carries a request's id, both ways.
const requestIDHeader = "X-Request-Id"

// newLoggedServer is a test server logging JSON lines into the returned buffer.
func newLoggedServer(t *testing.T) (*httptest.Server, string, *testenv.Buffer) {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	logs := &testenv.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	svc := service.New(db, fs, service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(svc.Services(), logger).Handler())
	t.Cleanup(ts.Close)
	return ts, secret, logs
}

func requestWithID(t *testing.T, url, token, id string) (*http.Response, server.ErrorResponse) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if id != "" {
		req.Header.Set(requestIDHeader, id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body server.ErrorResponse
	if resp.StatusCode >= 400 {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("decode the error body: %v", err)
		}
	}
	return resp, body
}

func TestRequestID(t *testing.T) {
	ts, token, _ := newLoggedServer(t)
	t.Run("Generated", func(t *testing.T) {
		resp, body := requestWithID(t, ts.URL+"/api/v1/deployments/nope", token, "")
		id := resp.Header.Get(requestIDHeader)
		if resp.StatusCode != http.StatusNotFound || id == "" || body.RequestID != id {
			t.Fatalf("status %d, header %q, body requestId %q: want 404 and the same id in both", resp.StatusCode, id, body.RequestID)
		}
		again, _ := requestWithID(t, ts.URL+"/api/v1/deployments/nope", token, "")
		if again.Header.Get(requestIDHeader) == id {
			t.Fatalf("two requests share the id %q", id)
		}
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		resp, body := requestWithID(t, ts.URL+"/api/v1/deployments", "", "")
		if resp.StatusCode != http.StatusUnauthorized || body.RequestID == "" || body.RequestID != resp.Header.Get(requestIDHeader) {
			t.Fatalf("status %d, body %+v, header %q", resp.StatusCode, body, resp.Header.Get(requestIDHeader))
		}
	})
	t.Run("Incoming", func(t *testing.T) {
		for _, c := range []struct {
			in   string
			kept bool
		}{
			{"lb-7f3a:9c.01_x", true},
			{strings.Repeat("a", 64), true},
			{strings.Repeat("a", 65), false},
			{"has space", false},
			{"tab\there", false},
			{"ünïcode", false},
			{"<script>", false},
		} {
			resp, body := requestWithID(t, ts.URL+"/api/v1/deployments/nope", token, c.in)
			got := resp.Header.Get(requestIDHeader)
			if (got == c.in) != c.kept || got == "" || body.RequestID != got {
				t.Errorf("incoming %q: answered %q (body %q), kept = %v, want %v", c.in, got, body.RequestID, got == c.in, c.kept)
			}
		}
	})
}

// logLines returns the "http request" lines of a JSON log.
func logLines(t *testing.T, log []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		if line["msg"] == "http request" {
			out = append(out, line)
		}
	}
	return out
}

func TestRequestLog(t *testing.T) {
	ts, token, logs := newLoggedServer(t)
	resp, _ := requestWithID(t, ts.URL+"/api/v1/deployments", token, "req-ok")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list Deployments: %d", resp.StatusCode)
	}
	badToken := "ddk_wrong-secret-that-must-not-be-logged"
	requestWithID(t, ts.URL+"/api/v1/deployments/prod", badToken, "req-bad-token")

	log := logs.Bytes()
	for _, secret := range []string{token, badToken, "Bearer"} {
		if bytes.Contains(log, []byte(secret)) {
			t.Fatalf("the log contains %q:\n%s", secret, log)
		}
	}
	byID := make(map[string]map[string]any)
	for _, line := range logLines(t, log) {
		byID[line["requestId"].(string)] = line
	}
	ok := byID["req-ok"]
	for key, want := range map[string]any{
		"method": "GET", "route": "GET /api/v1/deployments", "path": "/api/v1/deployments",
		"status": float64(200), "actor": "admin", "actorKind": dagdeck.ActorToken,
	} {
		if ok[key] != want {
			t.Errorf("log line of req-ok: %s = %v, want %v (line %v)", key, ok[key], want, ok)
		}
	}
	if ok["duration"] == nil || ok["client"] != "127.0.0.1" {
		t.Errorf("log line of req-ok lacks duration or client: %v", ok)
	}
	bad := byID["req-bad-token"]
	if bad["status"] != float64(401) || bad["route"] != "GET /api/v1/deployments/{id}" || bad["actor"] != nil {
		t.Errorf("log line of req-bad-token: %v", bad)
	}
}
