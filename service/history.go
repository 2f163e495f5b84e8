package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck"
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
		limit = dagdeck.DefaultPageSize
	}
	if limit > dagdeck.MaxPageSize {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "limit %d: the maximum is %d", limit, dagdeck.MaxPageSize)
	}
	page := &dagdeck.DeployPage{Deploys: []*dagdeck.Deploy{}}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		hc, err := s.historyContext(ctx, tx, dep.ID)
		if err != nil {
			return err
		}
		ds, err := hc.page(ctx, tx, dep.ID, before, limit+1)
		if err != nil {
			return err
		}
		if len(ds) > limit {
			ds = ds[:limit]
			page.NextCursor = encodeCursor(ds[limit-1].Sequence)
		}
		page.Deploys = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// streamPageSize is how many deploys StreamDeploys reads per transaction.
const streamPageSize = 1000

// StreamDeploys calls fn with a Deployment's Deploy History from cursor
// on ("" for the newest deploy), newest first, page after page, each
// deploy with its rollback eligibility, until the history ends or fn
// returns an error, which it returns. Each page is read in a transaction
// of its own (a keyset step on the history's index) and handed to fn
// after that transaction ends, so a slow reader holds no snapshot; the
// next page is read while fn handles one, so at most three pages are in
// memory. ENOTFOUND, EINVALID (cursor) and EFORBIDDEN come before fn is
// first called.
func (s *Service) StreamDeploys(ctx context.Context, deploymentIDOrName, cursor string, fn func([]*dagdeck.Deploy) error) error {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return err
	}
	before, err := decodeCursor(cursor)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan historyRead, 1)
	go s.readHistory(ctx, deploymentIDOrName, before, pages)
	defer func() {
		cancel()
		for range pages { // wait for the reader to stop
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if err := fn(p.deploys); err != nil {
			return err
		}
	}
	return ctx.Err() // the reader stops early only when ctx ends
}

// historyRead is a page of the history, or the error that ended it.
type historyRead struct {
	deploys []*dagdeck.Deploy
	err     error
}

// readHistory sends the pages of a Deployment's history older than
// sequence before (0: all of it) to pages until the history ends, an error
// (sent too) or ctx's end, then closes pages.
func (s *Service) readHistory(ctx context.Context, deploymentIDOrName string, before int64, pages chan<- historyRead) {
	defer close(pages)
	deploymentID := ""
	var hc *historyContext // read with the first page: one view of eligibility for the whole stream
	for {
		var ds []*dagdeck.Deploy
		err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
			if deploymentID == "" {
				dep, err := findDeployment(ctx, tx, deploymentIDOrName)
				if err != nil {
					return err
				}
				deploymentID = dep.ID
				if hc, err = s.historyContext(ctx, tx, deploymentID); err != nil {
					return err
				}
			}
			ds, err = hc.page(ctx, tx, deploymentID, before, streamPageSize)
			return err
		})
		if err == nil && len(ds) == 0 {
			return
		}
		select {
		case pages <- historyRead{ds, err}:
		case <-ctx.Done():
			return
		}
		if err != nil || len(ds) < streamPageSize {
			return
		}
		before = ds[len(ds)-1].Sequence
	}
}

// historyContext is what a page of the history needs besides its deploys:
// the judge of their eligibility and which descriptions were edited. A
// streamed history reads it once.
type historyContext struct {
	j      *judge
	edited map[string]bool
}

func (s *Service) historyContext(ctx context.Context, tx dagdeck.Tx, deploymentID string) (*historyContext, error) {
	j, err := s.judge(ctx, tx, deploymentID)
	if err != nil {
		return nil, err
	}
	edited, err := editedDeploys(ctx, tx, deploymentID)
	if err != nil {
		return nil, err
	}
	return &historyContext{j, edited}, nil
}

