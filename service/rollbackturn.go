package service

import (
	"context"
	"errors"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Pacing of a rollback that waits for its turn.
const (
	// turnPoll is how often a waiting rollback tries again.
	turnPoll = 50 * time.Millisecond
	// turnGrace keeps a waiting rollback's turn a little beyond its wait,
	// so that deploys stay refused while its client asks again.
	turnGrace = 5 * time.Second
)

// busyError is an ECONFLICT that waiting may resolve: a deploy of the
// Deployment is in progress, or another one became current while the
// rollback was prepared.
type busyError struct{ err *dagdeck.Error }

// Error implements the error interface.
func (e *busyError) Error() string { return e.err.Error() }

// Unwrap returns the *dagdeck.Error, so ErrorCode and ErrorMessage work.
func (e *busyError) Unwrap() error { return e.err }

// busy marks err as one that waiting may resolve.
func busy(err *dagdeck.Error) error { return &busyError{err: err} }

// isBusy reports whether err is one that waiting may resolve.
func isBusy(err error) bool {
	var b *busyError
	return errors.As(err, &b)
}

// holdTurn holds the Deployment's turn for a waiting rollback until the
// service time until: deploys are refused meanwhile.
func (s *Service) holdTurn(ctx context.Context, deploymentID string, until time.Time) error {
	return s.store.Update(ctx, func(tx dagdeck.Tx) error {
		return tx.HoldRollbackTurn(ctx, deploymentID, until)
	})
}

// waitTurn waits turnPoll before a waiting rollback tries again, or less
// if ctx ends first.
func waitTurn(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(turnPoll):
		return nil
	}
}

// waitFree waits until no deploy of the Deployment is in flight (failing
// one whose upload lease lapsed), until deadline or until ctx ends. It polls
// that one cheap read, not the whole plan: a waiting rollback plans again
// only once the Deployment is free.
func (s *Service) waitFree(ctx context.Context, deploymentID string, deadline time.Time) error {
	for {
		if err := waitTurn(ctx); err != nil {
			return err
		}
		inFlight, err := s.failLapsedUpload(ctx, deploymentID)
		if err != nil || !inFlight || !time.Now().Before(deadline) {
			return err
		}
	}
}

// releaseTurn ends the Deployment's rollback turn; deploys may start again.
func (s *Service) releaseTurn(ctx context.Context, deploymentID string) {
	ctx = context.WithoutCancel(ctx) // released even when the client went away
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		return tx.ReleaseRollbackTurn(ctx, deploymentID)
	})
	if err != nil {
		s.logger.Error("release rollback turn", "deployment", deploymentID, "err", err)
	}
}

// refuseDuringRollbackTurn refuses a deploy while a rollback of the
// Deployment waits for its turn.
func (s *Service) refuseDuringRollbackTurn(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) error {
	until, err := tx.RollbackTurnHeldUntil(ctx, dep.ID)
	if err != nil {
		return err
	}
	if s.Now().Before(until) {
		return dagdeck.Errorf(dagdeck.ECONFLICT, "a rollback of Deployment %s is waiting for the deploy in progress to finish, and goes first; deploy again once it is done", dep.Name)
	}
	return nil
}

// requireSameClass checks, for a rollback re-planned because another deploy
// became current since the confirmed plan, that the new plan needs no
// confirmation the confirmed one did not: rolling back from the deploy the
// user saw would not have lowered the runtime, but from the new one it does.
func requireSameClass(ctx context.Context, tx dagdeck.Tx, plan *dagdeck.RollbackPlan, req dagdeck.RollbackRequest) error {
	if !plan.RequiresConfirmation {
		return nil
	}
	seen, err := tx.FindDeploy(ctx, req.ExpectedCurrentDeployID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return staleRollbackPlan(plan.CurrentDeploy)
	} else if err != nil {
		return err
	}
	if dagdeck.ClassifyRuntimeChange(seen.RuntimeVersion, plan.TargetDeploy.RuntimeVersion) != dagdeck.RuntimeDowngrade {
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "%s became current since the plan you confirmed, and rolling back from it lowers the runtime from %s to %s; review the new plan and confirm the downgrade", plan.CurrentDeploy, plan.Runtime.From, plan.Runtime.To)
	}
	return nil
}
