package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// fakeAPI is an in-memory dagdeck API with one Deployment, enough for the
// deploy, history and rollback flows. Tests set its knobs and inspect what
// it received.
type fakeAPI struct {
	t  *testing.T
	mu sync.Mutex

	deployment *dagdeck.Deployment
	deploys    []*dagdeck.Deploy // oldest first
	blobs      map[string]bool
	pageSize   int
	// paged makes the history answer all=true with a page, as servers did
	// before they streamed the whole history in one answer.
	paged bool
	tasks []*dagdeck.TaskInstance // newest first
	// logSteps script GET /tasks/{tid} and its log: each read of the task
	// instance moves to the next step (the last one stays).
	logSteps []logStep
	logStep  int
	onPoll   func(step int) // called after each read of the task instance

	// Knobs.
	plan            *dagdeck.RollbackPlan
	finalizeMissing [][]string // missing lists the next finalizes answer
	failUploads     bool
	// uploadsAwaitLease makes uploads wait for the first lease renewal,
	// which answers ECONFLICT when leaseLost.
	uploadsAwaitLease bool
	leaseLost         bool
	leaseRenewed      chan struct{}
	// rollbackBusy is how many real rollbacks answer ECONFLICT behind an
	// INITIALIZED deploy.
	rollbackBusy int
	// landAfterDryRun lands a deploy right after each dry run, so the plan
	// it answered is stale: a rollback that confirms its planId answers
	// ECONFLICT.
	landAfterDryRun bool
	// finalizeUnavailable is how many finalizes answer 503 EUNAVAILABLE,
	// as while the server's database restarts.
	finalizeUnavailable int
	truncateArchive     bool                  // archives stop after their first 10 bytes, like a server that lost a file
	dagPolls            int                   // GET /dags answers the latest deploy's DAGs from this call on; -1: 404
	diffPages           []*dagdeck.DeployDiff // GET /diff answers these pages, following NextCursor

	// Records.
	created   []dagdeck.DeployCreate
	uploaded  []string
	rollbacks []dagdeck.RollbackRequest
	requests  []string
	queries   []string // the query strings of GET /diff
}

var testTime = time.Date(2026, 11, 26, 14, 5, 9, 0, time.UTC)

func newFakeAPI(t *testing.T) *fakeAPI {
	return &fakeAPI{
		t:            t,
		deployment:   &dagdeck.Deployment{ID: "dep1", Name: "etl", Executor: "local", IsDagDeployEnabled: true},
		blobs:        map[string]bool{},
		pageSize:     2,
		leaseRenewed: make(chan struct{}),
	}
}

// start serves the fake and returns its URL.
func (a *fakeAPI) start() string {
	mux := http.NewServeMux()
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /deployments":                              a.listDeployments,
		"GET /deployments/{id}":                         a.getDeployment,
		"GET /deployments/{id}/deploys":                 a.listDeploys,
		"POST /deployments/{id}/deploys":                a.createDeploy,
		"GET /deployments/{id}/deploys/{did}":           a.getDeploy,
		"GET /deploys/{did}":                            a.getDeploy,
		"PATCH /deployments/{id}/deploys/{did}":         a.cancelDeploy,
		"POST /deployments/{id}/deploys/{did}/finalize": a.finalize,
		"POST /deployments/{id}/deploys/{did}/lease":    a.renewLease,
		"POST /deployments/{id}/deploys/{did}/rollback": a.rollback,
		"PUT /artifacts/{digest}":                       a.putBlob,
		"GET /deployments/{id}/deploys/{did}/archive":   a.archive,
		"PATCH /deployments/{id}":                       a.updateDeployment,
		"GET /deployments/{id}/dags":                    a.listDags,
		"GET /deployments/{id}/diff":                    a.diff,
		"GET /deployments/{id}/tasks":                   a.listTasks,
		"GET /deployments/{id}/tasks/{tid}":             a.getTask,
		"GET /deployments/{id}/tasks/{tid}/log":         a.getTaskLog,
	} {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v1"+path, a.record(h))
	}
	srv := httptest.NewServer(mux)
	a.t.Cleanup(srv.Close)
	return srv.URL
}

