package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// TaskColumns are the columns of task_instances that a TaskInstance has.
const TaskColumns = `id, deployment_id, dag_run_id, dag_id, run_id, task_id, try_number, max_tries,
	state, deploy_id, runtime_version, exit_code, retry_at, started_at, ended_at, runner_id, note`

func scanTask(s scanner) (*dagdeck.TaskInstance, error) {
	var ti dagdeck.TaskInstance
	err := s.Scan(&ti.ID, &ti.DeploymentID, &ti.DagRunID, &ti.DagID, &ti.RunID, &ti.TaskID, &ti.TryNumber, &ti.MaxTries,
		&ti.State, &ti.DeployID, &ti.RuntimeVersion, &ti.ExitCode, nullTimeCol{&ti.RetryAt},
		nullTimeCol{&ti.StartedAt}, nullTimeCol{&ti.EndedAt}, &ti.RunnerID, &ti.Note)
	return &ti, err
}

// CreateTaskInstance implements dagdeck.RuntimeTx. ENOTFOUND if its
// Deployment or DAG run does not exist.
func (tx *Tx) CreateTaskInstance(ctx context.Context, ti *dagdeck.TaskInstance) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertTaskInstance,
		ti.ID, ti.DeploymentID, ti.DagRunID, ti.DagID, ti.RunID, ti.TaskID, ti.TryNumber, ti.MaxTries,
		ti.State, ti.DeployID, ti.RuntimeVersion, ti.ExitCode, tx.nullTime(ti.RetryAt),
		tx.nullTime(ti.StartedAt), tx.nullTime(ti.EndedAt), ti.RunnerID, ti.Note)
	return tx.interpretError(err, "task %q try %d", ti.TaskID, ti.TryNumber)
}

// FindTaskInstance implements dagdeck.RuntimeTx.
func (tx *Tx) FindTaskInstance(ctx context.Context, id string) (*dagdeck.TaskInstance, error) {
	ti, err := scanTask(tx.tx.QueryRowContext(ctx, tx.q.FindTaskInstance, id))
	if err != nil {
		return nil, tx.interpretError(err, "task instance %q", id)
	}
	return ti, nil
}

// UpdateTaskInstance implements dagdeck.RuntimeTx. It writes every field
// but the identity (ID, Deployment, run, DAG, task and try number).
func (tx *Tx) UpdateTaskInstance(ctx context.Context, ti *dagdeck.TaskInstance) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateTaskInstance,
		ti.MaxTries, ti.State, ti.DeployID, ti.RuntimeVersion, ti.ExitCode, tx.nullTime(ti.RetryAt),
		tx.nullTime(ti.StartedAt), tx.nullTime(ti.EndedAt), ti.RunnerID, ti.Note, ti.ID)
	return tx.mustAffect(res, err, "task instance %q", ti.ID)
}

// ListTaskInstances implements dagdeck.RuntimeTx: newest means most
// recently created.
func (tx *Tx) ListTaskInstances(ctx context.Context, f dagdeck.TaskFilter) ([]*dagdeck.TaskInstance, error) {
	w := tx.d.where()
	for _, c := range []struct{ col, val string }{
		{"deployment_id", f.DeploymentID}, {"dag_run_id", f.DagRunID}, {"dag_id", f.DagID}, {"state", f.State},
	} {
		if c.val != "" {
			w.add(c.col+" = %s", c.val)
		}
	}
	q := `SELECT ` + TaskColumns + ` FROM task_instances` + w.clause() + ` ORDER BY pos DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + w.arg(f.Limit)
	}
	out, err := queryAll(ctx, tx.tx, scanTask, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list task instances: %w", err)
	}
	return out, nil
}

// CountTaskInstances implements dagdeck.RuntimeTx.
func (tx *Tx) CountTaskInstances(ctx context.Context) ([]dagdeck.TaskCount, error) {
	out, err := queryAll(ctx, tx.tx, func(s scanner) (dagdeck.TaskCount, error) {
		var c dagdeck.TaskCount
		err := s.Scan(&c.DeploymentID, &c.State, &c.Count)
		return c, err
	}, tx.q.CountTaskInstances)
	if err != nil {
		return nil, fmt.Errorf("count task instances: %w", err)
	}
	return out, nil
}

// PutTaskLog implements dagdeck.RuntimeTx. ENOTFOUND if the task instance
// does not exist.
func (tx *Tx) PutTaskLog(ctx context.Context, taskInstanceID string, log []byte) error {
	if log == nil {
		log = []byte{}
	}
	_, err := tx.tx.ExecContext(ctx, tx.q.PutTaskLog, taskInstanceID, log)
	return tx.interpretError(err, "log of task instance %q", taskInstanceID)
}

// TaskLog implements dagdeck.RuntimeTx.
func (tx *Tx) TaskLog(ctx context.Context, taskInstanceID string) ([]byte, error) {
	var log []byte
	if err := tx.tx.QueryRowContext(ctx, tx.q.TaskLog, taskInstanceID).Scan(&log); err != nil {
		return nil, tx.interpretError(err, "log of task instance %q", taskInstanceID)
	}
	if log == nil {
		log = []byte{}
	}
	return log, nil
}

// PutXCom implements dagdeck.RuntimeTx. ENOTFOUND if the DAG run does not exist.
func (tx *Tx) PutXCom(ctx context.Context, deploymentID string, x *dagdeck.XCom) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.PutXCom, deploymentID, x.DagRunID, x.TaskID, x.Key, x.Value)
	return tx.interpretError(err, "XCom %q of task %q", x.Key, x.TaskID)
}

// FindXCom implements dagdeck.RuntimeTx.
func (tx *Tx) FindXCom(ctx context.Context, dagRunID, taskID, key string) (*dagdeck.XCom, error) {
	x := dagdeck.XCom{DagRunID: dagRunID, TaskID: taskID, Key: key}
	if err := tx.tx.QueryRowContext(ctx, tx.q.FindXCom, dagRunID, taskID, key).Scan(&x.Value); err != nil {
		return nil, tx.interpretError(err, "XCom %q of task %q", key, taskID)
	}
	return &x, nil
}

// featureSQL returns the statements counting and erasing a feature's rows
// of one Deployment. EINVALID for a feature without metadata here.
func (tx *Tx) featureSQL(f dagdeck.Feature) (count, erase string, err error) {
	switch f.Name {
	case dagdeck.FeatureTaskNotes.Name:
		return tx.q.CountTaskNotes, tx.q.EraseTaskNotes, nil
	case dagdeck.FeatureXCom.Name:
		return tx.q.CountXComs, tx.q.EraseXComs, nil
	}
	return "", "", dagdeck.Errorf(dagdeck.EINVALID, "unknown feature %q", f.Name)
}

// CountFeatureRows implements dagdeck.RuntimeTx.
func (tx *Tx) CountFeatureRows(ctx context.Context, deploymentID string, f dagdeck.Feature) (int, error) {
	q, _, err := tx.featureSQL(f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, q, deploymentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", f.Metadata, err)
	}
	return n, nil
}

// EraseFeatureRows implements dagdeck.RuntimeTx.
func (tx *Tx) EraseFeatureRows(ctx context.Context, deploymentID string, f dagdeck.Feature) (int, error) {
	_, q, err := tx.featureSQL(f)
	if err != nil {
		return 0, err
	}
	res, err := tx.tx.ExecContext(ctx, q, deploymentID)
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", f.Metadata, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", f.Metadata, err)
	}
	return int(n), nil
}
