package sqldb

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/dagdeck/dagdeck"
)

// DeployColumns are the columns of deploys that a Deploy has.
const DeployColumns = `id, deployment_id, sequence, type, status, description, created_at,
	created_by_id, created_by_kind, created_by_name, created_by_role, finalized_at, failure_reason,
	image_repository, image_tag, image_digest, image_registry_digest, runtime_version, dag_bundle_version, dag_bundle_digest,
	is_dag_deploy_enabled, rollback_from_id, git_commit_sha, git_branch, git_remote_url, artifacts_pruned,
	bundle_commit, bundle_commit_message, lease_expires_at`

func scanDeploy(s scanner) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	var sha, branch, remote *string
	err := s.Scan(&d.ID, &d.DeploymentID, &d.Sequence, &d.Type, &d.Status, &d.Description, timeCol{&d.CreatedAt},
		&d.CreatedBy.ID, &d.CreatedBy.Kind, &d.CreatedBy.Name, &d.CreatedBy.Role, nullTimeCol{&d.FinalizedAt}, &d.FailureReason,
		&d.ImageRepository, &d.ImageTag, &d.ImageDigest, &d.ImageRegistryDigest, &d.RuntimeVersion, &d.DagBundleVersion, &d.DagBundleDigest,
		&d.IsDagDeployEnabled, &d.RollbackFromID, &sha, &branch, &remote, &d.ArtifactsPruned,
		&d.BundleCommit, &d.BundleCommitMessage, nullTimeCol{&d.LeaseExpiresAt})
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
// the counter write-locks the row (PostgreSQL's row lock, SQLite's database
// lock), so concurrent creators, in any process, get consecutive sequences;
// the UNIQUE (deployment_id, sequence) constraint backs that up.
func (tx *Tx) CreateDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	var seq int64
	if err := tx.tx.QueryRowContext(ctx, tx.q.NextDeploySequence, d.DeploymentID).Scan(&seq); err != nil {
		return tx.interpretError(err, "Deployment %q", d.DeploymentID)
	}
	var sha, branch, remote any
	if d.Git != nil {
		sha, branch, remote = d.Git.CommitSHA, d.Git.Branch, d.Git.RemoteURL
	}
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertDeploy,
		d.ID, d.DeploymentID, seq, d.Type, d.Status, d.Description, tx.time(d.CreatedAt),
		d.CreatedBy.ID, d.CreatedBy.Kind, d.CreatedBy.Name, d.CreatedBy.Role, tx.nullTime(d.FinalizedAt), d.FailureReason,
		d.ImageRepository, d.ImageTag, d.ImageDigest, d.ImageRegistryDigest, d.RuntimeVersion, d.DagBundleVersion, d.DagBundleDigest,
		d.IsDagDeployEnabled, d.RollbackFromID, sha, branch, remote, d.ArtifactsPruned,
		d.BundleCommit, d.BundleCommitMessage, tx.nullTime(d.LeaseExpiresAt))
	if err != nil {
		return tx.interpretError(err, "deploy %q (sequence %d of Deployment %q)", d.ID, seq, d.DeploymentID)
	}
	d.Sequence = seq
	return nil
}

// FindDeploy implements dagdeck.DeployTx.
func (tx *Tx) FindDeploy(ctx context.Context, id string) (*dagdeck.Deploy, error) {
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, tx.q.FindDeploy, id))
	if err != nil {
		return nil, tx.interpretError(err, "deploy %q", id)
	}
	return d, nil
}

// ListDeploys implements dagdeck.DeployTx.
func (tx *Tx) ListDeploys(ctx context.Context, f dagdeck.DeployFilter) ([]*dagdeck.Deploy, error) {
	q, args := tx.d.ListDeploysQuery(f)
	out, err := queryAll(ctx, tx.tx, scanDeploy, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deploys: %w", err)
	}
	return out, nil
}

// ListDeploysQuery returns the query ListDeploys runs for f. A history page
// (DeploymentID, BeforeSequence, Limit) walks the (deployment_id, sequence)
// index backwards and stops after Limit rows.
func (d *Dialect) ListDeploysQuery(f dagdeck.DeployFilter) (string, []any) {
	w := d.where()
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
		w.add("created_at < %s", d.EncodeTime(f.CreatedBefore))
	}
	q := `SELECT ` + DeployColumns + ` FROM deploys` + w.clause()
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
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateDeploy,
		d.Status, tx.nullTime(d.FinalizedAt), d.FailureReason,
		d.Description, d.ImageRepository, d.ImageTag, d.ImageDigest, d.ImageRegistryDigest, d.RuntimeVersion,
		d.DagBundleVersion, d.DagBundleDigest, d.IsDagDeployEnabled, d.ArtifactsPruned,
		d.BundleCommit, d.BundleCommitMessage, tx.nullTime(d.LeaseExpiresAt), d.ID)
	return tx.mustAffect(res, err, "deploy %q", d.ID)
}