func (a *fakeAPI) record(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests = append(a.requests, r.Method+" "+r.URL.Path)
		a.mu.Unlock()
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

// known reports whether id names the fake's Deployment.
func (a *fakeAPI) known(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("id"); id != a.deployment.ID && id != a.deployment.Name {
		writeErr(w, 404, dagdeck.ENOTFOUND, "Deployment "+id+" not found")
		return false
	}
	return true
}

func (a *fakeAPI) getDeployment(w http.ResponseWriter, r *http.Request) {
	if a.known(w, r) {
		writeJSON(w, 200, a.deployment)
	}
}

func (a *fakeAPI) listDeployments(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"deployments": []*dagdeck.Deployment{a.deployment}})
}

func (a *fakeAPI) updateDeployment(w http.ResponseWriter, r *http.Request) {
	if !a.known(w, r) {
		return
	}
	var upd dagdeck.DeploymentUpdate
	_ = json.NewDecoder(r.Body).Decode(&upd)
	for _, e := range upd.Env {
		if e.Value != nil {
			a.deployment.Env = append(a.deployment.Env, dagdeck.EnvVar{Key: e.Key, Value: *e.Value, IsSecret: e.IsSecret})
		}
	}
	writeJSON(w, 200, a.deployment)
}

// listDeploys pages newest first; the cursor is the sequence to go below.
func (a *fakeAPI) listDeploys(w http.ResponseWriter, r *http.Request) {
	if !a.known(w, r) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	below := int64(len(a.deploys) + 1)
	if c := r.URL.Query().Get("cursor"); c != "" {
		below, _ = strconv.ParseInt(c, 10, 64)
	}
	limit := a.pageSize
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l < limit {
		limit = l
	}
	if r.URL.Query().Get("all") == "true" && !a.paged {
		limit = len(a.deploys)
	}
	var page dagdeck.DeployPage
	for i := len(a.deploys) - 1; i >= 0 && len(page.Deploys) < limit; i-- {
		if d := a.deploys[i]; d.Sequence < below {
			page.Deploys = append(page.Deploys, d)
		}
	}
	if n := len(page.Deploys); n > 0 && page.Deploys[n-1].Sequence > 1 {
		page.NextCursor = strconv.FormatInt(page.Deploys[n-1].Sequence, 10)
	}
	writeJSON(w, 200, page)
}

// addDeploy appends a deploy to the history and returns it.
func (a *fakeAPI) addDeploy(d dagdeck.Deploy) *dagdeck.Deploy {
	d.Sequence = int64(len(a.deploys) + 1)
	if d.ID == "" {
		d.ID = fmt.Sprintf("d%d", d.Sequence)
	}
	d.DeploymentID = a.deployment.ID
	a.deploys = append(a.deploys, &d)
	return &d
}

// find returns the deploy an id or, like the server, "#N" names.
func (a *fakeAPI) find(ref string) *dagdeck.Deploy {
	for _, d := range a.deploys {
		if d.ID == ref || ref == "#"+strconv.FormatInt(d.Sequence, 10) {
			return d
		}
	}
	return nil
}

func (a *fakeAPI) getDeploy(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("did")
	if d := a.find(ref); d != nil {
		writeJSON(w, 200, d)
		return
	}
	if strings.HasPrefix(ref, "#") {
		writeErr(w, 404, dagdeck.ENOTFOUND, "Deployment etl has no deploy "+ref)
		return
	}
	writeErr(w, 404, dagdeck.ENOTFOUND, "deploy not found")
}

// cancelDeploy answers a PATCH status=FAILED like the server.
func (a *fakeAPI) cancelDeploy(w http.ResponseWriter, r *http.Request) {
	d := a.find(r.PathValue("did"))
	if d == nil {
		writeErr(w, 404, dagdeck.ENOTFOUND, "deploy not found")
		return
	}
	c := *d
	c.Status, c.FailureReason = dagdeck.DeployFailed, "cancelled"
	writeJSON(w, 200, &c)
}

