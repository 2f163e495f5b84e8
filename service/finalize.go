package service

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

// FinalizeDeploy makes an INITIALIZED deploy DEPLOYED and current, once every
// file it references is stored (each was verified against its digest when
// uploaded). Requires the deployer role.
//
// Returns a *dagdeck.MissingBlobsError (EINVALID) listing the files still to
// upload, leaving the deploy INITIALIZED; ECONFLICT if the deploy is not
// INITIALIZED; ENOTFOUND if it is not a deploy of that Deployment.
func (s *Service) FinalizeDeploy(ctx context.Context, deploymentIDOrName, deployID string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	// The runtime starts laying out the code (commitTree asks it to) while
	// the blobs uploaded for this deploy become durable, as they must be
	// before it can be DEPLOYED.
	tree, err := s.commitTree(ctx, deploymentIDOrName, deployID)
	if err != nil {
		return nil, err
	}
	if err := dagdeck.SyncArtifacts(ctx, s.artifacts); err != nil {
		return nil, err
	}
	var d *dagdeck.Deploy
	var name string
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.LockGC(ctx, false); err != nil {
			return err
		}
		dep, err := lockDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		name = dep.Name
		if d, err = s.findDeployOf(ctx, tx, dep, deployID); err != nil {
			return err
		}
		if d.Status != dagdeck.DeployInitialized {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "%s is %s, not %s; it cannot be finalized", d, d.Status, dagdeck.DeployInitialized)
		}
		manifests, err := s.manifestsOf(ctx, d)
		if err != nil {
			return err
		}
		stored, err := s.currentManifests(ctx, tx, dep)
		if err != nil {
			return err
		}
		missing, err := s.missing(ctx, manifests, stored...)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &dagdeck.MissingBlobsError{Digests: missing}
		}
		if tree == nil {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "%s changed while it was being finalized; finalize it again", d)
		}
		now := s.Now()
		d.Status, d.FinalizedAt = dagdeck.DeployDeployed, &now
		if err := setCommit(ctx, tx, dep, d, tree.Root); err != nil {
			return err
		}
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		if err := makeCurrent(ctx, tx, dep, d, now); err != nil {
			return err
		}
		c := deployChange(dagdeck.AuditDeployDeployed, d, nil)
		c.event = deployEvent(dagdeck.EventDeployDeployed, dep, d, dagdeck.ActorFromContext(ctx))
		if err := s.record(ctx, tx, c); err != nil {
			return err
		}
		return s.applyJudge(ctx, tx, d)
	})
	if err != nil {
		return nil, err
	}
	s.logger.Info("deploy finalized", "deployment", d.DeploymentID, "deploy", d.ID, "imageTag", d.ImageTag, "runtime", d.RuntimeVersion)
	s.activated(ctx, d)
	s.deployFinished(name, d, dagdeck.OutcomeDeployed)
	return d, nil
}

// makeCurrent points the Deployment at d, a DEPLOYED deploy, and restores the
// DAG-deploy setting it recorded.
func makeCurrent(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, d *dagdeck.Deploy, now time.Time) error {
	dep.CurrentDeployID = d.ID
	dep.RuntimeVersion = d.RuntimeVersion
	dep.ImageTag = d.ImageTag
	dep.DagBundleVersion = d.DagBundleVersion
	dep.IsDagDeployEnabled = d.IsDagDeployEnabled
	dep.UpdatedAt = now
	return tx.UpdateDeployment(ctx, dep)
}

// manifestsOf loads the manifests a deploy references.
func (s *Service) manifestsOf(ctx context.Context, d *dagdeck.Deploy) ([]*dagdeck.Manifest, error) {
	var out []*dagdeck.Manifest
	for _, digest := range []string{d.ImageDigest, d.DagBundleDigest} {
		if digest == "" {
			continue
		}
		m, err := s.LoadManifest(ctx, digest)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// LoadManifest reads a manifest blob. ENOTFOUND if the artifacts are gone.
// The manifest may be shared with other callers: do not modify it.
func (s *Service) LoadManifest(ctx context.Context, digest string) (*dagdeck.Manifest, error) {
	if m, ok := s.manifests.get(digest); ok {
		return m, nil
	}
	m, err := s.readManifest(ctx, digest)
	if err == nil {
		s.manifests.put(digest, m)
	}
	return m, err
}

func (s *Service) readManifest(ctx context.Context, digest string) (*dagdeck.Manifest, error) {
	rc, err := s.artifacts.Open(ctx, digest)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "manifest %s is no longer stored", digest)
	} else if err != nil {
		return nil, fmt.Errorf("open manifest: %w", err)
	}
	defer rc.Close()
	return dagdeck.DecodeManifest(rc, digest)
}
