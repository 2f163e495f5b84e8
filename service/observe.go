package service

import (
	"context"
	"time"

	"github.com/dagdeck/dagdeck"
)

// WithObserver sets who hears about finished deploys, rollbacks, uploads
// and garbage collections (the metrics package).
func WithObserver(o dagdeck.Observer) Option { return func(s *Service) { s.observer = o } }

// obs returns the observer, a no-op one if none is set.
func (s *Service) obs() dagdeck.Observer {
	if s.observer == nil {
		return dagdeck.NopObserver{}
	}
	return s.observer
}

// Rollback rolls a Deployment back to one of its deploys: a NEW deploy, at
// the top of the history, whose code state is copied from the target (see
// rollback for the rules). Every request that is not a dry run is reported
// to the observer: deployed, refused (with the error code) or failed.
//
// EINVALID for a missing or long description, a malformed req.PlanID or a
// deploy of another Deployment; ENOTFOUND for unknown ids; EUNPROCESSABLE
// when the target is not eligible, lowers the runtime without
// req.ConfirmDowngrade, or would change nothing
// (RollbackPlan.ChangesNothing, dry runs included); ECONFLICT while a
// deploy is in progress, when the Deployment changed under the rollback, or
// when req.PlanID names a plan that differs from the rollback's plan now
// (saying what changed; nothing is committed).
func (s *Service) Rollback(ctx context.Context, deploymentIDOrName, deployID string, req dagdeck.RollbackRequest) (*dagdeck.RollbackResult, error) {
	start := time.Now()
	res, err := s.rollback(ctx, deploymentIDOrName, deployID, req)
	if !req.DryRun {
		s.obs().RollbackFinished(rollbackEvent(err, time.Since(start)))
	}
	return res, err
}

// rollbackEvent classifies a rollback's result: internal errors failed,
// every other error was a refusal.
func rollbackEvent(err error, d time.Duration) dagdeck.RollbackEvent {
	e := dagdeck.RollbackEvent{Outcome: dagdeck.OutcomeDeployed, Duration: d}
	if err != nil {
		e.Code = dagdeck.ErrorCode(err)
		e.Outcome = dagdeck.OutcomeRefused
		if e.Code == dagdeck.EINTERNAL {
			e.Outcome = dagdeck.OutcomeFailed
		}
	}
	return e
}

// deployFinished tells the observer that d, of the Deployment named
// deploymentName, ended with outcome.
func (s *Service) deployFinished(deploymentName string, d *dagdeck.Deploy, outcome string) {
	s.obs().DeployFinished(dagdeck.DeployEvent{Deployment: deploymentName, Deploy: d, Outcome: outcome})
}

// storedBytes returns the bytes of the distinct files req's manifests list
// that are not missing: stored already, so the client need not upload them.
func storedBytes(req *dagdeck.DeployCreate, missing []string) int64 {
	sizes := make(map[string]int64)
	for _, m := range []*dagdeck.Manifest{req.ImageManifest, req.DagManifest} {
		if m == nil {
			continue
		}
		for _, f := range m.Files {
			if f.Digest != "" {
				sizes[f.Digest] = f.Size
			}
		}
	}
	for _, digest := range missing {
		delete(sizes, digest)
	}
	var n int64
	for _, size := range sizes {
		n += size
	}
	return n
}
