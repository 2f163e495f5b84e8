package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// receiver is a real HTTP endpoint that records what it gets. answer
// decides each response from the number of requests so far for that
// webhook-id (1 for the first).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	answer   func(attempt int, w http.ResponseWriter)
}

type received struct {
	header http.Header
	body   []byte
	status int // what the receiver answered
}

func newReceiver(t *testing.T, answer func(attempt int, w http.ResponseWriter)) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := 1
		for _, x := range r.requests {
			if x.header.Get("webhook-id") == req.Header.Get("webhook-id") {
				n++
			}
		}
		r.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r.answer(n, sw)
		r.mu.Lock()
		r.requests = append(r.requests, received{req.Header.Clone(), body, sw.status})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// deliveries runs the deliverer until the test ends.
func (e *env) deliveries(t *testing.T, opts service.DeliveryOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.svc.RunDeliveries(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-done })
}

func fastDeliveries() service.DeliveryOptions {
	return service.DeliveryOptions{AllowPrivate: true, Timeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond, FirstRetry: 10 * time.Millisecond}
}

func TestWebhooks_DeliveredSignedAndRetried(t *testing.T) {
	// A real clock: retries become due as time passes.
	e := newEnv(t, service.WithClock(time.Now))
	e.deployment(t, "prod", true)
	rec := newReceiver(t, func(attempt int, w http.ResponseWriter) {
		switch attempt {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			time.Sleep(time.Second) // beyond the deliverer's timeout
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	created, err := e.svc.CreateWebhook(admin, dagdeck.WebhookCreate{URL: rec.URL + "/hook", Events: []string{dagdeck.EventDeployDeployed, dagdeck.EventRollbackDeployed}, Deployment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("secret %q: want whsec_<base64>", created.Secret)
	}
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if _, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 broke", ConfirmDowngrade: true}); err != nil {
		t.Fatal(err)
	}
	e.deliveries(t, fastDeliveries())

	// Done when every event got through; a loaded machine may time out an
	// attempt more than the receiver asked for, so count at least three.
	apitest.WaitFor(t, 30*time.Second, "three events delivered after a 500 and a timeout each", func() bool {
		delivered := map[string]bool{}
		for _, r := range rec.got() {
			delivered[r.header.Get("webhook-id")] = delivered[r.header.Get("webhook-id")] || r.status == http.StatusNoContent
		}
		n := 0
		for _, ok := range delivered {
			if ok {
				n++
			}
		}
		return n == 3
	})
	verifier, err := standardwebhooks.NewWebhook(created.Secret)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]received{}
	for _, r := range rec.got() {
		if err := verifier.Verify(r.body, r.header); err != nil {
			t.Fatalf("delivery does not verify with the Standard Webhooks library: %v\n%s", err, r.body)
		}
		byID[r.header.Get("webhook-id")] = append(byID[r.header.Get("webhook-id")], r)
	}
	types := map[string]bool{}
	for id, rs := range byID {
		if len(rs) < 3 {
			t.Fatalf("event %s: %d attempts, want a 500, a timeout and a success", id, len(rs))
		}
		for _, r := range rs[1:] {
			if string(r.body) != string(rs[0].body) {
				t.Fatalf("event %s: the body differs between retries", id)
			}
		}
		var ev struct {
			Type      string         `json:"type"`
			Timestamp time.Time      `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(rs[0].body, &ev); err != nil {
			t.Fatal(err)
		}
		types[ev.Type] = true
		deploy, _ := ev.Data["deploy"].(map[string]any)
		if deploy["id"] == nil || ev.Data["actor"] == nil || ev.Timestamp.IsZero() {
			t.Fatalf("event %s lacks the deploy, the actor or a timestamp: %s", ev.Type, rs[0].body)
		}
		if ev.Type == dagdeck.EventRollbackDeployed && (ev.Data["target"] == nil || ev.Data["plan"] == nil) {
			t.Fatalf("rollback event lacks its target and plan: %s", rs[0].body)
		}
	}
	if len(types) != 2 || !types[dagdeck.EventDeployDeployed] || !types[dagdeck.EventRollbackDeployed] {
		t.Fatalf("event types %v", types)
	}
	// The deliverer records an attempt once its answer is in: the receiver
	// may have answered the last one before it is recorded.
	var ds []*dagdeck.WebhookDelivery
	apitest.WaitFor(t, 30*time.Second, "three successful deliveries recorded", func() bool {
		if ds, err = e.svc.WebhookDeliveries(admin, created.Webhook.ID, 50); err != nil {
			t.Fatal(err)
		}
		ok := 0
		for _, d := range ds {
			if d.StatusCode == http.StatusNoContent {
				ok++
			}
		}
		return ok == 3
	})
	var codes []int
	for _, d := range ds {
		codes = append(codes, d.StatusCode)
	}
	if len(ds) < 9 || ds[0].StatusCode != http.StatusNoContent || !strings.Contains(ds[len(ds)-1].Error+ds[len(ds)-2].Error+ds[len(ds)-3].Error, "500") {
		t.Fatalf("deliveries: %d, status codes %v", len(ds), codes)
	}
}

func TestWebhooks_PrivateAddressRefusedByDefault(t *testing.T) {
	e := newEnv(t, service.WithClock(time.Now))
	rec := newReceiver(t, func(int, http.ResponseWriter) {})
	created, err := e.svc.CreateWebhook(admin, dagdeck.WebhookCreate{URL: rec.URL, Events: []string{dagdeck.EventDeployDeployed}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.TestWebhook(admin, created.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	opts := fastDeliveries()
	opts.AllowPrivate = false
	e.deliveries(t, opts)
	var ds []*dagdeck.WebhookDelivery
	apitest.WaitFor(t, 10*time.Second, "the ping's attempt", func() bool {
		ds, _ = e.svc.WebhookDeliveries(admin, created.Webhook.ID, 10)
		return len(ds) > 0
	})
	if len(rec.got()) != 0 || !strings.Contains(ds[0].Error, "--webhook-allow-private") {
		t.Fatalf("a loopback receiver got %d requests; attempt error %q", len(rec.got()), ds[0].Error)
	}
}

func TestWebhooks_SlackFormatAndRotation(t *testing.T) {
	e := newEnv(t, service.WithClock(time.Now))
	e.deployment(t, "prod", true)
	rec := newReceiver(t, func(int, http.ResponseWriter) {})
	created, err := e.svc.CreateWebhook(admin, dagdeck.WebhookCreate{URL: rec.URL, Events: []string{dagdeck.EventDeployDeployed}, Format: dagdeck.WebhookFormatSlack})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := e.svc.RotateWebhookSecret(admin, created.Webhook.ID)
	if err != nil || rotated.Secret == created.Secret {
		t.Fatalf("rotate: %v", err)
	}
	e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	e.deliveries(t, fastDeliveries())
	apitest.WaitFor(t, 10*time.Second, "the deploy's message", func() bool { return len(rec.got()) == 1 })
	r := rec.got()[0]
	var msg map[string]string
	if err := json.Unmarshal(r.body, &msg); err != nil || !strings.Contains(msg["text"], "deployed #1 to *prod*") {
		t.Fatalf("slack body %s (%v)", r.body, err)
	}
	for _, secret := range []string{created.Secret, rotated.Secret} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Fatalf("during the overlap the delivery must verify with the old and the new secret: %v", err)
		}
	}
}

func TestWebhooks_Validation(t *testing.T) {
	e := newEnv(t)
	for _, req := range []dagdeck.WebhookCreate{
		{URL: "ftp://x", Events: []string{dagdeck.EventDeployDeployed}},
		{URL: "https://user:pw@x.example", Events: []string{dagdeck.EventDeployDeployed}},
		{URL: "https://x.example", Events: nil},
		{URL: "https://x.example", Events: []string{"deploy.exploded"}},
		{URL: "https://x.example", Events: []string{dagdeck.EventDeployDeployed}, Format: "xml"},
	} {
		_, err := e.svc.CreateWebhook(admin, req)
		apitest.WantCode(t, err, dagdeck.EINVALID)
	}
	_, err := e.svc.CreateWebhook(deployer, dagdeck.WebhookCreate{URL: "https://x.example", Events: []string{dagdeck.EventDeployDeployed}})
	apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	_, err = e.svc.CreateWebhook(admin, dagdeck.WebhookCreate{URL: "https://x.example", Events: []string{dagdeck.EventDeployDeployed}, Deployment: "nope"})
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
}
