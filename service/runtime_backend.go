package service

import (
	"context"
	"io"
	"time"

	"github.com/dagdeck/dagdeck"
)

// RuntimeBackend is what a runtime (package localruntime) calls to read
// the Deployments it runs and to report DAGs, runs, task instances, logs
// and XComs. It implements dagdeck.RuntimeBackend.
//
// The server's runtime API calls the one from Service.RuntimeBackend,
// which requires the runtime role (a runtime reads secret env values: they
// must reach tasks, and no user credential may read them). The runtime
// inside the server uses the one from Service.LocalRuntimeBackend, which
// trusts its caller.
type RuntimeBackend struct {
	s       *Service
	trusted bool
}

var _ dagdeck.RuntimeBackend = (*RuntimeBackend)(nil)

// RuntimeBackend returns the backend for runtimes that call the API.
func (s *Service) RuntimeBackend() dagdeck.RuntimeBackend { return &RuntimeBackend{s: s} }

// LocalRuntimeBackend returns the backend for the runtime running inside
// this process; it performs no authorization.
func (s *Service) LocalRuntimeBackend() *RuntimeBackend { return &RuntimeBackend{s: s, trusted: true} }

func (b *RuntimeBackend) authorize(ctx context.Context) error {
	if b.trusted {
		return nil
	}
	_, err := dagdeck.Authorize(ctx, dagdeck.RoleRuntime)
	return err
}

// inScope returns ENOTFOUND, as for a Deployment that does not exist,
// unless the caller's token may reach the Deployment: a runtime token
// created for some Deployments reaches only those.
func (b *RuntimeBackend) inScope(ctx context.Context, tx dagdeck.Tx, deploymentIDOrName string) error {
	if b.trusted {
		return nil
	}
	dep, err := findDeployment(ctx, tx, deploymentIDOrName)
	if err != nil {
		return err
	}
	if a := dagdeck.ActorFromContext(ctx); !a.Reaches(dep.ID) {
		return dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %q not found", deploymentIDOrName)
	}
	return nil
}

// view authorizes, then runs fn in a read-only transaction.
func (b *RuntimeBackend) view(ctx context.Context, deploymentID string, fn func(tx dagdeck.Tx) error) error {
	if err := b.authorize(ctx); err != nil {
		return err
	}
	return b.s.store.View(ctx, func(tx dagdeck.Tx) error {
		if err := b.inScope(ctx, tx, deploymentID); err != nil {
			return err
		}
		return fn(tx)
	})
}

// update authorizes, then runs fn in a read-write transaction.
func (b *RuntimeBackend) update(ctx context.Context, deploymentID string, fn func(tx dagdeck.Tx) error) error {
	if err := b.authorize(ctx); err != nil {
		return err
	}
	return b.s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := b.inScope(ctx, tx, deploymentID); err != nil {
			return err
		}
		return fn(tx)
	})
}

// ListDeployments returns every Deployment.
func (b *RuntimeBackend) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	if err := b.authorize(ctx); err != nil {
		return nil, err
	}
	var ds []*dagdeck.Deployment
	err := b.s.store.View(ctx, func(tx dagdeck.Tx) error {
		all, err := tx.ListDeployments(ctx)
		if err != nil {
			return err
		}
		for _, d := range all {
			if !b.trusted && !dagdeck.ActorFromContext(ctx).Reaches(d.ID) {
				continue
			}
			if err := withPolicy(ctx, tx, d); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return nil
	})
	return ds, err
}

// Deployment returns a Deployment by id or name, its env vars with their
// secret values, and its current deploy (nil before the first).
func (b *RuntimeBackend) Deployment(ctx context.Context, idOrName string) (*dagdeck.Deployment, *dagdeck.Deploy, error) {
	var dep *dagdeck.Deployment
	var cur *dagdeck.Deploy
	err := b.view(ctx, idOrName, func(tx dagdeck.Tx) (err error) {
		if dep, err = findDeployment(ctx, tx, idOrName); err != nil {
			return err
		}
		if err := withPolicy(ctx, tx, dep); err != nil || dep.CurrentDeployID == "" {
			return err
		}
		cur, err = tx.FindDeploy(ctx, dep.CurrentDeployID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return dep, cur, nil
}

// OpenBlob opens a stored file or manifest. ENOTFOUND if it is gone.
func (b *RuntimeBackend) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := b.authorize(ctx); err != nil {
		return nil, err
	}
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return nil, err
	}
	return b.s.artifacts.Open(ctx, digest)
}

// ReplaceDags replaces the DAGs and import errors the Deployment reports.
func (b *RuntimeBackend) ReplaceDags(ctx context.Context, deploymentID string, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		if _, err := tx.FindDeployment(ctx, deploymentID); err != nil {
			return err
		}
		if err := tx.ReplaceDags(ctx, deploymentID, dags, errs); err != nil {
			return err
		}
		if err := b.s.reported(ctx, tx, deploymentID, dags, errs); err != nil {
			return err
		}
		return recordImportErrorFiles(ctx, tx, dags, errs)
	})
}

