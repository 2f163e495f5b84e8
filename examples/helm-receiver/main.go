// Command helm-receiver is an example webhook receiver: it verifies
// dagdeck's Standard Webhooks signatures and, for every deploy.deployed and
// rollback.deployed event whose deploy pins an external image by digest,
// upgrades a Helm release of the official Airflow chart to that image.
//
//	DAGDECK_WEBHOOK_SECRET=whsec_… HELM_RELEASE=airflow HELM_CHART=apache-airflow/airflow \
//	  go run ./examples/helm-receiver -addr :9000
//
// Create the webhook with:
//
//	dagdeck webhook create --url https://receiver.internal:9000/dagdeck \
//	  --events deploy.deployed,rollback.deployed --deployment etl-prod
//
// It answers 2xx only after helm succeeded, so dagdeck retries a failed
// upgrade; the webhook-id makes a retried event apply once.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"sync"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// event is the part of a dagdeck event this receiver reads.
type event struct {
	Type string `json:"type"`
	Data struct {
		Deployment struct {
			Name string `json:"name"`
		} `json:"deployment"`
		Deploy struct {
			Sequence            int64  `json:"sequence"`
			ImageRepository     string `json:"imageRepository"`
			ImageTag            string `json:"imageTag"`
			ImageRegistryDigest string `json:"imageRegistryDigest"`
		} `json:"deploy"`
	} `json:"data"`
}

// receiver upgrades a Helm release for verified events.
type receiver struct {
	verifier *standardwebhooks.Webhook
	helm     string // the helm command
	release  string
	chart    string
	mu       sync.Mutex
	applied  map[string]bool // webhook-ids already applied
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if err := rc.verifier.Verify(body, r.Header); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	rc.mu.Lock()
	defer rc.mu.Unlock() // one upgrade at a time, in arrival order
	if rc.applied[id] {
		w.WriteHeader(http.StatusNoContent) // a retry of an event already applied
		return
	}
	if err := rc.apply(ev); err != nil {
		log.Printf("event %s: %v", id, err)
		http.Error(w, err.Error(), http.StatusBadGateway) // dagdeck retries
		return
	}
	rc.applied[id] = true
	w.WriteHeader(http.StatusNoContent)
}

// apply runs helm upgrade for deploy and rollback events with a pinned image.
func (rc *receiver) apply(ev event) error {
	d := ev.Data.Deploy
	if (ev.Type != "deploy.deployed" && ev.Type != "rollback.deployed") || d.ImageRegistryDigest == "" {
		return nil // nothing to change in Kubernetes
	}
	args := []string{"upgrade", rc.release, rc.chart, "--reuse-values",
		"--set", "images.airflow.repository=" + d.ImageRepository,
		"--set", "images.airflow.tag=" + d.ImageTag,
		"--set", "images.airflow.digest=" + d.ImageRegistryDigest}
	out, err := exec.Command(rc.helm, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("helm %v: %w\n%s", args, err, out)
	}
	log.Printf("%s: %s #%d → %s@%s", ev.Type, ev.Data.Deployment.Name, d.Sequence, d.ImageRepository, d.ImageRegistryDigest)
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on")
	flag.Parse()
	verifier, err := standardwebhooks.NewWebhook(os.Getenv("DAGDECK_WEBHOOK_SECRET"))
	if err != nil {
		log.Fatalf("DAGDECK_WEBHOOK_SECRET: %v", err)
	}
	rc := &receiver{verifier: verifier, helm: envOr("HELM", "helm"), release: envOr("HELM_RELEASE", "airflow"),
		chart: envOr("HELM_CHART", "apache-airflow/airflow"), applied: map[string]bool{}}
	http.Handle("POST /dagdeck", rc)
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
