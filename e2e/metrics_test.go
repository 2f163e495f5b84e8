package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// TestE2E_Metrics runs the real server with --metrics-addr and JSON logs,
// deploys, runs a task, rolls back and delivers webhooks, and scrapes
// /metrics: unauthenticated on the metrics address, with a token on the
// API's.
func TestE2E_Metrics(t *testing.T) {
	metricsAddr := freeAddr(t)
	s, dir, _ := runtimeSetup(t, "--metrics-addr", metricsAddr, "--log-format", "json", "--webhook-allow-private")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	s.MustRun(t, dir, "webhook", "create", "--url", receiver.URL, "--events", "deploy.deployed,rollback.deployed", "--deployment", "etl")
	first := deployProject(t, s, dir, project("1.1.0", "report v1"), "first version")
	deployProject(t, s, dir, project("2.0.0", "report v2"), "second version")
	run := trigger(t, s, dir, "report")
	WaitForTry(t, s, dir, "etl", run.RunID, "build", 1, dagdeck.TaskSuccess)
	// The CLI refuses an unconfirmed downgrade itself; the API refuses it too.
	rollbackURL := s.URL + "/api/v1/deployments/etl/deploys/" + first.ID + "/rollback"
	post(t, rollbackURL, AdminToken(t, s), `{"description": "v2 broke"}`, http.StatusUnprocessableEntity)
	s.MustRun(t, dir, "rollback", "#1", "--deployment", "etl", "--description", "v2 broke", "--yes", "--confirm-downgrade")

	// Two deploys and a rollback: three events, delivered in the background.
	var body []byte
	var ms apitest.Metrics
	WaitFor(t, 30*time.Second, "three webhook deliveries", func() bool {
		body = scrape(t, "http://"+metricsAddr+"/metrics", "", http.StatusOK)
		ms = apitest.ParseMetrics(t, body)
		n, _ := ms.Value("dagdeck_webhook_deliveries_total", "outcome", "delivered")
		backlog, _ := ms.Value("dagdeck_webhook_outbox_backlog")
		return n == 3 && backlog == 0
	})
	testenv.CheckMetrics(t, body)
	for _, c := range []struct {
		v      float64
		name   string
		labels []string
	}{
		{2, "dagdeck_deploys_total", []string{"deployment", "etl", "type", string(dagdeck.DeployImageAndDAG), "outcome", dagdeck.OutcomeDeployed}},
		{1, "dagdeck_rollbacks_total", []string{"outcome", dagdeck.OutcomeDeployed}},
		{1, "dagdeck_rollbacks_total", []string{"outcome", dagdeck.OutcomeRefused, "code", dagdeck.EUNPROCESSABLE}},
		{1, "dagdeck_rollback_duration_seconds", nil},
		{1, "dagdeck_task_tries", []string{"deployment", "etl", "state", dagdeck.TaskSuccess}},
		{2, "dagdeck_http_requests_total", []string{"route", "POST /api/v1/deployments/{id}/deploys/{deployId}/finalize", "status", "200"}},
	} {
		if got, ok := ms.Value(c.name, c.labels...); !ok || got != c.v {
			t.Errorf("%s%v = %v (found: %v), want %v", c.name, c.labels, got, ok, c.v)
		}
	}
	if v, ok := ms.Value("dagdeck_upload_bytes_total"); !ok || v == 0 {
		t.Errorf("dagdeck_upload_bytes_total = %v, %v; want the bytes uploaded", v, ok)
	}

	// On the API's address /metrics needs a token; the metrics address serves nothing else.
	scrape(t, s.URL+"/metrics", "", http.StatusUnauthorized)
	apitest.ParseMetrics(t, scrape(t, s.URL+"/metrics", AdminToken(t, s), http.StatusOK))
	scrape(t, "http://"+metricsAddr+"/api/v1/me", AdminToken(t, s), http.StatusNotFound)

	wantJSONRequestLog(t, s.Output(), AdminToken(t, s))
}

// post POSTs a JSON body with a bearer token and checks the status.
func post(t *testing.T, url, token, body string, status int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("POST %s: %d, want %d\n%s", url, resp.StatusCode, status, b)
	}
}

// scrape GETs url with an optional bearer token and checks the status.
func scrape(t *testing.T, url, token string, status int) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d\n%s", url, resp.StatusCode, status, b)
	}
	return b
}

// wantJSONRequestLog checks that the server's log lines are JSON, that
// requests are logged with their route and request id, and that the token
// appears in none of them (the server prints it once, outside the log).
func wantJSONRequestLog(t *testing.T, output, token string) {
	t.Helper()
	requests := 0
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		if strings.Contains(line, token) {
			t.Fatalf("a log line contains the token: %s", line)
		}
		route, _ := entry["route"].(string)
		requestID, _ := entry["requestId"].(string)
		if entry["msg"] == "http request" && route != "" && requestID != "" {
			requests++
		}
	}
	if requests == 0 {
		t.Fatalf("no request was logged as JSON:\n%s", output)
	}
}
