package service

import (
	"context"
	"time"

	"github.com/dagdeck/dagdeck"
)

// DefaultUploadLease is how long a deploy's upload lease lasts unless the
// uploading client renews it (the CLI renews it every 15 seconds).
const DefaultUploadLease = time.Minute

// WithUploadLease sets how long an upload lease lasts without renewal.
func WithUploadLease(d time.Duration) Option { return func(s *Service) { s.uploadLease = d } }

// leaseLapsed reports whether d is an upload whose lease lapsed by now.
// Deploys recorded before leases have none and never lapse: only the
// upload timeout fails them.
func leaseLapsed(d *dagdeck.Deploy, now time.Time) bool {
	return d.Status == dagdeck.DeployInitialized && d.LeaseExpiresAt != nil && now.After(*d.LeaseExpiresAt)
}

// RenewUploadLease extends the upload lease of an INITIALIZED deploy by the
// lease duration from now. The uploading client calls it while it uploads.
// Requires the deployer role.
//
// ECONFLICT if the deploy is no longer INITIALIZED (finalized, cancelled,
// or failed because its lease lapsed): the client should stop uploading.
// ENOTFOUND if it is not a deploy of that Deployment.
func (s *Service) RenewUploadLease(ctx context.Context, deploymentIDOrName, deployID string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	return s.changeDeploy(ctx, deploymentIDOrName, deployID, func(tx dagdeck.Tx, _ *dagdeck.Deployment, d *dagdeck.Deploy) error {
		if d.Status != dagdeck.DeployInitialized {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "%s is %s, no longer uploading: %s", d, d.Status, d.FailureReason)
		}
		until := s.Now().Add(s.uploadLease)
		d.LeaseExpiresAt = &until
		return tx.UpdateDeploy(ctx, d)
	})
}

// failLapsedUpload fails the Deployment's unfinished deploy if its upload
// lease lapsed, so that a deploy or rollback that wants the Deployment can
// go ahead after a crashed upload. A Deployment without one is left alone.
// It reports whether a deploy is still in flight.
func (s *Service) failLapsedUpload(ctx context.Context, deploymentIDOrName string) (inFlight bool, err error) {
	var inflight *dagdeck.Deploy
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		inflight, err = tx.LatestDeploy(ctx, dep.ID, dagdeck.DeployInitialized)
		return err
	})
	switch {
	case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
		return false, nil // no such Deployment (the caller says so) or nothing in flight
	case err != nil:
		return false, err
	case !leaseLapsed(inflight, s.Now()):
		return true, nil
	}
	failed, err := s.failLapsed(ctx, inflight)
	return !failed, err
}

// FailLapsedUploads fails every INITIALIZED deploy whose upload lease
// lapsed; the server calls it when it starts, so that uploads a crash
// interrupted do not block their Deployments. It returns how many it failed.
func (s *Service) FailLapsedUploads(ctx context.Context) (int, error) {
	return s.failUnfinished(ctx, dagdeck.DeployFilter{Status: dagdeck.DeployInitialized},
		func(d *dagdeck.Deploy) (bool, error) {
			if !leaseLapsed(d, s.Now()) {
				return false, nil
			}
			return s.failLapsed(ctx, d)
		}, "failed deploys whose upload lease lapsed")
}

// failLapsed fails d if, under its Deployment's lock, it is still
// INITIALIZED with a lapsed lease (the client may have renewed it since).
func (s *Service) failLapsed(ctx context.Context, d *dagdeck.Deploy) (bool, error) {
	now := s.Now()
	reason := "upload abandoned: its lease lapsed (no sign of the uploading client for " + s.uploadLease.String() + ")"
	return s.failIfStillInitialized(ctx, d.DeploymentID, d.ID, now, failure{
		reason: reason,
		actor:  "dagdeck (upload lease)",
		still:  func(d *dagdeck.Deploy) bool { return leaseLapsed(d, now) },
	})
}
