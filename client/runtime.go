package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

// DagList is the DAGs of a Deployment's current code and the files that
// failed to import.
type DagList struct {
	Dags         []*dagdeck.Dag         `json:"dags"`
	ImportErrors []*dagdeck.ImportError `json:"importErrors"`
}

// ListDags returns the DAGs the runtime loaded from the Deployment's current code.
func (c *Client) ListDags(ctx context.Context, deployment string) (*DagList, error) {
	var out DagList
	if err := c.doJSON(ctx, http.MethodGet, deploymentPath(deployment)+"/dags", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TriggerDag starts a manual run of a DAG with an optional configuration.
func (c *Client) TriggerDag(ctx context.Context, deployment, dagID string, conf map[string]any) (*dagdeck.DagRun, error) {
	in := struct {
		Conf map[string]any `json:"conf,omitempty"`
	}{conf}
	var out dagdeck.DagRun
	path := deploymentPath(deployment) + "/dags/" + seg(dagID) + "/runs"
	if err := c.doJSON(ctx, http.MethodPost, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RunListOptions selects DAG runs.
type RunListOptions struct {
	DagID string // "" for every DAG
	Limit int    // 0 lets the server choose
}

// ListRuns returns the Deployment's DAG runs, newest first.
func (c *Client) ListRuns(ctx context.Context, deployment string, opts RunListOptions) ([]*dagdeck.DagRun, error) {
	q := url.Values{}
	setQuery(q, "dagId", opts.DagID)
	setLimit(q, opts.Limit)
	var out struct {
		Runs []*dagdeck.DagRun `json:"runs"`
	}
	if err := c.doJSON(ctx, http.MethodGet, deploymentPath(deployment)+"/runs", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Runs, nil
}

// TaskListOptions selects task instances.
type TaskListOptions struct {
	RunID string // "" for every run
	DagID string // "" for every DAG
	Limit int    // 0 lets the server choose
}

// ListTaskInstances returns the Deployment's task instances (one per try), newest first.
func (c *Client) ListTaskInstances(ctx context.Context, deployment string, opts TaskListOptions) ([]*dagdeck.TaskInstance, error) {
	q := url.Values{}
	setQuery(q, "runId", opts.RunID)
	setQuery(q, "dagId", opts.DagID)
	setLimit(q, opts.Limit)
	var out struct {
		TaskInstances []*dagdeck.TaskInstance `json:"taskInstances"`
	}
	if err := c.doJSON(ctx, http.MethodGet, deploymentPath(deployment)+"/tasks", q, nil, &out); err != nil {
		return nil, err
	}
	return out.TaskInstances, nil
}

// GetTaskInstance returns one task instance (one try). ENOTFOUND if none.
func (c *Client) GetTaskInstance(ctx context.Context, deployment, taskInstanceID string) (*dagdeck.TaskInstance, error) {
	var ti dagdeck.TaskInstance
	if err := c.doJSON(ctx, http.MethodGet, taskPath(deployment, taskInstanceID), nil, nil, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// TaskLog returns the log of one task try. ENOTFOUND if none was stored.
func (c *Client) TaskLog(ctx context.Context, deployment, taskInstanceID string) ([]byte, error) {
	body, err := c.stream(ctx, taskPath(deployment, taskInstanceID)+"/log", nil)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

// SetTaskNote sets the note of a task instance. ENOTIMPLEMENTED on a runtime
// older than 1.1.0.
func (c *Client) SetTaskNote(ctx context.Context, deployment, taskInstanceID, note string) (*dagdeck.TaskInstance, error) {
	in := struct {
		Note string `json:"note"`
	}{note}
	var out dagdeck.TaskInstance
	if err := c.doJSON(ctx, http.MethodPut, taskPath(deployment, taskInstanceID)+"/note", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func deploymentPath(deployment string) string { return "/deployments/" + seg(deployment) }

func taskPath(deployment, taskInstanceID string) string {
	return deploymentPath(deployment) + "/tasks/" + seg(taskInstanceID)
}

func setQuery(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func setLimit(q url.Values, limit int) {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
}
