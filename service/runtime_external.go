package service

import (
	"context"

	"github.com/dagdeck/dagdeck"
)

// ExternalRuntime is the dagdeck.Runtime of a server whose Deployments are
// run by separate `dagdeck runtime` processes (`dagdeck server
// --runtime=none`). It cannot stop their processes itself, so it records
// in the store what they must do; each acts on it at its next poll:
//
//   - PrepareDowngrade fails the Deployment's running tries now, holding
//     their retries (up_for_retry without a retry time) when retries
//     remain. A runtime that finds a try it runs no longer "running" stops
//     its process, and the store refuses to revive the try.
//   - A runtime that sees a new current deploy (the rollback) activates
//     it, then releases the retries held back before it became current:
//     it reads a run's task instances before the current deploy, so it
//     never starts a released retry on the code from before the rollback.
//     Activate itself releases only the retries of a rollback that failed:
//     it is then called with the deploy that stayed current, which was
//     current before those tries were stopped.
type ExternalRuntime struct{ s *Service }

var _ dagdeck.Runtime = (*ExternalRuntime)(nil)

// ExternalRuntime returns the Runtime that relays to runtimes in other processes.
func (s *Service) ExternalRuntime() *ExternalRuntime { return &ExternalRuntime{s: s} }

// PrepareDowngrade fails the Deployment's running tries, holding their retries.
func (r *ExternalRuntime) PrepareDowngrade(ctx context.Context, deploymentID string) error {
	return r.s.store.Update(ctx, func(tx dagdeck.Tx) error {
		tis, err := tx.ListTaskInstances(ctx, dagdeck.TaskFilter{DeploymentID: deploymentID, State: dagdeck.TaskRunning})
		if err != nil {
			return err
		}
		now := r.s.Now()
		for _, ti := range tis {
			ti.EndedAt, ti.RetryAt = &now, nil
			ti.State = dagdeck.TaskFailed
			if ti.TryNumber < ti.MaxTries {
				ti.State = dagdeck.TaskUpForRetry
			}
			if err := tx.UpdateTaskInstance(ctx, ti); err != nil {
				return err
			}
		}
		return nil
	})
}

// ActivatesLater implements dagdeck.DeferredActivation: the separate
// runtime switches when it next polls, and says so by reporting the DAGs.
func (r *ExternalRuntime) ActivatesLater() bool { return true }

// Activate releases the retries a downgrade held back if d was already
// current when they were stopped (the rollback failed, d stays current).
// After a rollback that committed, d is newer than the held tries: the
// runtime releases them once it runs d.
func (r *ExternalRuntime) Activate(ctx context.Context, d *dagdeck.Deploy) error {
	if d.FinalizedAt == nil {
		return nil
	}
	return r.s.store.Update(ctx, func(tx dagdeck.Tx) error {
		tis, err := tx.ListTaskInstances(ctx, dagdeck.TaskFilter{DeploymentID: d.DeploymentID, State: dagdeck.TaskUpForRetry})
		if err != nil {
			return err
		}
		now := r.s.Now()
		for _, ti := range tis {
			if ti.RetryAt != nil || ti.EndedAt == nil || !d.FinalizedAt.Before(*ti.EndedAt) {
				continue
			}
			ti.RetryAt = &now
			if err := tx.UpdateTaskInstance(ctx, ti); err != nil {
				return err
			}
		}
		return nil
	})
}
