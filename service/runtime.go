package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Page sizes of runs and task instances.
const (
	DefaultRuntimePageSize = 100
	MaxRuntimePageSize     = 1000
	// MaxTaskNoteLen bounds a task note, in characters.
	MaxTaskNoteLen = 1000
	// maxConfBytes bounds a run's conf as JSON.
	maxConfBytes = 64 << 10
)

// ListDags returns the DAGs the runtime loaded from the Deployment's
// current code, ordered by DAG id, and the files (or documents) that failed
// to import. Requires the viewer role. ENOTFOUND for an unknown Deployment.
func (s *Service) ListDags(ctx context.Context, deploymentIDOrName string) ([]*dagdeck.Dag, []*dagdeck.ImportError, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, nil, err
	}
	dags, errs := []*dagdeck.Dag{}, []*dagdeck.ImportError{}
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		ds, err := tx.ListDags(ctx, dep.ID)
		if err != nil {
			return err
		}
		es, err := tx.ListImportErrors(ctx, dep.ID)
		dags, errs = append(dags, ds...), append(errs, es...)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return dags, errs, nil
}

// ManualRunID is the run id of a manual run triggered at t, as Airflow
// names it: manual__2026-11-26T14:05:09.123456+00:00.
func ManualRunID(t time.Time) string {
	return "manual__" + t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

// TriggerDag queues a manual run of a DAG of the Deployment's current code,
// with conf overriding the DAG's params; the runtime starts it. Requires
// the deployer role. ENOTFOUND for an unknown Deployment or a DAG its
// current code does not have; EINVALID for a conf that is too large.
func (s *Service) TriggerDag(ctx context.Context, deploymentIDOrName, dagID string, conf map[string]any) (*dagdeck.DagRun, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	confJSON := ""
	if len(conf) > 0 {
		b, err := json.Marshal(conf)
		if err != nil {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "conf is not valid JSON: %v", err)
		}
		if len(b) > maxConfBytes {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "conf is %d bytes of JSON; the limit is %d", len(b), maxConfBytes)
		}
		confJSON = string(b)
	}
	var run *dagdeck.DagRun
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if err := requireDag(ctx, tx, dep, dagID); err != nil {
			return err
		}
		now := s.Now()
		run = &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagID: dagID, RunID: ManualRunID(now),
			LogicalDate: now, RunType: "manual", State: dagdeck.RunQueued, CreatedAt: now, Conf: confJSON}
		if err := tx.CreateDagRun(ctx, run); err != nil {
			return err
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditDagTriggered, targetKind: "dag_run", targetID: run.ID, deploymentID: dep.ID,
			summary: map[string]any{"dagId": dagID, "runId": run.RunID}})
	})
	if err != nil {
		return nil, err
	}
	s.logger.Info("DAG triggered", "deployment", run.DeploymentID, "dag", dagID, "run", run.RunID)
	if w, ok := s.runtime.(dagdeck.Waker); ok {
		w.Wake(run.DeploymentID)
	}
	return run, nil
}

// requireDag returns ENOTFOUND unless the Deployment's current code has the DAG.
func requireDag(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, dagID string) error {
	dags, err := tx.ListDags(ctx, dep.ID)
	if err != nil {
		return err
	}
	for _, d := range dags {
		if d.DagID == dagID {
			return nil
		}
	}
	return dagdeck.Errorf(dagdeck.ENOTFOUND, "DAG %q not found in the current code of Deployment %s (see `dagdeck dags list --deployment %s`)", dagID, dep.Name, dep.Name)
}

// ListRuns returns the Deployment's DAG runs, newest logical date first.
// Requires the viewer role. EINVALID for a limit above MaxRuntimePageSize.
func (s *Service) ListRuns(ctx context.Context, deploymentIDOrName string, q dagdeck.RunQuery) ([]*dagdeck.DagRun, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	limit, err := pageSize(q.Limit)
	if err != nil {
		return nil, err
	}
	runs := []*dagdeck.DagRun{}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		rs, err := tx.ListDagRuns(ctx, dagdeck.RunFilter{DeploymentID: dep.ID, DagID: q.DagID, State: q.State, Limit: limit})
		runs = append(runs, rs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return runs, nil
}

// ListTaskInstances returns the Deployment's task instances, one per try,
// newest first. Requires the viewer role. ENOTFOUND for an unknown
// Deployment or run; EINVALID for a limit above MaxRuntimePageSize.
func (s *Service) ListTaskInstances(ctx context.Context, deploymentIDOrName string, q dagdeck.TaskQuery) ([]*dagdeck.TaskInstance, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	limit, err := pageSize(q.Limit)
	if err != nil {
		return nil, err
	}
	out := []*dagdeck.TaskInstance{}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		f := dagdeck.TaskFilter{DeploymentID: dep.ID, DagID: q.DagID, State: q.State, Limit: limit}
		if q.RunID == "" {
			tis, err := tx.ListTaskInstances(ctx, f)
			out = append(out, tis...)
			return err
		}
		runs, err := findRuns(ctx, tx, dep, q.DagID, q.RunID)
		if err != nil {
			return err
		}
		for _, r := range runs {
			f.DagRunID = r.ID
			tis, err := tx.ListTaskInstances(ctx, f)
			if err != nil {
				return err
			}
			out = append(out, tis...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// findRuns resolves a run reference: a run's id, or a run id such as
// manual__… (one per DAG that has it, or only dagID's).
func findRuns(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, dagID, ref string) ([]*dagdeck.DagRun, error) {
	r, err := tx.FindDagRun(ctx, ref)
	if err == nil && r.DeploymentID == dep.ID && (dagID == "" || r.DagID == dagID) {
		return []*dagdeck.DagRun{r}, nil
	} else if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return nil, err
	}
	all, err := tx.ListDagRuns(ctx, dagdeck.RunFilter{DeploymentID: dep.ID, DagID: dagID})
	if err != nil {
		return nil, err
	}
	var runs []*dagdeck.DagRun
	for _, r := range all {
		if r.RunID == ref {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "run %q not found in Deployment %s", ref, dep.Name)
	}
	return runs, nil
}

// TaskInstance returns one task instance (one try) of a Deployment.
// Requires the viewer role. ENOTFOUND for an unknown try.
func (s *Service) TaskInstance(ctx context.Context, deploymentIDOrName, taskInstanceID string) (*dagdeck.TaskInstance, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var ti *dagdeck.TaskInstance
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		var err error
		ti, err = findTaskOf(ctx, tx, deploymentIDOrName, taskInstanceID)
		return err
	})
	return ti, err
}

// TaskLog returns the log of one try, secret values masked by the runtime.
// Requires the viewer role. ENOTFOUND for an unknown try, or one that never
// ran (no log).
func (s *Service) TaskLog(ctx context.Context, deploymentIDOrName, taskInstanceID string) ([]byte, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var log []byte
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		ti, err := findTaskOf(ctx, tx, deploymentIDOrName, taskInstanceID)
		if err != nil {
			return err
		}
		log, err = tx.TaskLog(ctx, ti.ID)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			return dagdeck.Errorf(dagdeck.ENOTFOUND, "task instance %s (%s try %d, %s) has no log: it has not run", ti.ID, ti.TaskID, ti.TryNumber, ti.State)
		}
		return err
	})
	return log, err
}

