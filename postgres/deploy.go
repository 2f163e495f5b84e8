package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

const deployColumns = `id, deployment_id, sequence, type, status, description, created_at,
	created_by_id, created_by_kind, created_by_name, created_by_role, finalized_at, failure_reason,
	image_repository, image_tag, image_digest, runtime_version, dag_bundle_version, dag_bundle_digest,
	is_dag_deploy_enabled, rollback_from_id, git_commit_sha, git_branch, git_remote_url, artifacts_pruned`

func scanDeploy(s scanner) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	var sha, branch, remote *string
	err := s.Scan(&d.ID, &d.DeploymentID, &d.Sequence, &d.Type, &d.Status, &d.Description, timeCol{&d.CreatedAt},
		&d.CreatedBy.ID, &d.CreatedBy.Kind, &d.CreatedBy.Name, &d.CreatedBy.Role, nullTimeCol{&d.FinalizedAt}, &d.FailureReason,
		&d.ImageRepository, &d.ImageTag, &d.ImageDigest, &d.RuntimeVersion, &d.DagBundleVersion, &d.DagBundleDigest,
		&d.IsDagDeployEnabled, &d.RollbackFromID, &sha, &branch, &remote, &d.ArtifactsPruned)
	if err != nil {
		return nil, err
	}
	if sha != nil {
		d.Git = &dagdeck.Git{CommitSHA: *sha, Branch: deref(branch), RemoteURL: deref(remote)}
	}
	return &d, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CreateDeploy implements dagdeck.DeployTx. The sequence comes from the
// Deployment row's counter, so a missing Deployment is ENOTFOUND. Updating
// the counter takes the row lock (as LockDeployment does), so concurrent
// creators, in any process, get consecutive sequences; the
// UNIQUE (deployment_id, sequence) constraint backs that up.
func (tx *Tx) CreateDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	var seq int64
	err := tx.tx.QueryRowContext(ctx, `UPDATE deployments SET last_deploy_sequence = last_deploy_sequence + 1
		WHERE id = $1 RETURNING last_deploy_sequence`, d.DeploymentID).Scan(&seq)
	if err != nil {
		return interpretError(err, "Deployment %q", d.DeploymentID)
	}
	var sha, branch, remote any
	if d.Git != nil {
		sha, branch, remote = d.Git.CommitSHA, d.Git.Branch, d.Git.RemoteURL
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO deploys (`+deployColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
		d.ID, d.DeploymentID, seq, d.Type, d.Status, d.Description, encTime(d.CreatedAt),
		d.CreatedBy.ID, d.CreatedBy.Kind, d.CreatedBy.Name, d.CreatedBy.Role, encNullTime(d.FinalizedAt), d.FailureReason,
		d.ImageRepository, d.ImageTag, d.ImageDigest, d.RuntimeVersion, d.DagBundleVersion, d.DagBundleDigest,
		d.IsDagDeployEnabled, d.RollbackFromID, sha, branch, remote, d.ArtifactsPruned)
	if err != nil {
		return interpretError(err, "deploy %q (sequence %d of Deployment %q)", d.ID, seq, d.DeploymentID)
	}
	d.Sequence = seq
	return nil
}

// FindDeploy implements dagdeck.DeployTx.
func (tx *Tx) FindDeploy(ctx context.Context, id string) (*dagdeck.Deploy, error) {
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, `SELECT `+deployColumns+` FROM deploys WHERE id = $1`, id))
	if err != nil {
		return nil, interpretError(err, "deploy %q", id)
	}
	return d, nil
}

// ListDeploys implements dagdeck.DeployTx.
func (tx *Tx) ListDeploys(ctx context.Context, f dagdeck.DeployFilter) ([]*dagdeck.Deploy, error) {
	q, args := listDeploysQuery(f)
	out, err := queryAll(ctx, tx.tx, scanDeploy, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deploys: %w", err)
	}
	return out, nil
}

// listDeploysQuery returns the query ListDeploys runs for f. A history page
// (DeploymentID, BeforeSequence, Limit) walks the (deployment_id, sequence)
// index backwards and stops after Limit rows.
func listDeploysQuery(f dagdeck.DeployFilter) (string, []any) {
	var w where
	if f.DeploymentID != "" {
		w.add("deployment_id = %s", f.DeploymentID)
	}
	if f.BeforeSequence > 0 {
		w.add("sequence < %s", f.BeforeSequence)
	}
	if f.Status != "" {
		w.add("status = %s", f.Status)
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at < %s", encTime(f.CreatedBefore))
	}
	q := `SELECT ` + deployColumns + ` FROM deploys` + w.clause()
	if f.DeploymentID != "" {
		q += ` ORDER BY sequence DESC`
	} else {
		q += ` ORDER BY created_at DESC, id DESC`
	}
	if f.Limit > 0 {
		q += ` LIMIT ` + w.arg(f.Limit)
	}
	return q, w.args
}

// UpdateDeploy implements dagdeck.DeployTx.
func (tx *Tx) UpdateDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE deploys SET status = $1, finalized_at = $2, failure_reason = $3,
		description = $4, image_repository = $5, image_tag = $6, image_digest = $7, runtime_version = $8,
		dag_bundle_version = $9, dag_bundle_digest = $10, is_dag_deploy_enabled = $11, artifacts_pruned = $12
		WHERE id = $13`,
		d.Status, encNullTime(d.FinalizedAt), d.FailureReason,
		d.Description, d.ImageRepository, d.ImageTag, d.ImageDigest, d.RuntimeVersion,
		d.DagBundleVersion, d.DagBundleDigest, d.IsDagDeployEnabled, d.ArtifactsPruned, d.ID)
	return mustAffect(res, err, "deploy %q", d.ID)
}

// LatestDeploy implements dagdeck.DeployTx.
func (tx *Tx) LatestDeploy(ctx context.Context, deploymentID string, status dagdeck.DeployStatus) (*dagdeck.Deploy, error) {
	var w where
	w.add("deployment_id = %s", deploymentID)
	if status != "" {
		w.add("status = %s", status)
	}
	q := `SELECT ` + deployColumns + ` FROM deploys` + w.clause() + ` ORDER BY sequence DESC LIMIT 1`
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, q, w.args...))
	if err != nil {
		return nil, interpretError(err, "latest deploy of Deployment %q", deploymentID)
	}
	return d, nil
}

// ImageTagTaken implements dagdeck.DeployTx.
func (tx *Tx) ImageTagTaken(ctx context.Context, deploymentID, tag string) (bool, error) {
	var taken bool
	err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deploys
		WHERE deployment_id = $1 AND image_tag = $2 AND rollback_from_id = '')`, deploymentID, tag).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("image tag taken: %w", err)
	}
	return taken, nil
}

// RetainedDeploys implements dagdeck.DeployTx. They come oldest first.
func (tx *Tx) RetainedDeploys(ctx context.Context, since time.Time) ([]*dagdeck.Deploy, error) {
	out, err := queryAll(ctx, tx.tx, scanDeploy, `SELECT `+deployColumns+` FROM deploys
		WHERE (status = $1 AND created_at >= $2)
		OR status = $3
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN ($4, $5, $6))
		ORDER BY created_at, id`,
		dagdeck.DeployDeployed, encTime(since), dagdeck.DeployInitialized,
		dagdeck.TaskScheduled, dagdeck.TaskRunning, dagdeck.TaskUpForRetry)
	if err != nil {
		return nil, fmt.Errorf("retained deploys: %w", err)
	}
	return out, nil
}