// page reads up to limit deploys of a Deployment older than sequence
// before (0: from the newest), newest first, with their marks, rollback
// eligibility and whether their description was edited.
func (hc *historyContext) page(ctx context.Context, tx dagdeck.Tx, deploymentID string, before int64, limit int) ([]*dagdeck.Deploy, error) {
	ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: deploymentID, BeforeSequence: before, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		hc.j.apply(d)
		d.DescriptionEdited = hc.edited[d.ID]
	}
	return ds, nil
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
		if d.DescriptionEdits, err = descriptionEdits(ctx, tx, d); err != nil {
			return err
		}
		return s.applyJudge(ctx, tx, d)
	})
	return d, err
}

// editedDeploys returns the ids of a Deployment's deploys whose
// description was edited, from the audit log (edits are rare).
func editedDeploys(ctx context.Context, tx dagdeck.Tx, deploymentID string) (map[string]bool, error) {
	es, err := tx.ListAudit(ctx, dagdeck.AuditFilter{DeploymentID: deploymentID, Action: dagdeck.AuditDeployDescription})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(es))
	for _, e := range es {
		out[e.TargetID] = true
	}
	return out, nil
}

// descriptionEdits reads the edits of d's description from the audit log,
// oldest first.
func descriptionEdits(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy) ([]dagdeck.DescriptionEdit, error) {
	es, err := tx.ListAudit(ctx, dagdeck.AuditFilter{DeploymentID: d.DeploymentID, Action: dagdeck.AuditDeployDescription, TargetID: d.ID})
	if err != nil {
		return nil, err
	}
	var out []dagdeck.DescriptionEdit
	for i := len(es) - 1; i >= 0; i-- {
		before, _ := es[i].Summary["before"].(string)
		after, _ := es[i].Summary["after"].(string)
		out = append(out, dagdeck.DescriptionEdit{At: es[i].Time, By: es[i].Actor, Before: before, After: after})
	}
	return out, nil
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
		return s.applyJudge(ctx, tx, d)
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
		prev = ds[0]
		return s.applyJudge(ctx, tx, prev)
	})
	return prev, err
}

// judge is what a deploy's eligibility depends on besides the deploy: the
// Deployment's latest DEPLOYED deploy, the marks of its deploys, the time
// and the retention window. One judge serves a whole page.
type judge struct {
	latest    *dagdeck.Deploy
	marks     map[string]map[string]*dagdeck.DeployMark // deploy id → kind → mark
	now       time.Time
	retention time.Duration
}

// judge reads what eligibility depends on for a Deployment's deploys.
func (s *Service) judge(ctx context.Context, tx dagdeck.Tx, deploymentID string) (*judge, error) {
	latest, err := latestDeployed(ctx, tx, deploymentID)
	if err != nil {
		return nil, err
	}
	ms, err := tx.ListMarks(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	j := &judge{latest: latest, marks: map[string]map[string]*dagdeck.DeployMark{}, now: s.Now(), retention: s.retention}
	for _, m := range ms {
		if j.marks[m.DeployID] == nil {
			j.marks[m.DeployID] = map[string]*dagdeck.DeployMark{}
		}
		j.marks[m.DeployID][m.Kind] = m
	}
	return j, nil
}

// apply sets d's marks and its rollback eligibility.
func (j *judge) apply(d *dagdeck.Deploy) {
	d.Pin, d.Quarantine = j.marks[d.ID][dagdeck.MarkPin], j.marks[d.ID][dagdeck.MarkQuarantine]
	latestID := ""
	if j.latest != nil {
		latestID = j.latest.ID
	}
	d.Rollback = dagdeck.EligibilityOf(d, latestID, j.now, j.retention)
}

// applyJudge sets one deploy's marks and eligibility.
func (s *Service) applyJudge(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy) error {
	j, err := s.judge(ctx, tx, d.DeploymentID)
	if err != nil {
		return err
	}
	j.apply(d)
	return nil
}

// UpdateDeploy changes a deploy's description, or cancels an INITIALIZED
// deploy by setting its status to FAILED. Requires the deployer role; a
// description only its author or an admin may change (EFORBIDDEN for
// anyone else), and every change is recorded in the audit log (who, when,
// before and after), which FindDeploy returns as DescriptionEdits.
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
	var name string
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		name = dep.Name
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
			if err := mayEditDescription(ctx, d); err != nil {
				return err
			}
			d.Description = *upd.Description
		}
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		if err := s.record(ctx, tx, deployUpdateChange(dep, d, upd, oldDescription, dagdeck.ActorFromContext(ctx))); err != nil {
			return err
		}
		return s.applyJudge(ctx, tx, d)
	})
	if err != nil {
		return nil, err
	}
	if upd.Status != nil {
		s.deployFinished(name, d, dagdeck.OutcomeCancelled)
	}
	return d, nil
}