func (a *fakeAPI) createDeploy(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.DeployCreate
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, 400, dagdeck.EINVALID, err.Error())
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.created = append(a.created, req)
	d := a.addDeploy(dagdeck.Deploy{Type: req.Type, Status: dagdeck.DeployInitialized, Description: req.Description,
		ImageTag: dagdeck.ImageTagFor(testTime), RuntimeVersion: req.RuntimeVersion, Git: req.Git})
	var missing []string
	for _, m := range []*dagdeck.Manifest{req.ImageManifest, req.DagManifest} {
		if m == nil {
			continue
		}
		for _, dg := range m.Digests() {
			if !a.blobs[dg] {
				missing = append(missing, dg)
			}
		}
	}
	writeJSON(w, 201, dagdeck.DeployCreated{Deploy: d, Missing: missing})
}

func (a *fakeAPI) putBlob(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	digest := r.PathValue("digest")
	if a.uploadsAwaitLease {
		select {
		case <-a.leaseRenewed:
			if a.leaseLost {
				<-r.Context().Done() // the client gives up the upload
				return
			}
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			a.t.Error("the CLI did not renew the upload lease while uploading")
		}
	}
	if a.failUploads {
		writeErr(w, 500, dagdeck.EINTERNAL, "disk full")
		return
	}
	if dagdeck.DigestOf(b) != digest || r.ContentLength != int64(len(b)) {
		writeErr(w, 400, dagdeck.EINVALID, "content does not match digest")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.blobs[digest] = true
	a.uploaded = append(a.uploaded, digest)
	w.WriteHeader(http.StatusNoContent)
}

func (a *fakeAPI) finalize(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.finalizeUnavailable > 0 {
		a.finalizeUnavailable--
		writeErr(w, 503, dagdeck.EUNAVAILABLE, "metadata store (PostgreSQL) unreachable; try again shortly")
		return
	}
	if len(a.finalizeMissing) > 0 {
		missing := a.finalizeMissing[0]
		a.finalizeMissing = a.finalizeMissing[1:]
		writeJSON(w, 400, map[string]any{"code": "EINVALID", "message": "files missing", "missing": missing})
		return
	}
	d := a.find(r.PathValue("did"))
	d.Status = dagdeck.DeployDeployed
	d.DagBundleVersion = dagdeck.BundleVersionFor(testTime)
	writeJSON(w, 200, d)
}

// renewLease answers a lease renewal: ECONFLICT when leaseLost. The first
// renewal releases uploads waiting for it.
func (a *fakeAPI) renewLease(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.leaseRenewed:
	default:
		close(a.leaseRenewed)
	}
	d := a.find(r.PathValue("did"))
	if a.leaseLost {
		writeErr(w, 409, dagdeck.ECONFLICT, fmt.Sprintf("%s is FAILED, no longer uploading: upload abandoned: its lease lapsed", d))
		return
	}
	writeJSON(w, 200, d)
}

func (a *fakeAPI) rollback(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.RollbackRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rollbacks = append(a.rollbacks, req)
	target := a.find(r.PathValue("did"))
	if target == nil {
		writeErr(w, 404, dagdeck.ENOTFOUND, "deploy not found")
		return
	}
	plan := *a.plan
	plan.TargetDeploy = target
	if req.DryRun {
		writeJSON(w, 200, dagdeck.RollbackResult{Plan: &plan})
		if a.landAfterDryRun {
			a.plan.CurrentDeploy = a.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployDeployed, CreatedBy: dagdeck.Actor{Name: "ci"}})
			a.plan.PlanID += "-then-" + a.plan.CurrentDeploy.ID
		}
		return
	}
	if req.PlanID != "" && req.PlanID != plan.PlanID {
		writeErr(w, 409, dagdeck.ECONFLICT, "the rollback plan changed since it was made: "+plan.CurrentDeploy.String()+" became current; nothing was rolled back: review the new plan and confirm again")
		return
	}
	if a.rollbackBusy > 0 {
		a.answerBusy(w)
		return
	}
	if latest := a.deploys[len(a.deploys)-1]; latest.Status == dagdeck.DeployInitialized {
		latest.Status = dagdeck.DeployDeployed // the deploy the rollback waited for
	}
	d := a.addDeploy(dagdeck.Deploy{Type: target.Type, Status: dagdeck.DeployDeployed, Description: req.Description,
		ImageRepository: target.ImageRepository, ImageTag: target.ImageTag, ImageRegistryDigest: target.ImageRegistryDigest, DagBundleVersion: target.DagBundleVersion, RuntimeVersion: target.RuntimeVersion, RollbackFromID: target.ID})
	writeJSON(w, 201, dagdeck.RollbackResult{Plan: &plan, Deploy: d})
}

