package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

// DeploymentColumns are the columns of deployments that a Deployment has.
const DeploymentColumns = `id, name, description, executor, scheduler_size, worker_queues,
	worker_concurrency, is_dag_deploy_enabled, current_deploy_id, runtime_version,
	image_tag, dag_bundle_version, created_at, updated_at`

func (tx *Tx) deploymentArgs(d *dagdeck.Deployment) []any {
	return []any{d.ID, d.Name, d.Description, d.Executor, d.SchedulerSize, encStrings(d.WorkerQueues),
		d.WorkerConcurrency, d.IsDagDeployEnabled, d.CurrentDeployID, d.RuntimeVersion,
		d.ImageTag, d.DagBundleVersion, tx.time(d.CreatedAt), tx.time(d.UpdatedAt)}
}

func scanDeployment(s scanner) (*dagdeck.Deployment, error) {
	var d dagdeck.Deployment
	err := s.Scan(&d.ID, &d.Name, &d.Description, &d.Executor, &d.SchedulerSize, stringsCol{&d.WorkerQueues},
		&d.WorkerConcurrency, &d.IsDagDeployEnabled, &d.CurrentDeployID, &d.RuntimeVersion,
		&d.ImageTag, &d.DagBundleVersion, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	return &d, err
}

// CreateDeployment implements dagdeck.DeploymentTx.
func (tx *Tx) CreateDeployment(ctx context.Context, d *dagdeck.Deployment) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.InsertDeployment, tx.deploymentArgs(d)...); err != nil {
		return tx.interpretError(err, "Deployment %q", d.Name)
	}
	return tx.insertEnv(ctx, d)
}

// FindDeployment implements dagdeck.DeploymentTx.
func (tx *Tx) FindDeployment(ctx context.Context, id string) (*dagdeck.Deployment, error) {
	return tx.findDeployment(ctx, tx.q.FindDeployment, id)
}

// FindDeploymentByName implements dagdeck.DeploymentTx.
func (tx *Tx) FindDeploymentByName(ctx context.Context, name string) (*dagdeck.Deployment, error) {
	return tx.findDeployment(ctx, tx.q.FindDeploymentByName, name)
}

func (tx *Tx) findDeployment(ctx context.Context, query string, key string) (*dagdeck.Deployment, error) {
	d, err := scanDeployment(tx.tx.QueryRowContext(ctx, query, key))
	if err != nil {
		return nil, tx.interpretError(err, "Deployment %q", key)
	}
	if d.Env, err = tx.listEnv(ctx, d.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// ListDeployments implements dagdeck.DeploymentTx.
func (tx *Tx) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	out, err := queryAll(ctx, tx.tx, scanDeployment, tx.q.ListDeployments)
	if err != nil {
		return nil, fmt.Errorf("list Deployments: %w", err)
	}
	for _, d := range out {
		if d.Env, err = tx.listEnv(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateDeployment implements dagdeck.DeploymentTx.
func (tx *Tx) UpdateDeployment(ctx context.Context, d *dagdeck.Deployment) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateDeployment, append(tx.deploymentArgs(d)[1:], d.ID)...)
	if err := tx.mustAffect(res, err, "Deployment %q", d.Name); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteEnv, d.ID); err != nil {
		return fmt.Errorf("replace env: %w", err)
	}
	return tx.insertEnv(ctx, d)
}

func (tx *Tx) insertEnv(ctx context.Context, d *dagdeck.Deployment) error {
	for i, e := range d.Env {
		_, err := tx.tx.ExecContext(ctx, tx.q.InsertEnv, d.ID, e.Key, i, e.Value, e.IsSecret, tx.time(e.UpdatedAt))
		if err != nil {
			return tx.interpretError(err, "environment variable %q", e.Key)
		}
	}
	return nil
}

func (tx *Tx) listEnv(ctx context.Context, deploymentID string) ([]dagdeck.EnvVar, error) {
	env, err := queryAll(ctx, tx.tx, func(s scanner) (e dagdeck.EnvVar, err error) {
		err = s.Scan(&e.Key, &e.Value, &e.IsSecret, timeCol{&e.UpdatedAt})
		return e, err
	}, tx.q.ListEnv, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list env: %w", err)
	}
	return env, nil
}

// RecordEnvChange implements dagdeck.DeploymentTx.
func (tx *Tx) RecordEnvChange(ctx context.Context, deploymentID, key string, t time.Time) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertEnvChange, deploymentID, key, tx.time(t))
	return tx.interpretError(err, "change of %q", key)
}

// EnvKeysChangedSince implements dagdeck.DeploymentTx.
func (tx *Tx) EnvKeysChangedSince(ctx context.Context, deploymentID string, t time.Time) ([]string, error) {
	keys, err := queryAll(ctx, tx.tx, scanString, tx.q.EnvKeysChangedSince, deploymentID, tx.time(t))
	if err != nil {
		return nil, fmt.Errorf("env keys changed: %w", err)
	}
	return keys, nil
}