// recordImportErrorFiles keeps, per deploy, which files failed to import in
// its code, so an automatic rollback can tell new import errors from old.
func recordImportErrorFiles(ctx context.Context, tx dagdeck.Tx, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	files := map[string][]string{}
	for _, d := range dags {
		files[d.DeployID] = files[d.DeployID][:0:0]
	}
	for _, e := range errs {
		files[e.DeployID] = append(files[e.DeployID], e.File)
	}
	for deployID, fs := range files {
		if deployID == "" {
			continue
		}
		if err := tx.PutImportErrorFiles(ctx, deployID, fs); err != nil {
			return err
		}
	}
	return nil
}

// ListRuns returns the Deployment's runs matching f, newest first.
func (b *RuntimeBackend) ListRuns(ctx context.Context, deploymentID string, f dagdeck.RunFilter) ([]*dagdeck.DagRun, error) {
	var runs []*dagdeck.DagRun
	err := b.view(ctx, deploymentID, func(tx dagdeck.Tx) (err error) {
		f.DeploymentID = deploymentID
		runs, err = tx.ListDagRuns(ctx, f)
		return err
	})
	return runs, err
}

// LatestScheduledRun returns the DAG's scheduled run with the latest
// logical date. ENOTFOUND if none.
func (b *RuntimeBackend) LatestScheduledRun(ctx context.Context, deploymentID, dagID string) (*dagdeck.DagRun, error) {
	var r *dagdeck.DagRun
	err := b.view(ctx, deploymentID, func(tx dagdeck.Tx) (err error) {
		r, err = tx.LatestDagRun(ctx, deploymentID, dagID, "scheduled")
		return err
	})
	return r, err
}

// CreateRun inserts a run of the Deployment. ECONFLICT if the DAG already
// has that run id.
func (b *RuntimeBackend) CreateRun(ctx context.Context, deploymentID string, r *dagdeck.DagRun) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		r.DeploymentID = deploymentID
		return tx.CreateDagRun(ctx, r)
	})
}

// UpdateRun writes a run's state and times. ENOTFOUND for a run of another Deployment.
func (b *RuntimeBackend) UpdateRun(ctx context.Context, deploymentID string, r *dagdeck.DagRun) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		if _, err := findRunOf(ctx, tx, deploymentID, r.ID); err != nil {
			return err
		}
		return tx.UpdateDagRun(ctx, r)
	})
}

// ListTaskInstances returns the Deployment's task instances matching f, newest first.
func (b *RuntimeBackend) ListTaskInstances(ctx context.Context, deploymentID string, f dagdeck.TaskFilter) ([]*dagdeck.TaskInstance, error) {
	var tis []*dagdeck.TaskInstance
	err := b.view(ctx, deploymentID, func(tx dagdeck.Tx) (err error) {
		f.DeploymentID = deploymentID
		tis, err = tx.ListTaskInstances(ctx, f)
		return err
	})
	return tis, err
}

// CreateTaskInstance inserts a try of a run of the Deployment. ECONFLICT if
// the run already has it; ENOTFOUND for a run of another Deployment.
func (b *RuntimeBackend) CreateTaskInstance(ctx context.Context, deploymentID string, ti *dagdeck.TaskInstance) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		r, err := findRunOf(ctx, tx, deploymentID, ti.DagRunID)
		if err != nil {
			return err
		}
		ti.DeploymentID, ti.DagID, ti.RunID, ti.Note = deploymentID, r.DagID, r.RunID, ""
		return tx.CreateTaskInstance(ctx, ti)
	})
}

