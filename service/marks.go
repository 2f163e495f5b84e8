package service

import (
	"context"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// PinDeploy pins a DEPLOYED deploy: its artifacts are kept, and it stays a
// rollback target, past the retention window until until (nil: until it is
// unpinned). Requires the deployer role. EINVALID without a reason or with
// an until in the past; EUNPROCESSABLE for a deploy that never ran or whose
// artifacts are gone.
func (s *Service) PinDeploy(ctx context.Context, deploymentIDOrName, ref, reason string, until *time.Time) (*dagdeck.Deploy, error) {
	if until != nil && !until.After(s.Now()) {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "--until %s is not in the future", until.Format(time.RFC3339))
	}
	return s.mark(ctx, deploymentIDOrName, ref, dagdeck.MarkPin, reason, until)
}

// QuarantineDeploy marks a deploy as bad: it is no rollback target
// (QUARANTINED), and `previous` and automatic rollbacks skip it. A
// quarantined current deploy keeps running. Requires the deployer role.
func (s *Service) QuarantineDeploy(ctx context.Context, deploymentIDOrName, ref, reason string) (*dagdeck.Deploy, error) {
	return s.mark(ctx, deploymentIDOrName, ref, dagdeck.MarkQuarantine, reason, nil)
}

// UnpinDeploy removes a deploy's pin. ENOTFOUND if it has none.
func (s *Service) UnpinDeploy(ctx context.Context, deploymentIDOrName, ref string) (*dagdeck.Deploy, error) {
	return s.unmark(ctx, deploymentIDOrName, ref, dagdeck.MarkPin)
}

// ReleaseDeploy ends a deploy's quarantine. ENOTFOUND if it has none.
func (s *Service) ReleaseDeploy(ctx context.Context, deploymentIDOrName, ref string) (*dagdeck.Deploy, error) {
	return s.unmark(ctx, deploymentIDOrName, ref, dagdeck.MarkQuarantine)
}

func (s *Service) mark(ctx context.Context, deploymentIDOrName, ref, kind, reason string, until *time.Time) (*dagdeck.Deploy, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "a %s needs a reason: say why, for whoever reads the history later", kind)
	}
	if err := dagdeck.ValidateDescription(reason); err != nil {
		return nil, err
	}
	return s.changeDeploy(ctx, deploymentIDOrName, ref, func(tx dagdeck.Tx, dep *dagdeck.Deployment, d *dagdeck.Deploy) error {
		if err := markable(d, kind); err != nil {
			return err
		}
		if err := s.putMark(ctx, tx, d, kind, reason, until, actor); err != nil {
			return err
		}
		return s.applyJudge(ctx, tx, d)
	})
}

// putMark marks d, by actor, and records it in the audit log.
func (s *Service) putMark(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy, kind, reason string, until *time.Time, actor *dagdeck.Actor) error {
	m := &dagdeck.DeployMark{DeployID: d.ID, DeploymentID: d.DeploymentID, Kind: kind, Reason: reason, By: *actor, At: s.Now(), Until: until}
	if err := tx.PutMark(ctx, m); err != nil {
		return err
	}
	summary := map[string]any{"sequence": d.Sequence, "reason": reason}
	if until != nil {
		summary["until"] = until.UTC().Format(time.RFC3339)
	}
	action := map[string]string{dagdeck.MarkPin: dagdeck.AuditDeployPinned, dagdeck.MarkQuarantine: dagdeck.AuditDeployQuarantined}[kind]
	return s.record(ctx, tx, deployChange(action, d, summary))
}

// markable refuses marks that mean nothing for d.
func markable(d *dagdeck.Deploy, kind string) error {
	switch {
	case d.Status != dagdeck.DeployDeployed:
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "%s is %s: only a deploy that ran can be pinned or quarantined", d, d.Status)
	case kind == dagdeck.MarkPin && d.ArtifactsPruned:
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "%s's artifacts are already gone (ARTIFACTS_MISSING); a pin cannot bring them back", d)
	}
	return nil
}

func (s *Service) unmark(ctx context.Context, deploymentIDOrName, ref, kind string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	return s.changeDeploy(ctx, deploymentIDOrName, ref, func(tx dagdeck.Tx, _ *dagdeck.Deployment, d *dagdeck.Deploy) error {
		if err := tx.DeleteMark(ctx, d.ID, kind); dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s has no %s", d, kind)
		} else if err != nil {
			return err
		}
		action := map[string]string{dagdeck.MarkPin: dagdeck.AuditDeployUnpinned, dagdeck.MarkQuarantine: dagdeck.AuditDeployReleased}[kind]
		if err := s.record(ctx, tx, deployChange(action, d, map[string]any{"sequence": d.Sequence})); err != nil {
			return err
		}
		return s.applyJudge(ctx, tx, d)
	})
}