// LatestDeploy implements dagdeck.DeployTx.
func (tx *Tx) LatestDeploy(ctx context.Context, deploymentID string, status dagdeck.DeployStatus) (*dagdeck.Deploy, error) {
	w := tx.d.where()
	w.add("deployment_id = %s", deploymentID)
	if status != "" {
		w.add("status = %s", status)
	}
	q := `SELECT ` + DeployColumns + ` FROM deploys` + w.clause() + ` ORDER BY sequence DESC LIMIT 1`
	d, err := scanDeploy(tx.tx.QueryRowContext(ctx, q, w.args...))
	if err != nil {
		return nil, tx.interpretError(err, "latest deploy of Deployment %q", deploymentID)
	}
	return d, nil
}

// ImageTagTaken implements dagdeck.DeployTx.
func (tx *Tx) ImageTagTaken(ctx context.Context, deploymentID, tag string) (bool, error) {
	var taken bool
	if err := tx.tx.QueryRowContext(ctx, tx.q.ImageTagTaken, deploymentID, tag).Scan(&taken); err != nil {
		return false, fmt.Errorf("image tag taken: %w", err)
	}
	return taken, nil
}

// PruneCandidateManifests implements dagdeck.DeployTx.
func (tx *Tx) PruneCandidateManifests(ctx context.Context, deploymentID string, createdBefore time.Time) ([]string, error) {
	pairs, err := queryAll(ctx, tx.tx, scanPair, tx.q.PruneCandidateManifests,
		deploymentID, dagdeck.DeployDeployed, tx.time(createdBefore), false)
	if err != nil {
		return nil, fmt.Errorf("prune candidate manifests: %w", err)
	}
	return distinctDigests(pairs), nil
}

// ListPruneCandidates implements dagdeck.DeployTx. The keyset condition on
// sequence is always there (the largest sequence for the first page), so
// the planner walks the (deployment_id, status, sequence) index instead of
// sorting every old deploy by sequence.
func (tx *Tx) ListPruneCandidates(ctx context.Context, deploymentID string, createdBefore time.Time, belowSequence int64, limit int) ([]dagdeck.PruneCandidate, error) {
	if belowSequence <= 0 {
		belowSequence = math.MaxInt64
	}
	out, err := queryAll(ctx, tx.tx, scanPruneCandidate, tx.q.ListPruneCandidates,
		deploymentID, dagdeck.DeployDeployed, belowSequence, tx.time(createdBefore), false, limit)
	if err != nil {
		return nil, fmt.Errorf("list prune candidates: %w", err)
	}
	return out, nil
}

func scanPruneCandidate(s scanner) (c dagdeck.PruneCandidate, err error) {
	err = s.Scan(&c.ID, &c.Sequence, &c.ImageDigest, &c.DagBundleDigest)
	return c, err
}

// SetArtifactsPruned implements dagdeck.DeployTx.
func (tx *Tx) SetArtifactsPruned(ctx context.Context, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, tx.q.SetArtifactsPruned, true, id, false)
	if err != nil {
		return false, tx.interpretError(err, "deploy %q", id)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n > 0, err
	}
	_, err = tx.FindDeploy(ctx, id) // ENOTFOUND, or already flagged
	return false, err
}

// RetainedManifests implements dagdeck.DeployTx.
func (tx *Tx) RetainedManifests(ctx context.Context, since time.Time) ([]string, error) {
	pairs, err := queryAll(ctx, tx.tx, scanPair, tx.q.RetainedManifests,
		dagdeck.DeployDeployed, tx.time(since), dagdeck.DeployInitialized,
		dagdeck.TaskScheduled, dagdeck.TaskRunning, dagdeck.TaskUpForRetry)
	if err != nil {
		return nil, fmt.Errorf("retained manifests: %w", err)
	}
	return distinctDigests(pairs), nil
}

// distinctDigests returns the digests of pairs, each once, without "".
func distinctDigests(pairs [][2]string) []string {
	seen := make(map[string]bool, len(pairs))
	var out []string
	for _, p := range pairs {
		for _, digest := range p {
			if digest != "" && !seen[digest] {
				seen[digest] = true
				out = append(out, digest)
			}
		}
	}
	return out
}