// UpdateTaskInstance writes what a runtime owns of a try: state, exit
// code, retry time, times, runner, deploy and runtime version; the note
// stays the user's. A try that has ended (success, failed, skipped,
// upstream_failed) keeps its state, and one that is up for retry may only
// be failed or rescheduled: anything else is ECONFLICT, so a runtime never
// overwrites what a downgrade decided.
func (b *RuntimeBackend) UpdateTaskInstance(ctx context.Context, deploymentID string, ti *dagdeck.TaskInstance) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		// The lock orders this read-check-write with downgrades and notes,
		// which change the same rows (PostgreSQL runs READ COMMITTED).
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		cur, err := findTaskOf(ctx, tx, deploymentID, ti.ID)
		if err != nil {
			return err
		}
		if err := checkTransition(cur, ti.State); err != nil {
			return err
		}
		switch {
		case cur.State == dagdeck.TaskUpForRetry && ti.State == dagdeck.TaskUpForRetry:
			return updateRetryTime(ctx, tx, cur, ti)
		case taskEnded(cur.State):
			return nil // a late, repeated outcome: the stored one stands
		}
		cur.State, cur.ExitCode, cur.RetryAt, cur.StartedAt, cur.EndedAt = ti.State, ti.ExitCode, ti.RetryAt, ti.StartedAt, ti.EndedAt
		cur.RunnerID, cur.DeployID, cur.RuntimeVersion, cur.MaxTries = ti.RunnerID, ti.DeployID, ti.RuntimeVersion, ti.MaxTries
		return tx.UpdateTaskInstance(ctx, cur)
	})
}

// updateRetryTime lets a runtime set when a held retry runs, and nothing
// else: an update carrying another end time is a late outcome of a try the
// server already ended (a downgrade), which must not release its retry.
func updateRetryTime(ctx context.Context, tx dagdeck.Tx, cur, ti *dagdeck.TaskInstance) error {
	if !sameTime(cur.EndedAt, ti.EndedAt) {
		return dagdeck.Errorf(dagdeck.ECONFLICT, "task instance %s was ended by the server; its retry waits for the rollback", cur.ID)
	}
	if cur.RetryAt != nil && !sameTime(cur.RetryAt, ti.RetryAt) {
		return dagdeck.Errorf(dagdeck.ECONFLICT, "task instance %s already has its retry time", cur.ID)
	}
	cur.RetryAt = ti.RetryAt
	return tx.UpdateTaskInstance(ctx, cur)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// taskEnded reports whether a try in state has finished for good.
func taskEnded(state string) bool {
	switch state {
	case dagdeck.TaskSuccess, dagdeck.TaskFailed, dagdeck.TaskSkipped, dagdeck.TaskUpstreamFailed:
		return true
	}
	return false
}

// checkTransition returns ECONFLICT unless a try in cur's state may go to state.
func checkTransition(cur *dagdeck.TaskInstance, state string) error {
	switch {
	case cur.State == dagdeck.TaskRunning || cur.State == dagdeck.TaskScheduled || cur.State == state:
		return nil
	case cur.State == dagdeck.TaskUpForRetry && state == dagdeck.TaskFailed:
		return nil
	}
	return dagdeck.Errorf(dagdeck.ECONFLICT, "task instance %s is %s; it cannot become %s", cur.ID, cur.State, state)
}

// PutTaskLog stores (replaces) the log of a try of the Deployment, with the
// Deployment's secret env values masked, whatever the runtime sent.
func (b *RuntimeBackend) PutTaskLog(ctx context.Context, deploymentID, taskInstanceID string, log []byte) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		if _, err := findTaskOf(ctx, tx, deploymentID, taskInstanceID); err != nil {
			return err
		}
		return tx.PutTaskLog(ctx, taskInstanceID, []byte(maskSecrets(string(log), dep)))
	})
}

// TaskLog returns the stored log of a try of the Deployment. ENOTFOUND if
// none was stored.
func (b *RuntimeBackend) TaskLog(ctx context.Context, deploymentID, taskInstanceID string) ([]byte, error) {
	var log []byte
	err := b.view(ctx, deploymentID, func(tx dagdeck.Tx) error {
		if _, err := findTaskOf(ctx, tx, deploymentID, taskInstanceID); err != nil {
			return err
		}
		var err error
		log, err = tx.TaskLog(ctx, taskInstanceID)
		return err
	})
	return log, err
}

