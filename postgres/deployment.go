package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

const deploymentColumns = `id, name, description, executor, scheduler_size, worker_queues,
	worker_concurrency, is_dag_deploy_enabled, current_deploy_id, runtime_version,
	image_tag, dag_bundle_version, created_at, updated_at`

func deploymentArgs(d *dagdeck.Deployment) []any {
	return []any{d.ID, d.Name, d.Description, d.Executor, d.SchedulerSize, encStrings(d.WorkerQueues),
		d.WorkerConcurrency, d.IsDagDeployEnabled, d.CurrentDeployID, d.RuntimeVersion,
		d.ImageTag, d.DagBundleVersion, encTime(d.CreatedAt), encTime(d.UpdatedAt)}
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
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO deployments (`+deploymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, deploymentArgs(d)...)
	if err != nil {
		return interpretError(err, "Deployment %q", d.Name)
	}
	return tx.insertEnv(ctx, d)
}

// FindDeployment implements dagdeck.DeploymentTx.
func (tx *Tx) FindDeployment(ctx context.Context, id string) (*dagdeck.Deployment, error) {
	return tx.findDeployment(ctx, `id = $1`, id)
}

// FindDeploymentByName implements dagdeck.DeploymentTx.
func (tx *Tx) FindDeploymentByName(ctx context.Context, name string) (*dagdeck.Deployment, error) {
	return tx.findDeployment(ctx, `name = $1`, name)
}

func (tx *Tx) findDeployment(ctx context.Context, cond string, key string) (*dagdeck.Deployment, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE `+cond, key)
	d, err := scanDeployment(row)
	if err != nil {
		return nil, interpretError(err, "Deployment %q", key)
	}
	if d.Env, err = tx.listEnv(ctx, d.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// ListDeployments implements dagdeck.DeploymentTx.
func (tx *Tx) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	out, err := queryAll(ctx, tx.tx, scanDeployment, `SELECT `+deploymentColumns+` FROM deployments ORDER BY name`)
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
	args := append(deploymentArgs(d)[1:], d.ID)
	res, err := tx.tx.ExecContext(ctx, `UPDATE deployments SET name = $1, description = $2, executor = $3,
		scheduler_size = $4, worker_queues = $5, worker_concurrency = $6, is_dag_deploy_enabled = $7,
		current_deploy_id = $8, runtime_version = $9, image_tag = $10, dag_bundle_version = $11,
		created_at = $12, updated_at = $13
		WHERE id = $14`, args...)
	if err := mustAffect(res, err, "Deployment %q", d.Name); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM deployment_env WHERE deployment_id = $1`, d.ID); err != nil {
		return fmt.Errorf("replace env: %w", err)
	}
	return tx.insertEnv(ctx, d)
}

// DeleteDeployment implements dagdeck.DeploymentTx.
func (tx *Tx) DeleteDeployment(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM deployments WHERE id = $1`, id)
	return mustAffect(res, err, "Deployment %q", id)
}

func (tx *Tx) insertEnv(ctx context.Context, d *dagdeck.Deployment) error {
	for i, e := range d.Env {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO deployment_env
			(deployment_id, key, position, value, is_secret, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			d.ID, e.Key, i, e.Value, e.IsSecret, encTime(e.UpdatedAt))
		if err != nil {
			return interpretError(err, "environment variable %q", e.Key)
		}
	}
	return nil
}

func (tx *Tx) listEnv(ctx context.Context, deploymentID string) ([]dagdeck.EnvVar, error) {
	env, err := queryAll(ctx, tx.tx, func(s scanner) (e dagdeck.EnvVar, err error) {
		err = s.Scan(&e.Key, &e.Value, &e.IsSecret, timeCol{&e.UpdatedAt})
		return e, err
	}, `SELECT key, value, is_secret, updated_at FROM deployment_env WHERE deployment_id = $1 ORDER BY position`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list env: %w", err)
	}
	return env, nil
}

// RecordEnvChange implements dagdeck.DeploymentTx.
func (tx *Tx) RecordEnvChange(ctx context.Context, deploymentID, key string, t time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO env_changes (deployment_id, key, changed_at) VALUES ($1, $2, $3)`,
		deploymentID, key, encTime(t))
	return interpretError(err, "change of %q", key)
}

// EnvKeysChangedSince implements dagdeck.DeploymentTx.
func (tx *Tx) EnvKeysChangedSince(ctx context.Context, deploymentID string, t time.Time) ([]string, error) {
	keys, err := queryAll(ctx, tx.tx, scanString, `SELECT DISTINCT key FROM env_changes
		WHERE deployment_id = $1 AND changed_at > $2 ORDER BY key`, deploymentID, encTime(t))
	if err != nil {
		return nil, fmt.Errorf("env keys changed: %w", err)
	}
	return keys, nil
}