// archive answers a tar.gz holding one file, "archive of DEPLOY PART", or
// its first 10 bytes with truncateArchive.
func (a *fakeAPI) archive(w http.ResponseWriter, r *http.Request) {
	b := tarGz(a.t, "README", "archive of "+r.PathValue("did")+" "+r.URL.Query().Get("part"))
	a.mu.Lock()
	if a.truncateArchive {
		b = b[:10]
	}
	a.mu.Unlock()
	_, _ = w.Write(b)
}

// tarGz returns a tar.gz with one file.
func tarGz(t *testing.T, name, content string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Error(err)
	}
	_, _ = io.WriteString(tw, content)
	if err := tw.Close(); err != nil {
		t.Error(err)
	}
	if err := gz.Close(); err != nil {
		t.Error(err)
	}
	return buf.Bytes()
}

func (a *fakeAPI) listTasks(w http.ResponseWriter, r *http.Request) {
	if !a.known(w, r) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	writeJSON(w, 200, map[string]any{"taskInstances": a.tasks})
}

// logStep is a task instance's state and stored log at one moment; nil
// log: none stored yet.
type logStep struct {
	state string
	log   []byte
}

func (a *fakeAPI) getTask(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.logStep < len(a.logSteps)-1 {
		a.logStep++
	}
	step, n := a.logSteps[a.logStep], a.logStep
	onPoll := a.onPoll
	a.mu.Unlock()
	writeJSON(w, 200, dagdeck.TaskInstance{ID: r.PathValue("tid"), DagID: "weather", TaskID: "report", TryNumber: 1, State: step.state})
	if onPoll != nil {
		onPoll(n)
	}
}

func (a *fakeAPI) getTaskLog(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	step := a.logSteps[max(a.logStep, 0)]
	a.mu.Unlock()
	if step.log == nil {
		writeErr(w, 404, dagdeck.ENOTFOUND, "task instance has no log: it has not run")
		return
	}
	_, _ = w.Write(step.log)
}

func (a *fakeAPI) listDags(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dagPolls < 0 {
		writeErr(w, 404, dagdeck.ENOTFOUND, "no runtime")
		return
	}
	list := map[string]any{"dags": []dagdeck.Dag{}}
	if a.dagPolls--; a.dagPolls <= 0 {
		latest := a.deploys[len(a.deploys)-1].ID
		list["dags"] = []dagdeck.Dag{{DagID: "weather", DeployID: latest}}
		list["importErrors"] = []dagdeck.ImportError{{File: "dags/bad.yaml", Message: "boom", DeployID: latest}}
	}
	writeJSON(w, 200, list)
}

// Locked views of what the fake received: handlers may still run when a
// command returns, and the race detector cannot see the HTTP round trip.

func (a *fakeAPI) createdReqs() []dagdeck.DeployCreate {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.created)
}

func (a *fakeAPI) uploads() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.uploaded)
}

// answerBusy answers a rollback with ECONFLICT behind an INITIALIZED
// deploy, which it adds first; the next rollback that goes through
// finishes it.
func (a *fakeAPI) answerBusy(w http.ResponseWriter) {
	latest := a.deploys[len(a.deploys)-1]
	if latest.Status != dagdeck.DeployInitialized {
		latest = a.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployInitialized, CreatedBy: dagdeck.Actor{Name: "ci"}})
	}
	a.rollbackBusy--
	writeErr(w, 409, dagdeck.ECONFLICT, latest.String()+" is still in progress")
}

func (a *fakeAPI) rollbackReqs() []dagdeck.RollbackRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.rollbacks)
}

// count returns how many requests started with prefix ("METHOD /path").
func (a *fakeAPI) count(prefix string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}