// FailAbandoned marks deploys FAILED that stayed INITIALIZED longer than the
// upload timeout. It returns how many it failed. Each is re-read under its
// Deployment's lock, so a deploy finalized meanwhile is left alone.
func (s *Service) FailAbandoned(ctx context.Context) (int, error) {
	now := s.Now()
	abandoned := failure{
		reason: "upload abandoned: not finalized within " + s.uploadTimeout.String(),
		actor:  "dagdeck (upload timeout)",
		still:  func(*dagdeck.Deploy) bool { return true },
	}
	return s.failUnfinished(ctx, dagdeck.DeployFilter{Status: dagdeck.DeployInitialized, CreatedBefore: now.Add(-s.uploadTimeout)},
		func(d *dagdeck.Deploy) (bool, error) {
			return s.failIfStillInitialized(ctx, d.DeploymentID, d.ID, now, abandoned)
		}, "failed abandoned deploys")
}

// failUnfinished calls fail for each deploy filter lists (unfinished ones)
// and logs as what how many it failed, which it returns.
func (s *Service) failUnfinished(ctx context.Context, filter dagdeck.DeployFilter, fail func(*dagdeck.Deploy) (bool, error), what string) (int, error) {
	var ds []*dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		ds, err = tx.ListDeploys(ctx, filter)
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		failed, err := fail(d)
		if err != nil {
			return n, err
		}
		if failed {
			n++
		}
	}
	if n > 0 {
		s.logger.Info(what, "count", n)
	}
	return n, nil
}

// failure says why the system fails an unfinished deploy: the reason it
// records, the system actor it names, and the condition under which the
// deploy, re-read under its Deployment's lock, is still to be failed.
type failure struct {
	reason string
	actor  string
	still  func(*dagdeck.Deploy) bool
}

// failIfStillInitialized fails a deploy that is, under its Deployment's
// lock, still INITIALIZED and meets f.still; it records deploy.failed by
// f's system actor. It reports whether it failed the deploy.
func (s *Service) failIfStillInitialized(ctx context.Context, deploymentID, deployID string, now time.Time, f failure) (bool, error) {
	failed := false
	var d *dagdeck.Deploy
	var name string
	err := s.store.Update(ctx, func(tx dagdeck.Tx) (err error) {
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		d, err = tx.FindDeploy(ctx, deployID)
		if err != nil || d.Status != dagdeck.DeployInitialized || !f.still(d) {
			return err
		}
		d.Status, d.FinalizedAt = dagdeck.DeployFailed, &now
		d.FailureReason = f.reason
		failed = true
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		name = dep.Name
		actor := dagdeck.SystemActor(f.actor)
		c := deployChange(dagdeck.AuditDeployFailed, d, nil)
		c.event = deployEvent(dagdeck.EventDeployFailed, dep, d, actor)
		return s.record(dagdeck.NewContextWithActor(ctx, actor), tx, c)
	})
	if err == nil && failed {
		s.deployFinished(name, d, dagdeck.OutcomeFailed)
	}
	return failed, err
}

// deployUpdateChange records a cancel (a failed deploy, announced) or a
// description edit (old and new text).
// mayEditDescription returns EFORBIDDEN unless the actor in ctx is d's
// author or an admin.
func mayEditDescription(ctx context.Context, d *dagdeck.Deploy) error {
	actor := dagdeck.ActorFromContext(ctx)
	if actor.ID == d.CreatedBy.ID && actor.Kind == d.CreatedBy.Kind {
		return nil
	}
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err == nil {
		return nil
	}
	return dagdeck.Errorf(dagdeck.EFORBIDDEN, "only the author of %s (%s) or an admin may edit its description", d, d.CreatedBy.Name)
}

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
