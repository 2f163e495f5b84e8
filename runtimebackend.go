package dagdeck

import (
	"context"
	"io"
)

// RuntimeBackend is what a runtime needs from the control plane: the
// Deployments and their code, and a place to report DAGs, runs, task
// instances, logs and XComs. Two implementations share all of the
// runtime's logic: service.RuntimeBackend calls the service directly (the
// runtime inside `dagdeck server`), client.RuntimeBackend calls the
// server's runtime API (`dagdeck runtime`). A runtime package (localruntime
// today, another delivery target later) depends on this port only.
//
// Methods taking a deploymentID act on that Deployment only: a run, task
// instance or XCom of another Deployment is ENOTFOUND.
type RuntimeBackend interface {
	// ListDeployments returns every Deployment (secret env values may be
	// blank: only ids are used).
	ListDeployments(ctx context.Context) ([]*Deployment, error)
	// Deployment returns a Deployment, found by id or name, with its env
	// vars including secret values, and its current deploy (nil before the
	// first deploy). ENOTFOUND if it does not exist.
	Deployment(ctx context.Context, idOrName string) (*Deployment, *Deploy, error)
	// OpenBlob opens a stored file or manifest. ENOTFOUND if it is gone.
	OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error)

	// ReplaceDags replaces the DAGs and import errors the Deployment reports.
	ReplaceDags(ctx context.Context, deploymentID string, dags []*Dag, errs []*ImportError) error

	// ListRuns returns the Deployment's runs matching f, newest first.
	ListRuns(ctx context.Context, deploymentID string, f RunFilter) ([]*DagRun, error)
	// LatestScheduledRun returns the DAG's scheduled run with the latest
	// logical date. ENOTFOUND if there is none.
	LatestScheduledRun(ctx context.Context, deploymentID, dagID string) (*DagRun, error)
	// CreateRun inserts a run. ECONFLICT if the DAG already has that run id.
	CreateRun(ctx context.Context, deploymentID string, r *DagRun) error
	// UpdateRun writes a run's state and times.
	UpdateRun(ctx context.Context, deploymentID string, r *DagRun) error

	// ListTaskInstances returns the Deployment's task instances matching f, newest first.
	ListTaskInstances(ctx context.Context, deploymentID string, f TaskFilter) ([]*TaskInstance, error)
	// CreateTaskInstance inserts a try. ECONFLICT if the run already has it.
	CreateTaskInstance(ctx context.Context, deploymentID string, ti *TaskInstance) error
	// UpdateTaskInstance writes what a runtime owns of a try (state, exit
	// code, times, retry time); it never touches the note. ECONFLICT if the
	// try was already ended by someone else (a downgrade failed it): the
	// stored state then stands.
	UpdateTaskInstance(ctx context.Context, deploymentID string, ti *TaskInstance) error
	// PutTaskLog stores (replaces) the log of a try.
	PutTaskLog(ctx context.Context, deploymentID, taskInstanceID string, log []byte) error
	// TaskLog returns the stored log of a try. ENOTFOUND if none was stored.
	TaskLog(ctx context.Context, deploymentID, taskInstanceID string) ([]byte, error)

	// PutXCom stores a value. ENOTIMPLEMENTED if the Deployment's current
	// runtime has no XCom (a downgrade happened meanwhile).
	PutXCom(ctx context.Context, deploymentID string, x *XCom) error
	// FindXCom returns a value. ENOTFOUND if none.
	FindXCom(ctx context.Context, deploymentID, dagRunID, taskID, key string) (*XCom, error)
}