// TaskTry returns a task instance with its log from byte offset on ("" when
// it has not run yet, or nothing new was written). Requires the viewer
// role. ENOTFOUND for an unknown try.
func (s *Service) TaskTry(ctx context.Context, deploymentIDOrName, taskInstanceID string, offset int) (*dagdeck.TaskInstance, []byte, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, nil, err
	}
	var ti *dagdeck.TaskInstance
	var log []byte
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		if ti, err = findTaskOf(ctx, tx, deploymentIDOrName, taskInstanceID); err != nil {
			return err
		}
		log, err = tx.TaskLog(ctx, ti.ID)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			log, err = nil, nil
		}
		return err
	})
	if offset > 0 && offset <= len(log) {
		log = log[offset:]
	} else if offset > len(log) {
		log = nil
	}
	return ti, log, err
}

// SetTaskNote sets (or, with "", clears) the note of a task instance.
// Requires the deployer role. ENOTIMPLEMENTED when the Deployment's runtime
// is older than 1.1.0 (task notes); EINVALID for a note longer than
// MaxTaskNoteLen or with control characters other than newlines and tabs;
// ENOTFOUND for an unknown try.
func (s *Service) SetTaskNote(ctx context.Context, deploymentIDOrName, taskInstanceID, note string) (*dagdeck.TaskInstance, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	if n := len([]rune(note)); n > MaxTaskNoteLen {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "the note is %d characters; the limit is %d", n, MaxTaskNoteLen)
	}
	if err := dagdeck.ValidateText("the note", note, true); err != nil {
		return nil, err
	}
	var ti *dagdeck.TaskInstance
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		// The lock orders notes with rollbacks, which erase them on a downgrade.
		if err := tx.LockDeployment(ctx, dep.ID); err != nil {
			return err
		}
		if dep, err = tx.FindDeployment(ctx, dep.ID); err != nil {
			return err
		}
		if err := dagdeck.RequireFeature(dep.RuntimeVersion, dagdeck.FeatureTaskNotes); err != nil {
			return err
		}
		if ti, err = findTaskOf(ctx, tx, dep.ID, taskInstanceID); err != nil {
			return err
		}
		before := ti.Note
		ti.Note = note
		if err := tx.UpdateTaskInstance(ctx, ti); err != nil {
			return err
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditTaskNoteSet, targetKind: "task_instance", targetID: ti.ID, deploymentID: dep.ID,
			summary: map[string]any{"taskId": ti.TaskID, "before": before, "after": note}})
	})
	if err != nil {
		return nil, err
	}
	return ti, nil
}

// findTaskOf returns a task instance of the Deployment. ENOTFOUND if it
// does not exist or belongs to another Deployment.
func findTaskOf(ctx context.Context, tx dagdeck.Tx, deploymentIDOrName, taskInstanceID string) (*dagdeck.TaskInstance, error) {
	dep, err := findDeployment(ctx, tx, deploymentIDOrName)
	if err != nil {
		return nil, err
	}
	ti, err := tx.FindTaskInstance(ctx, taskInstanceID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND || (err == nil && ti.DeploymentID != dep.ID) {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "task instance %q not found in Deployment %s", taskInstanceID, dep.Name)
	}
	return ti, err
}

// pageSize validates a limit: 0 means DefaultRuntimePageSize.
func pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultRuntimePageSize, nil
	case limit < 0 || limit > MaxRuntimePageSize:
		return 0, dagdeck.Errorf(dagdeck.EINVALID, "limit %d: want 1 to %d", limit, MaxRuntimePageSize)
	}
	return limit, nil
}
