package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// CheckAutoRollbacks looks at the current deploy of every Deployment whose
// automatic rollback is on, and acts on the unhealthy ones (see
// dagdeck.AutoRollbackPolicy): it quarantines the deploy and rolls back to
// the newest good deploy before it, as the actor "dagdeck (automatic
// rollback)". It decides at most once per deploy, never watches its own
// rollbacks, and records — instead of doing — a rollback that would lower
// the runtime: a human must decide that. The server runs it periodically.
func (s *Service) CheckAutoRollbacks(ctx context.Context) error {
	var policies map[string]*dagdeck.AutoRollbackPolicy
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		policies, err = tx.EnabledAutoRollbacks(ctx)
		return err
	})
	if err != nil {
		return err
	}
	ctx = dagdeck.NewContextWithActor(ctx, dagdeck.SystemActor(dagdeck.AutoRollbackActorName))
	var errs []error
	for id, p := range policies {
		if err := s.checkAutoRollback(ctx, id, p); err != nil {
			errs = append(errs, fmt.Errorf("automatic rollback of %s: %w", id, err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// checkAutoRollback judges one Deployment's current deploy.
func (s *Service) checkAutoRollback(ctx context.Context, deploymentID string, p *dagdeck.AutoRollbackPolicy) error {
	var cur *dagdeck.Deploy
	var reason string
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil || dep.CurrentDeployID == "" {
			return err
		}
		if cur, err = tx.FindDeploy(ctx, dep.CurrentDeployID); err != nil {
			return err
		}
		if !s.watched(ctx, tx, cur, p) {
			cur = nil
			return nil
		}
		reason, err = s.unhealthy(ctx, tx, cur, p)
		return err
	})
	if err != nil || cur == nil || reason == "" {
		return err
	}
	return s.autoRollback(ctx, cur, reason)
}

// watched reports whether d is in its watch window and not yet judged, and
// not a rollback dagdeck made itself.
func (s *Service) watched(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy, p *dagdeck.AutoRollbackPolicy) bool {
	if d.CreatedBy.Kind == dagdeck.ActorSystem || d.FinalizedAt == nil || s.Now().Sub(*d.FinalizedAt) > p.Watch() {
		return false
	}
	decided, err := tx.AutoRollbackDecided(ctx, d.ID)
	return err == nil && !decided
}

// unhealthy returns why d's code is unhealthy, or "".
func (s *Service) unhealthy(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy, p *dagdeck.AutoRollbackPolicy) (string, error) {
	if p.OnImportErrors {
		files, err := newImportErrors(ctx, tx, d)
		if err != nil || len(files) > 0 {
			return importErrorsReason(files), err
		}
	}
	c, err := tx.CountTries(ctx, d.ID)
	if err != nil {
		return "", err
	}
	if c.Ended >= p.MinTries && float64(c.Failed) >= p.MaxFailedShare*float64(c.Ended) {
		return fmt.Sprintf("%d of %d task tries on deploy #%d failed (the limit is %g%% of at least %d)", c.Failed, c.Ended, d.Sequence, p.MaxFailedShare*100, p.MinTries), nil
	}
	return "", nil
}

func importErrorsReason(files []string) string {
	if len(files) == 0 {
		return ""
	}
	return "import errors the previous code did not have: " + strings.Join(files, ", ")
}

// newImportErrors returns the files that fail to import in d's code but
// did not in the code current before it.
func newImportErrors(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy) ([]string, error) {
	now, err := tx.ImportErrorFiles(ctx, d.ID)
	if err != nil || len(now) == 0 {
		return nil, err
	}
	prev, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: d.DeploymentID, Status: dagdeck.DeployDeployed, BeforeSequence: d.Sequence, Limit: 1})
	if err != nil {
		return nil, err
	}
	var before []string
	if len(prev) == 1 {
		if before, err = tx.ImportErrorFiles(ctx, prev[0].ID); err != nil {
			return nil, err
		}
	}
	var fresh []string
	for _, f := range now {
		if !slices.Contains(before, f) {
			fresh = append(fresh, f)
		}
	}
	return fresh, nil
}

// autoRollback quarantines cur and rolls back to the newest good deploy,
// unless there is none or it would lower the runtime; every outcome is
// recorded once, in the audit log too.
func (s *Service) autoRollback(ctx context.Context, cur *dagdeck.Deploy, reason string) error {
	decision := &dagdeck.AutoRollbackDecision{DeployID: cur.ID, DeploymentID: cur.DeploymentID, Reason: reason}
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockDeployment(ctx, tx, cur.DeploymentID)
		if err != nil {
			return err
		}
		if dep.CurrentDeployID != cur.ID {
			return nil // another deploy went live meanwhile: it is judged on its own
		}
		if decided, err := tx.AutoRollbackDecided(ctx, cur.ID); err != nil || decided {
			return err
		}
		return s.putMark(ctx, tx, cur, dagdeck.MarkQuarantine, "automatic rollback: "+reason, nil, dagdeck.ActorFromContext(ctx))
	})
	if err != nil {
		return err
	}
	res, err := s.rollback(ctx, cur.DeploymentID, RefPrevious, dagdeck.RollbackRequest{Description: truncateDescription("automatic rollback: " + reason), ExpectedCurrentDeployID: cur.ID})
	switch {
	case err == nil:
		decision.Outcome, decision.RollbackID = dagdeck.AutoRolledBack, res.Deploy.ID
	case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
		decision.Outcome, decision.Reason = dagdeck.AutoNoTarget, reason+"; no earlier good deploy to roll back to"
	case dagdeck.ErrorCode(err) == dagdeck.EUNPROCESSABLE:
		decision.Outcome, decision.Reason = dagdeck.AutoNeedsHuman, reason+"; "+dagdeck.ErrorMessage(err)
	default:
		return err // retried on the next check: nothing was decided
	}
	return s.recordDecision(ctx, decision)
}

// recordDecision stores an automatic rollback decision and its audit entry.
func (s *Service) recordDecision(ctx context.Context, d *dagdeck.AutoRollbackDecision) error {
	d.At = s.Now()
	s.logger.Warn("automatic rollback", "deployment", d.DeploymentID, "deploy", d.DeployID, "outcome", d.Outcome, "reason", d.Reason)
	return s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.RecordAutoRollback(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditAutoRollback, targetKind: "deploy", targetID: d.DeployID, deploymentID: d.DeploymentID,
			summary: map[string]any{"outcome": d.Outcome, "reason": d.Reason, "rollbackId": d.RollbackID}})
	})
}

// truncateDescription keeps a generated description within the limit.
func truncateDescription(s string) string {
	if r := []rune(s); len(r) > dagdeck.MaxDescriptionLen {
		return string(r[:dagdeck.MaxDescriptionLen-1]) + "…"
	}
	return s
}
