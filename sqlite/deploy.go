package sqlite

import (
	"context"
	"fmt"
	"strings"
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
// Deployment row's counter, so a missing Deployment is ENOTFOUND.
func (tx *Tx) CreateDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	var seq int64
	err := tx.tx.QueryRowContext(ctx, `UPDATE deployments SET last_deploy_sequence = last_deploy_sequence + 1
		WHERE id = ? RETURNING last_deploy_sequence`, d.DeploymentID).Scan(&seq)
	if err != nil {
		return interpretError(err, "Deployment %q", d.DeploymentID)
	}
	var sha, branch, remote any
	if d.Git != nil {
		sha, branch, remote = d.Git.CommitSHA, d.Git.Branch, d.Git.RemoteURL
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO deploys (`+deployColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, `SELECT `+deployColumns+` FROM deploys WHERE id = ?`, id))
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
	var where []string
	var args []any
	if f.DeploymentID != "" {
		where, args = append(where, "deployment_id = ?"), append(args, f.DeploymentID)
	}
	if f.BeforeSequence > 0 {
		where, args = append(where, "sequence < ?"), append(args, f.BeforeSequence)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, encTime(f.CreatedBefore))
	}
	q := `SELECT ` + deployColumns + ` FROM deploys`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.DeploymentID != "" {
		q += ` ORDER BY sequence DESC`
	} else {
		q += ` ORDER BY created_at DESC, id DESC`
	}
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	return q, args
}

// UpdateDeploy implements dagdeck.DeployTx.
func (tx *Tx) UpdateDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE deploys SET status = ?, finalized_at = ?, failure_reason = ?,
		description = ?, image_repository = ?, image_tag = ?, image_digest = ?, runtime_version = ?,
		dag_bundle_version = ?, dag_bundle_digest = ?, is_dag_deploy_enabled = ?, artifacts_pruned = ?
		WHERE id = ?`,
		d.Status, encNullTime(d.FinalizedAt), d.FailureReason,
		d.Description, d.ImageRepository, d.ImageTag, d.ImageDigest, d.RuntimeVersion,
		d.DagBundleVersion, d.DagBundleDigest, d.IsDagDeployEnabled, d.ArtifactsPruned, d.ID)
	return mustAffect(res, err, "deploy %q", d.ID)
}

// LatestDeploy implements dagdeck.DeployTx.
func (tx *Tx) LatestDeploy(ctx context.Context, deploymentID string, status dagdeck.DeployStatus) (*dagdeck.Deploy, error) {
	q, args := `SELECT `+deployColumns+` FROM deploys WHERE deployment_id = ?`, []any{deploymentID}
	if status != "" {
		q, args = q+` AND status = ?`, append(args, status)
	}
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, q+` ORDER BY sequence DESC LIMIT 1`, args...))
	if err != nil {
		return nil, interpretError(err, "latest deploy of Deployment %q", deploymentID)
	}
	return d, nil
}

// ImageTagTaken implements dagdeck.DeployTx.
func (tx *Tx) ImageTagTaken(ctx context.Context, deploymentID, tag string) (bool, error) {
	var taken bool
	err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deploys
		WHERE deployment_id = ? AND image_tag = ? AND rollback_from_id = '')`, deploymentID, tag).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("image tag taken: %w", err)
	}
	return taken, nil
}

// RetainedDeploys implements dagdeck.DeployTx. They come oldest first.
func (tx *Tx) RetainedDeploys(ctx context.Context, since time.Time) ([]*dagdeck.Deploy, error) {
	out, err := queryAll(ctx, tx.tx, scanDeploy, `SELECT `+deployColumns+` FROM deploys
		WHERE (status = ? AND created_at >= ?)
		OR status = ?
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN (?, ?, ?))
		ORDER BY created_at, id`,
		dagdeck.DeployDeployed, encTime(since), dagdeck.DeployInitialized,
		dagdeck.TaskScheduled, dagdeck.TaskRunning, dagdeck.TaskUpForRetry)
	if err != nil {
		return nil, fmt.Errorf("retained deploys: %w", err)
	}
	return out, nil
}
