package metrics_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/metrics"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/sqlite"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// harness is a real service (SQLite, a folder) reporting to Metrics, behind
// the real HTTP server with /metrics mounted for viewers.
type harness struct {
	url   string
	m     *metrics.Metrics
	svc   *service.Service
	db    *sqlite.DB
	fs    *file.Store
	clock *apitest.Clock
	admin *client.Client
	token string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &harness{db: db, fs: fs, clock: apitest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	h.m = metrics.New(logger)
	h.m.WatchTasks(db, 0) // read the store on every scrape
	h.svc = service.New(db, fs, service.WithLogger(logger), service.WithClock(h.clock.Now), service.WithObserver(h.m))
	secret, err := h.svc.EnsureAdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(h.svc.Services(), logger)
	srv.SetRequestObserver(h.m)
	srv.MountAuthorized("GET /metrics", dagdeck.RoleViewer, h.m.Handler())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h.url, h.token = ts.URL, secret
	h.admin = client.New(ts.URL, secret)
	if _, err := h.admin.CreateDeployment(context.Background(), client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	return h
}

// uploadTime is how long the test clock says each deploy's upload took.
const uploadTime = 3 * time.Second

// deploy creates a deploy of p, uploads what is missing, lets uploadTime
// pass and finalizes it.
func (h *harness) deploy(t *testing.T, p apitest.Files, runtime, description string) *dagdeck.Deploy {
	t.Helper()
	ctx := context.Background()
	created, err := h.admin.CreateDeploy(ctx, "prod", p.Request(runtime, description))
	if err != nil {
		t.Fatal(err)
	}
	byDigest := make(map[string]string)
	for _, content := range p {
		byDigest[dagdeck.DigestOf([]byte(content))] = content
	}
	for _, d := range created.Missing {
		if err := h.admin.UploadBlob(ctx, d, strings.NewReader(byDigest[d]), int64(len(byDigest[d]))); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Add(uploadTime)
	d, err := h.admin.FinalizeDeploy(ctx, "prod", created.Deploy.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// scrape gets /metrics with the token and checks it with Prometheus's
// parser.
func (h *harness) scrape(t *testing.T, token string) ([]byte, apitest.Metrics) {
	t.Helper()
	status, body := get(t, h.url+"/metrics", token)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	return body, apitest.ParseMetrics(t, body)
}

func get(t *testing.T, url, token string) (int, []byte) {
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
	return resp.StatusCode, b
}

// want fails unless the sample exists with the value.
func want(t *testing.T, ms apitest.Metrics, v float64, name string, labels ...string) {
	t.Helper()
	got, ok := ms.Value(name, labels...)
	if !ok {
		t.Errorf("%s%v: no sample", name, labels)
	} else if got != v {
		t.Errorf("%s%v = %v, want %v", name, labels, got, v)
	}
}

// distinctBytes sums the sizes of p's distinct file contents.
func distinctBytes(ps ...apitest.Files) float64 {
	seen := make(map[string]bool)
	var n float64
	for _, p := range ps {
		for _, content := range p {
			if d := dagdeck.DigestOf([]byte(content)); !seen[d] {
				seen[d] = true
				n += float64(len(content))
			}
		}
	}
	return n
}

func v1() apitest.Files { return apitest.Project("1.1.0", "report v1") }
func v2() apitest.Files { return apitest.Project("2.0.0", "report v2") }

func TestMetrics_Scrape(t *testing.T) {
	h := newHarness(t)
	_, ms := h.scrape(t, h.token)
	for _, name := range []string{"dagdeck_deploy_duration_seconds", "dagdeck_rollbacks_total", "dagdeck_upload_bytes_total",
		"dagdeck_deduplicated_bytes_total", "dagdeck_gc_runs_total", "dagdeck_webhook_deliveries_total",
		"dagdeck_task_tries", "dagdeck_http_requests_total", "go_goroutines", "process_cpu_seconds_total"} {
		if ms[name] == nil {
			t.Errorf("a fresh server's scrape lacks %s", name)
		}
	}
	for _, name := range []string{"dagdeck_artifact_store_bytes", "dagdeck_gc_last_run_timestamp_seconds"} {
		if ms[name] != nil {
			t.Errorf("%s reported before anything measured it", name)
		}
	}
	want(t, ms, 0, "dagdeck_task_tries", "deployment", "prod", "state", dagdeck.TaskRunning)
}

func TestMetrics_Unauthorized(t *testing.T) {
	h := newHarness(t)
	for _, token := range []string{"", "ddk_not-a-token"} {
		if status, body := get(t, h.url+"/metrics", token); status != http.StatusUnauthorized {
			t.Errorf("GET /metrics with token %q: %d %s, want 401", token, status, body)
		}
	}
}

func TestMetrics_Deploys(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.deploy(t, v1(), "1.1.0", "first")
	h.deploy(t, v2(), "2.0.0", "second")
	h.deploy(t, v1(), "2.0.0", "v1's files again") // nothing to upload

	// Cancelled: created, then cancelled as the CLI does when an upload fails.
	created, err := h.admin.CreateDeploy(ctx, "prod", v2().Request("2.0.0", "to cancel"))
	if err != nil {
		t.Fatal(err)
	}
	failed := dagdeck.DeployFailed
	if _, err := h.admin.UpdateDeploy(ctx, "prod", created.Deploy.ID, dagdeck.DeployUpdate{Status: &failed}); err != nil {
		t.Fatal(err)
	}
	// Failed: abandoned, failed by the server after the upload timeout.
	if _, err := h.admin.CreateDeploy(ctx, "prod", v2().Request("2.0.0", "abandoned")); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(service.DefaultUploadTimeout + time.Minute)
	if n, err := h.svc.FailAbandoned(ctx); err != nil || n != 1 {
		t.Fatalf("FailAbandoned = %d, %v; want 1", n, err)
	}

	body, ms := h.scrape(t, h.token)
	typ := string(dagdeck.DeployImageAndDAG)
	want(t, ms, 3, "dagdeck_deploys_total", "deployment", "prod", "type", typ, "outcome", dagdeck.OutcomeDeployed)
	want(t, ms, 1, "dagdeck_deploys_total", "deployment", "prod", "type", typ, "outcome", dagdeck.OutcomeCancelled)
	want(t, ms, 1, "dagdeck_deploys_total", "deployment", "prod", "type", typ, "outcome", dagdeck.OutcomeFailed)
	want(t, ms, 3, "dagdeck_deploy_duration_seconds", "type", typ)
	wantHistogramSum(t, ms, "dagdeck_deploy_duration_seconds", 3*uploadTime.Seconds(), "type", typ)
	want(t, ms, distinctBytes(v1(), v2()), "dagdeck_upload_bytes_total")
	// The third deploy, and the cancelled and abandoned ones, found every file stored.
	want(t, ms, distinctBytes(v1())+2*distinctBytes(v2()), "dagdeck_deduplicated_bytes_total")
	testenv.CheckMetrics(t, body)
}

func wantHistogramSum(t *testing.T, ms apitest.Metrics, name string, v float64, labels ...string) {
	t.Helper()
	for _, m := range ms[name].GetMetric() {
		match := true
		for _, l := range m.GetLabel() {
			for i := 0; i+1 < len(labels); i += 2 {
				if l.GetName() == labels[i] && l.GetValue() != labels[i+1] {
					match = false
				}
			}
		}
		if match {
			if got := m.GetHistogram().GetSampleSum(); got != v {
				t.Errorf("%s%v sum = %v, want %v", name, labels, got, v)
			}
			return
		}
	}
	t.Errorf("%s%v: no sample", name, labels)
}

func TestMetrics_Rollbacks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	first := h.deploy(t, v1(), "1.1.0", "first")
	h.deploy(t, v2(), "2.0.0", "second")
	created, err := h.admin.CreateDeploy(ctx, "prod", v2().Request("2.0.0", "to cancel"))
	if err != nil {
		t.Fatal(err)
	}
	failed := dagdeck.DeployFailed
	if _, err := h.admin.UpdateDeploy(ctx, "prod", created.Deploy.ID, dagdeck.DeployUpdate{Status: &failed}); err != nil {
		t.Fatal(err)
	}

	if _, err := h.admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	_, err = h.admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 broke"})
	apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE) // a downgrade, unconfirmed
	_, err = h.admin.Rollback(ctx, "prod", created.Deploy.ID, dagdeck.RollbackRequest{Description: "to a failed deploy"})
	apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
	_, err = h.admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{})
	apitest.WantCode(t, err, dagdeck.EINVALID) // no description
	if _, err := h.admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 broke", ConfirmDowngrade: true}); err != nil {
		t.Fatal(err)
	}

	body, ms := h.scrape(t, h.token)
	want(t, ms, 1, "dagdeck_rollbacks_total", "outcome", dagdeck.OutcomeDeployed)
	want(t, ms, 2, "dagdeck_rollbacks_total", "outcome", dagdeck.OutcomeRefused, "code", dagdeck.EUNPROCESSABLE)
	want(t, ms, 1, "dagdeck_rollbacks_total", "outcome", dagdeck.OutcomeRefused, "code", dagdeck.EINVALID)
	want(t, ms, 0, "dagdeck_rollbacks_total", "outcome", dagdeck.OutcomeFailed)
	want(t, ms, 1, "dagdeck_rollback_duration_seconds")
	// The rollback deploy is a rollback, not one more deploy.
	want(t, ms, 2, "dagdeck_deploys_total", "outcome", dagdeck.OutcomeDeployed)
	testenv.CheckMetrics(t, body)
}

func TestMetrics_GCAndArtifactStore(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.deploy(t, v1(), "1.1.0", "first")
	res, err := h.admin.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored, blobs float64
	err = h.fs.Walk(ctx, func(b dagdeck.BlobInfo) error {
		stored += float64(b.Size)
		blobs++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, ms := h.scrape(t, h.token)
	want(t, ms, 1, "dagdeck_gc_runs_total")
	want(t, ms, float64(res.BytesDeleted), "dagdeck_gc_deleted_bytes_total")
	want(t, ms, float64(res.DeploysPruned), "dagdeck_gc_pruned_deploys_total")
	if v, ok := ms.Value("dagdeck_gc_last_run_timestamp_seconds"); !ok || v == 0 {
		t.Errorf("dagdeck_gc_last_run_timestamp_seconds = %v, %v after a collection", v, ok)
	}
	want(t, ms, stored, "dagdeck_artifact_store_bytes")
	want(t, ms, blobs, "dagdeck_artifact_store_blobs")

	// An upload after the walk adds to the size; no scrape walks the store.
	extra := "a file uploaded after the collection\n"
	if err := h.admin.UploadBlob(ctx, dagdeck.DigestOf([]byte(extra)), strings.NewReader(extra), int64(len(extra))); err != nil {
		t.Fatal(err)
	}
	_, ms = h.scrape(t, h.token)
	want(t, ms, stored+float64(len(extra)), "dagdeck_artifact_store_bytes")
	want(t, ms, blobs+1, "dagdeck_artifact_store_blobs")
}

func TestMetrics_MeasureArtifactStore(t *testing.T) {
	h := newHarness(t)
	h.deploy(t, v1(), "1.1.0", "first")
	fresh := metrics.New(nil) // a server restarting on this store
	if err := fresh.MeasureArtifactStore(context.Background(), h.fs); err != nil {
		t.Fatal(err)
	}
	var stored float64
	if err := h.fs.Walk(context.Background(), func(b dagdeck.BlobInfo) error { stored += float64(b.Size); return nil }); err != nil {
		t.Fatal(err)
	}
	if stored == 0 {
		t.Fatal("the deploy stored no blobs")
	}
	rec := httptest.NewRecorder()
	fresh.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	want(t, apitest.ParseMetrics(t, rec.Body.Bytes()), stored, "dagdeck_artifact_store_bytes")
}

func TestMetrics_TaskTries(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	d := h.deploy(t, v1(), "1.1.0", "first")
	states := []string{dagdeck.TaskRunning, dagdeck.TaskFailed, dagdeck.TaskFailed, dagdeck.TaskSuccess}
	err := h.db.Update(ctx, func(tx dagdeck.Tx) error {
		run := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: d.DeploymentID, DagID: "report", RunID: "manual__1",
			LogicalDate: h.clock.Now(), RunType: "manual", State: dagdeck.RunRunning, CreatedAt: h.clock.Now()}
		if err := tx.CreateDagRun(ctx, run); err != nil {
			return err
		}
		for i, state := range states {
			ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: run.DeploymentID, DagRunID: run.ID, DagID: run.DagID,
				RunID: run.RunID, TaskID: "t", TryNumber: i + 1, MaxTries: len(states), State: state, DeployID: d.ID, RuntimeVersion: "1.1.0"}
			if err := tx.CreateTaskInstance(ctx, ti); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, ms := h.scrape(t, h.token)
	want(t, ms, 1, "dagdeck_task_tries", "deployment", "prod", "state", dagdeck.TaskRunning)
	want(t, ms, 2, "dagdeck_task_tries", "deployment", "prod", "state", dagdeck.TaskFailed)
	want(t, ms, 1, "dagdeck_task_tries", "deployment", "prod", "state", dagdeck.TaskSuccess)
	want(t, ms, 0, "dagdeck_task_tries", "deployment", "prod", "state", dagdeck.TaskUpForRetry)
}

func TestMetrics_Webhooks(t *testing.T) {
	h := newHarness(t)
	_, ms := h.scrape(t, h.token)
	want(t, ms, 0, "dagdeck_webhook_deliveries_total", "outcome", metrics.WebhookOutcomeDelivered)
	if ms["dagdeck_webhook_outbox_backlog"] != nil {
		t.Error("outbox backlog reported before the webhook sender set it")
	}
	h.m.WebhookDelivered(metrics.WebhookOutcomeDelivered)
	h.m.WebhookDelivered(metrics.WebhookOutcomeDelivered)
	h.m.WebhookDelivered(metrics.WebhookOutcomeFailed)
	backlog := 7
	h.m.SetWebhookBacklog(func(context.Context) (int, error) { return backlog, nil })
	body, ms := h.scrape(t, h.token)
	want(t, ms, 2, "dagdeck_webhook_deliveries_total", "outcome", metrics.WebhookOutcomeDelivered)
	want(t, ms, 1, "dagdeck_webhook_deliveries_total", "outcome", metrics.WebhookOutcomeFailed)
	want(t, ms, 0, "dagdeck_webhook_deliveries_total", "outcome", metrics.WebhookOutcomeGaveUp)
	want(t, ms, float64(backlog), "dagdeck_webhook_outbox_backlog")
	testenv.CheckMetrics(t, body)
}

func TestMetrics_HTTPRoutes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	d := h.deploy(t, v1(), "1.1.0", "first")
	if _, err := h.admin.GetDeploy(ctx, "prod", d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.GetDeploy(ctx, "prod", "no-such-deploy"); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("get an unknown deploy: %v", err)
	}
	get(t, h.url+"/no/such/page/"+d.ID, h.token)

	_, ms := h.scrape(t, h.token)
	route := "GET /api/v1/deployments/{id}/deploys/{deployId}"
	want(t, ms, 1, "dagdeck_http_requests_total", "route", route, "status", "200")
	want(t, ms, 1, "dagdeck_http_requests_total", "route", route, "status", "404")
	want(t, ms, 2, "dagdeck_http_request_duration_seconds", "route", route)
	want(t, ms, 1, "dagdeck_http_requests_total", "route", "unmatched", "status", "404")
	for _, name := range []string{"dagdeck_http_requests_total", "dagdeck_http_request_duration_seconds"} {
		for _, v := range ms.LabelValues(name, "route") {
			if strings.Contains(v, d.ID) || strings.Contains(v, d.DeploymentID) || strings.Contains(v, "no-such") || strings.Contains(v, "prod") {
				t.Errorf("%s has a raw path as route label: %q", name, v)
			}
		}
	}
}

// The scrape handler serves what it registered, and nothing from the
// global default registry.
func TestMetrics_PrivateRegistry(t *testing.T) {
	m := metrics.New(nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !bytes.Contains(rec.Body.Bytes(), []byte("dagdeck_rollbacks_total")) {
		t.Fatalf("scrape lacks dagdeck metrics:\n%s", rec.Body)
	}
	if bytes.Contains(rec.Body.Bytes(), []byte("promhttp_metric_handler_requests_total")) {
		t.Error("scrape includes the global default registry's metrics")
	}
}
