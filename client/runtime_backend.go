package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/dagdeck/dagdeck"
)

// RuntimeBackend is the server's runtime API (under /api/v1/runtime), used
// by `dagdeck runtime` to run a Deployment in a process of its own. Its
// method set is dagdeck.RuntimeBackend's. The token needs the runtime role:
// the API returns secret env values, which tasks need.
type RuntimeBackend struct{ c *Client }

var _ dagdeck.RuntimeBackend = (*RuntimeBackend)(nil)

// RuntimeBackend returns the runtime API of the client's server.
func (c *Client) RuntimeBackend() *RuntimeBackend { return &RuntimeBackend{c: c} }

// RuntimeDeployment is a Deployment as a runtime sees it: env vars with
// their secret values, and the current deploy (nil before the first).
type RuntimeDeployment struct {
	Deployment    *dagdeck.Deployment `json:"deployment"`
	CurrentDeploy *dagdeck.Deploy     `json:"currentDeploy"`
}

func runtimePath(deploymentID string) string { return "/runtime/deployments/" + seg(deploymentID) }

// ListDeployments returns every Deployment (secret values blank).
func (b *RuntimeBackend) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	return b.c.ListDeployments(ctx)
}

// Deployment returns a Deployment with its secret values and its current deploy.
func (b *RuntimeBackend) Deployment(ctx context.Context, idOrName string) (*dagdeck.Deployment, *dagdeck.Deploy, error) {
	var out RuntimeDeployment
	if err := b.c.doJSON(ctx, http.MethodGet, runtimePath(idOrName), nil, nil, &out); err != nil {
		return nil, nil, err
	}
	return out.Deployment, out.CurrentDeploy, nil
}

// OpenBlob downloads a stored file or manifest.
func (b *RuntimeBackend) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	return b.c.DownloadBlob(ctx, digest)
}

// ReplaceDags replaces the DAGs and import errors the Deployment reports.
func (b *RuntimeBackend) ReplaceDags(ctx context.Context, deploymentID string, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	in := DagList{Dags: dags, ImportErrors: errs}
	return b.c.doJSON(ctx, http.MethodPut, runtimePath(deploymentID)+"/dags", nil, in, nil)
}

// ListRuns returns the Deployment's runs matching f, newest first.
func (b *RuntimeBackend) ListRuns(ctx context.Context, deploymentID string, f dagdeck.RunFilter) ([]*dagdeck.DagRun, error) {
	q := url.Values{}
	setQuery(q, "dagId", f.DagID)
	setQuery(q, "state", f.State)
	setLimit(q, f.Limit)
	var out struct {
		Runs []*dagdeck.DagRun `json:"runs"`
	}
	if err := b.c.doJSON(ctx, http.MethodGet, runtimePath(deploymentID)+"/runs", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Runs, nil
}

// LatestScheduledRun returns the DAG's latest scheduled run. ENOTFOUND if none.
func (b *RuntimeBackend) LatestScheduledRun(ctx context.Context, deploymentID, dagID string) (*dagdeck.DagRun, error) {
	var out dagdeck.DagRun
	path := runtimePath(deploymentID) + "/dags/" + seg(dagID) + "/latest-scheduled-run"
	if err := b.c.doJSON(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRun inserts a run. ECONFLICT if the DAG already has that run id.
func (b *RuntimeBackend) CreateRun(ctx context.Context, deploymentID string, r *dagdeck.DagRun) error {
	return b.c.doJSON(ctx, http.MethodPost, runtimePath(deploymentID)+"/runs", nil, r, nil)
}

// UpdateRun writes a run's state and times.
func (b *RuntimeBackend) UpdateRun(ctx context.Context, deploymentID string, r *dagdeck.DagRun) error {
	return b.c.doJSON(ctx, http.MethodPut, runtimePath(deploymentID)+"/runs/"+seg(r.ID), nil, r, nil)
}

// ListTaskInstances returns the Deployment's task instances matching f, newest first.
func (b *RuntimeBackend) ListTaskInstances(ctx context.Context, deploymentID string, f dagdeck.TaskFilter) ([]*dagdeck.TaskInstance, error) {
	q := url.Values{}
	setQuery(q, "dagRunId", f.DagRunID)
	setQuery(q, "dagId", f.DagID)
	setQuery(q, "state", f.State)
	setLimit(q, f.Limit)
	var out struct {
		TaskInstances []*dagdeck.TaskInstance `json:"taskInstances"`
	}
	if err := b.c.doJSON(ctx, http.MethodGet, runtimePath(deploymentID)+"/tasks", q, nil, &out); err != nil {
		return nil, err
	}
	return out.TaskInstances, nil
}

// CreateTaskInstance inserts a try. ECONFLICT if the run already has it.
func (b *RuntimeBackend) CreateTaskInstance(ctx context.Context, deploymentID string, ti *dagdeck.TaskInstance) error {
	return b.c.doJSON(ctx, http.MethodPost, runtimePath(deploymentID)+"/tasks", nil, ti, nil)
}

// UpdateTaskInstance writes what a runtime owns of a try. ECONFLICT if the
// try was ended by someone else.
func (b *RuntimeBackend) UpdateTaskInstance(ctx context.Context, deploymentID string, ti *dagdeck.TaskInstance) error {
	return b.c.doJSON(ctx, http.MethodPut, runtimePath(deploymentID)+"/tasks/"+seg(ti.ID), nil, ti, nil)
}

// PutTaskLog stores (replaces) the log of a try.
func (b *RuntimeBackend) PutTaskLog(ctx context.Context, deploymentID, taskInstanceID string, log []byte) error {
	if b.c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.c.timeout)
		defer cancel()
	}
	u := b.c.endpoint(runtimePath(deploymentID)+"/tasks/"+seg(taskInstanceID)+"/log", nil)
	req, err := b.c.newRequest(ctx, http.MethodPut, u, bytes.NewReader(log))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := b.c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeBody(resp, nil)
}

// TaskLog returns the stored log of a try. ENOTFOUND if none was stored.
func (b *RuntimeBackend) TaskLog(ctx context.Context, deploymentID, taskInstanceID string) ([]byte, error) {
	return b.c.TaskLog(ctx, deploymentID, taskInstanceID)
}

// PutXCom stores a value. ENOTIMPLEMENTED if the Deployment's current
// runtime has no XCom.
func (b *RuntimeBackend) PutXCom(ctx context.Context, deploymentID string, x *dagdeck.XCom) error {
	return b.c.doJSON(ctx, http.MethodPut, runtimePath(deploymentID)+"/xcom", nil, x, nil)
}

// FindXCom returns a value. ENOTFOUND if none.
func (b *RuntimeBackend) FindXCom(ctx context.Context, deploymentID, dagRunID, taskID, key string) (*dagdeck.XCom, error) {
	q := url.Values{"dagRunId": {dagRunID}, "taskId": {taskID}, "key": {key}}
	var out dagdeck.XCom
	if err := b.c.doJSON(ctx, http.MethodGet, runtimePath(deploymentID)+"/xcom", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
