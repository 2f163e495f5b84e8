package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Page sizes of the Deploy History.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ListDeploys returns one page of a Deployment's Deploy History, newest
// first, each deploy with its rollback eligibility. cursor is "" for the
// first page or a NextCursor from a previous page.
func (s *Service) ListDeploys(ctx context.Context, deploymentIDOrName, cursor string, limit int) (*dagdeck.DeployPage, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	before, err := decodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	if limit > MaxPageSize {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "limit %d: the maximum is %d", limit, MaxPageSize)
	}
	page := &dagdeck.DeployPage{Deploys: []*dagdeck.Deploy{}}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID, BeforeSequence: before, Limit: limit + 1})
		if err != nil {
			return err
		}
		if len(ds) > limit {
			ds = ds[:limit]
			page.NextCursor = encodeCursor(ds[limit-1].Sequence)
		}
		latest, err := latestDeployed(ctx, tx, dep.ID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			s.setEligibility(d, latest)
		}
		page.Deploys = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// FindDeploy returns a deploy of a Deployment with its rollback eligibility.
func (s *Service) FindDeploy(ctx context.Context, deploymentIDOrName, deployID string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var d *dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if d, err = s.findDeployOf(ctx, tx, dep, deployID); err != nil {
			return err
		}
		latest, err := latestDeployed(ctx, tx, dep.ID)
		s.setEligibility(d, latest)
		return err
	})
	return d, err
}

// FindDeployByID returns any deploy by id or bundle commit (a unique
// prefix of at least 7 hex digits), whichever Deployment it belongs to,
// with its rollback eligibility. ENOTFOUND if none; EINVALID if a commit
// prefix names several deploys.
func (s *Service) FindDeployByID(ctx context.Context, deployID string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var d *dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		d, err = tx.FindDeploy(ctx, deployID)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			d, err = findDeployByCommit(ctx, tx, "", deployID)
		}
		if err != nil {
			return err
		}
		latest, err := latestDeployed(ctx, tx, d.DeploymentID)
		s.setEligibility(d, latest)
		return err
	})
	return d, err
}

// PreviousDeployed returns the DEPLOYED deploy right before deployID in its
// Deployment's history. ENOTFOUND if there is none.
func (s *Service) PreviousDeployed(ctx context.Context, deploymentIDOrName, deployID string) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var prev *dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		d, err := s.findDeployOf(ctx, tx, dep, deployID)
		if err != nil {
			return err
		}
		ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID, BeforeSequence: d.Sequence, Status: dagdeck.DeployDeployed, Limit: 1})
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return dagdeck.Errorf(dagdeck.ENOTFOUND, "%s has no DEPLOYED deploy before it", d)
		}
		latest, err := latestDeployed(ctx, tx, dep.ID)
		prev = ds[0]
		s.setEligibility(prev, latest)
		return err
	})
	return prev, err
}

// withEligibility re-reads what eligibility needs and sets it on d.
func (s *Service) withEligibility(ctx context.Context, d *dagdeck.Deploy) (*dagdeck.Deploy, error) {
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		latest, err := latestDeployed(ctx, tx, d.DeploymentID)
		s.setEligibility(d, latest)
		return err
	})
	return d, err
}

func (s *Service) setEligibility(d, latestDeployed *dagdeck.Deploy) {
	latestID := ""
	if latestDeployed != nil {
		latestID = latestDeployed.ID
	}
	d.Rollback = dagdeck.EligibilityOf(d, latestID, s.Now(), s.retention)
}

// UpdateDeploy changes a deploy's description, or cancels an INITIALIZED
// deploy by setting its status to FAILED. Requires the deployer role.
func (s *Service) UpdateDeploy(ctx context.Context, deploymentIDOrName, deployID string, upd dagdeck.DeployUpdate) (*dagdeck.Deploy, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	if upd.Description != nil {
		if err := dagdeck.ValidateDescription(*upd.Description); err != nil {
			return nil, err
		}
	}
	if upd.Status != nil && *upd.Status != dagdeck.DeployFailed {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "status can only be set to %s (to cancel an unfinished deploy)", dagdeck.DeployFailed)
	}
	var d *dagdeck.Deploy
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if d, err = s.findDeployOf(ctx, tx, dep, deployID); err != nil {
			return err
		}
		oldDescription := d.Description
		if upd.Status != nil {
			if d.Status != dagdeck.DeployInitialized {
				return dagdeck.Errorf(dagdeck.ECONFLICT, "%s is %s; only an unfinished deploy can be cancelled", d, d.Status)
			}
			now := s.Now()
			d.Status, d.FinalizedAt, d.FailureReason = dagdeck.DeployFailed, &now, "cancelled by "+dagdeck.ActorFromContext(ctx).Name
		}
		if upd.Description != nil {
			d.Description = *upd.Description
		}
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, deployUpdateChange(dep, d, upd, oldDescription, dagdeck.ActorFromContext(ctx)))
	})
	if err != nil {
		return nil, err
	}
	return s.withEligibility(ctx, d)
}

// FailAbandoned marks deploys FAILED that stayed INITIALIZED longer than the
// upload timeout. It returns how many it failed. Each is re-read under its
// Deployment's lock, so a deploy finalized meanwhile is left alone.
func (s *Service) FailAbandoned(ctx context.Context) (int, error) {
	now := s.Now()
	var stale []*dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		stale, err = tx.ListDeploys(ctx, dagdeck.DeployFilter{Status: dagdeck.DeployInitialized, CreatedBefore: now.Add(-s.uploadTimeout)})
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range stale {
		failed, err := s.failIfStillInitialized(ctx, d.DeploymentID, d.ID, now)
		if err != nil {
			return n, err
		}
		if failed {
			n++
		}
	}
	if n > 0 {
		s.logger.Info("failed abandoned deploys", "count", n)
	}
	return n, nil
}

func (s *Service) failIfStillInitialized(ctx context.Context, deploymentID, deployID string, now time.Time) (bool, error) {
	failed := false
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		d, err := tx.FindDeploy(ctx, deployID)
		if err != nil || d.Status != dagdeck.DeployInitialized {
			return err
		}
		d.Status, d.FinalizedAt = dagdeck.DeployFailed, &now
		d.FailureReason = "upload abandoned: not finalized within " + s.uploadTimeout.String()
		failed = true
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		actor := dagdeck.SystemActor("dagdeck (upload timeout)")
		c := deployChange(dagdeck.AuditDeployFailed, d, nil)
		c.event = deployEvent(dagdeck.EventDeployFailed, dep, d, actor)
		return s.record(dagdeck.NewContextWithActor(ctx, actor), tx, c)
	})
	return failed, err
}

// deployUpdateChange records a cancel (a failed deploy, announced) or a
// description edit (old and new text).
func deployUpdateChange(dep *dagdeck.Deployment, d *dagdeck.Deploy, upd dagdeck.DeployUpdate, oldDescription string, actor *dagdeck.Actor) change {
	if upd.Status != nil {
		c := deployChange(dagdeck.AuditDeployCancelled, d, nil)
		c.event = deployEvent(dagdeck.EventDeployFailed, dep, d, actor)
		return c
	}
	return deployChange(dagdeck.AuditDeployDescription, d, map[string]any{
		"sequence": d.Sequence, "before": oldDescription, "after": d.Description,
	})
}

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 4 && string(b[:4]) == "seq:" {
		if n, err := strconv.ParseInt(string(b[4:]), 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, dagdeck.Errorf(dagdeck.EINVALID, "invalid cursor %q", c)
}
