package e2e

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dagdeck/dagdeck"
	_ "modernc.org/sqlite" // to tamper with the server's database
)

// TestE2E_EventsSurviveKill records a deploy whose webhook delivery keeps
// failing, kills the server with SIGKILL, and checks that after a restart
// the same event (same webhook-id, same body) reaches the receiver, signed;
// and that the audit log recorded it all and verifies.
func TestE2E_EventsSurviveKill(t *testing.T) {
	var healthy atomic.Bool
	var mu sync.Mutex
	type got struct {
		header http.Header
		body   []byte
		status int
	}
	var requests []got
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusServiceUnavailable
		if healthy.Load() {
			status = http.StatusOK
		}
		mu.Lock()
		requests = append(requests, got{r.Header.Clone(), body, status})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rec.Close)
	snapshot := func() []got { mu.Lock(); defer mu.Unlock(); return append([]got(nil), requests...) }

	s := StartServer(t, "--webhook-allow-private")
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	var hook dagdeck.WebhookCreated
	s.JSON(t, dir, &hook, "webhook", "create", "--url", rec.URL+"/dagdeck", "--events", "deploy.deployed,rollback.deployed", "--deployment", "prod")
	WriteProject(t, dir, project("1.1.0", "v1"))
	var d dagdeck.Deploy
	s.JSON(t, dir, &d, "deploy", dir, "--deployment", "prod", "--description", "v1")
	WaitFor(t, 20*time.Second, "a failed delivery attempt", func() bool { return len(snapshot()) > 0 })
	first := snapshot()[0]
	var deliveries struct {
		Deliveries []*dagdeck.WebhookDelivery `json:"deliveries"`
	}
	// Killed before it recorded the failed attempt, the server would just
	// try again (at least once): this test wants the attempt on record.
	WaitFor(t, 20*time.Second, "the failed attempt on record", func() bool {
		s.JSON(t, dir, &deliveries, "webhook", "deliveries", hook.Webhook.ID)
		return len(deliveries.Deliveries) > 0
	})

	s.Kill(t)
	healthy.Store(true)
	s.Start(t)

	WaitFor(t, 60*time.Second, "the event delivered after the restart", func() bool {
		rs := snapshot()
		return rs[len(rs)-1].status == http.StatusOK
	})
	last := snapshot()[len(snapshot())-1]
	if last.header.Get("webhook-id") != first.header.Get("webhook-id") || string(last.body) != string(first.body) {
		t.Fatalf("after the restart a different event arrived: id %q body %s; first attempt id %q", last.header.Get("webhook-id"), last.body, first.header.Get("webhook-id"))
	}
	if !strings.Contains(string(last.body), d.ID) || !strings.Contains(string(last.body), `"type":"deploy.deployed"`) {
		t.Fatalf("event body %s", last.body)
	}
	wh, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(last.body, last.header); err != nil {
		t.Fatalf("signature: %v", err)
	}

	s.JSON(t, dir, &deliveries, "webhook", "deliveries", hook.Webhook.ID)
	if n := len(deliveries.Deliveries); n < 2 || deliveries.Deliveries[0].StatusCode != http.StatusOK || deliveries.Deliveries[n-1].StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("deliveries: %+v", deliveries.Deliveries)
	}

	var page dagdeck.AuditPage
	s.JSON(t, dir, &page, "audit", "list", "--deployment", "prod")
	var actions []string
	for _, e := range page.Entries {
		actions = append(actions, e.Action)
	}
	want := []string{dagdeck.AuditDeployDeployed, dagdeck.AuditDeployCreated, dagdeck.AuditWebhookCreated, dagdeck.AuditDeploymentCreated}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("activity of prod: %v, want %v", actions, want)
	}
	out := s.MustRun(t, dir, "audit", "verify")
	if !strings.Contains(out, "The audit log verifies") {
		t.Fatalf("audit verify: %s", out)
	}

	// Someone with access to the database rewrites history.
	s.Stop(t)
	db, err := sql.Open("sqlite", filepath.Join(s.DataDir, "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET summary = '{"description":"nothing happened"}' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s.Start(t)
	res := s.Run(t, dir, "audit", "verify")
	if res.Code == 0 || !strings.Contains(res.Stderr, "broken at entry 3") {
		t.Fatalf("audit verify after tampering: exit %d, stderr %q", res.Code, res.Stderr)
	}
}
