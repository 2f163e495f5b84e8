package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestReceiver_UpgradesOncePerEvent signs an event as dagdeck does, and
// checks that helm runs once with the pinned image, also when the event is
// delivered again, and not at all for a forged signature.
func TestReceiver_UpgradesOncePerEvent(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	helm := filepath.Join(dir, "helm")
	if err := os.WriteFile(helm, []byte("#!/bin/sh\necho \"$@\" >> "+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, _ := standardwebhooks.NewWebhook(secret)
	rc := &receiver{verifier: wh, helm: helm, release: "airflow", chart: "apache-airflow/airflow", applied: map[string]bool{}}
	body := []byte(`{"type":"rollback.deployed","timestamp":"2026-11-30T03:00:00Z","data":{"deployment":{"name":"etl"},"deploy":{"sequence":7,"imageRepository":"registry.example.com/etl","imageTag":"1.4","imageRegistryDigest":"sha256:` + strings.Repeat("a", 64) + `"}}}`)
	send := func(sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/dagdeck", strings.NewReader(string(body)))
		req.Header.Set("webhook-id", "msg_1")
		now := time.Now()
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		if sig == "" {
			sig, _ = wh.Sign("msg_1", now, body)
		}
		req.Header.Set("webhook-signature", sig)
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send("v1,Zm9yZ2Vk"); code != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d", code)
	}
	for range 2 {
		if code := send(""); code != http.StatusNoContent {
			t.Fatalf("event: %d", code)
		}
	}
	got, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "images.airflow.digest=sha256:aaaa") || !strings.Contains(lines[0], "upgrade airflow apache-airflow/airflow --reuse-values") {
		t.Fatalf("helm calls: %q", got)
	}
}