// PutXCom stores a value of a run of the Deployment. ENOTIMPLEMENTED if
// the Deployment's current runtime has no XCom: a downgrade erased XComs
// and none may come back from a try that ran before it.
func (b *RuntimeBackend) PutXCom(ctx context.Context, deploymentID string, x *dagdeck.XCom) error {
	return b.update(ctx, deploymentID, func(tx dagdeck.Tx) error {
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		if err := dagdeck.RequireFeature(dep.RuntimeVersion, dagdeck.FeatureXCom); err != nil {
			return err
		}
		if _, err := findRunOf(ctx, tx, deploymentID, x.DagRunID); err != nil {
			return err
		}
		masked := *x
		masked.Value = maskSecrets(x.Value, dep)
		return tx.PutXCom(ctx, deploymentID, &masked)
	})
}

// FindXCom returns a value of a run of the Deployment. ENOTFOUND if none.
func (b *RuntimeBackend) FindXCom(ctx context.Context, deploymentID, dagRunID, taskID, key string) (*dagdeck.XCom, error) {
	var x *dagdeck.XCom
	err := b.view(ctx, deploymentID, func(tx dagdeck.Tx) error {
		if _, err := findRunOf(ctx, tx, deploymentID, dagRunID); err != nil {
			return err
		}
		var err error
		x, err = tx.FindXCom(ctx, dagRunID, taskID, key)
		return err
	})
	return x, err
}

// findRunOf returns a run of the Deployment. ENOTFOUND if it does not
// exist or belongs to another Deployment.
func findRunOf(ctx context.Context, tx dagdeck.Tx, deploymentID, runID string) (*dagdeck.DagRun, error) {
	r, err := tx.FindDagRun(ctx, runID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND || (err == nil && r.DeploymentID != deploymentID) {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "DAG run %q not found in this Deployment", runID)
	}
	return r, err
}

// reported marks a pending activation active once the runtime reports the
// DAGs (or import errors) of the deploy it waits for, and the activation of
// the current deploy failed when the runtime reports it could not lay out
// its code (dagdeck.CodeImportFile), also after it had switched to it.
func (s *Service) reported(ctx context.Context, tx dagdeck.Tx, deploymentID string, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	for _, e := range errs {
		if e.File == dagdeck.CodeImportFile {
			return s.reportedBroken(ctx, tx, deploymentID, e)
		}
	}
	a, err := tx.FindActivation(ctx, deploymentID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		// The first report of a runtime: from now on its switches are tracked.
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil || dep.CurrentDeployID == "" {
			return err
		}
		a = &dagdeck.Activation{DeployID: dep.CurrentDeployID, State: dagdeck.ActivationPending}
	} else if err != nil || a.State == dagdeck.ActivationActive {
		return err
	}
	for _, d := range dags {
		if d.DeployID == a.DeployID {
			return tx.PutActivation(ctx, deploymentID, &dagdeck.Activation{DeployID: a.DeployID, State: dagdeck.ActivationActive, At: s.Now()})
		}
	}
	for _, e := range errs {
		if e.DeployID == a.DeployID {
			return tx.PutActivation(ctx, deploymentID, &dagdeck.Activation{DeployID: a.DeployID, State: dagdeck.ActivationActive, At: s.Now()})
		}
	}
	return nil
}

// reportedBroken records the activation of the current deploy as failed
// when e, the runtime's report that it could not lay out a deploy's code,
// is about that deploy.
func (s *Service) reportedBroken(ctx context.Context, tx dagdeck.Tx, deploymentID string, e *dagdeck.ImportError) error {
	// Under the Deployment's lock, as recordActivation, which keeps it.
	if err := tx.LockDeployment(ctx, deploymentID); err != nil {
		return err
	}
	dep, err := tx.FindDeployment(ctx, deploymentID)
	if err != nil || dep.CurrentDeployID == "" || dep.CurrentDeployID != e.DeployID {
		return err
	}
	return tx.PutActivation(ctx, deploymentID, &dagdeck.Activation{DeployID: e.DeployID, State: dagdeck.ActivationFailed, Error: e.Message, At: s.Now()})
}
