package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

// change is what a mutating operation records: its audit entry and, when
// it announces something, the event webhooks receive. Both are written in
// the operation's own transaction, so neither exists without the other.
type change struct {
	action       string
	targetKind   string
	targetID     string
	deploymentID string
	summary      map[string]any
	// event, if set, is delivered to the webhooks that want it.
	event *eventSpec
}

// eventSpec is an event to announce: its type, its data and a one-line
// message for chat formats.
type eventSpec struct {
	typ  string
	data map[string]any
	text string
}

// record appends c's audit entry and queues its event for delivery, in tx.
// Call it as the transaction's last step: it serializes audit appends.
func (s *Service) record(ctx context.Context, tx dagdeck.Tx, c change) error {
	actor := dagdeck.ActorFromContext(ctx)
	if actor == nil {
		actor = dagdeck.SystemActor("dagdeck")
	}
	req := dagdeck.RequestFromContext(ctx)
	e := &dagdeck.AuditEntry{
		ID: dagdeck.NewID(), Time: s.Now(), Actor: *actor, ActorRole: actor.Role,
		ClientAddr: req.ClientAddr, RequestID: req.ID, Action: c.action,
		TargetKind: c.targetKind, TargetID: c.targetID, DeploymentID: c.deploymentID,
		Summary: normalized(c.summary),
	}
	if c.event != nil {
		if err := s.enqueueEvent(ctx, tx, c, actor); err != nil {
			return err
		}
	}
	if err := tx.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", c.action, err)
	}
	return nil
}

// normalized returns m as it reads back from JSON, so the hash computed now
// equals the hash of the stored entry.
func normalized(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return map[string]any{"error": "summary could not be encoded: " + err.Error()}
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out) // it was just encoded
	return out
}

// ListAudit returns one page of the audit log, newest first. Admins see
// every entry; other roles need f.DeploymentID and see that Deployment's
// entries (its activity). cursor is "" or a page's NextCursor.
func (s *Service) ListAudit(ctx context.Context, f dagdeck.AuditFilter, cursor string) (*dagdeck.AuditPage, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer)
	if err != nil {
		return nil, err
	}
	if f.BeforeSeq, err = decodeCursor(cursor); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = dagdeck.DefaultPageSize
	}
	if f.Limit > dagdeck.MaxPageSize {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "limit %d: the maximum is %d", f.Limit, dagdeck.MaxPageSize)
	}
	page := &dagdeck.AuditPage{Entries: []*dagdeck.AuditEntry{}}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		if f.DeploymentID != "" {
			dep, err := findDeployment(ctx, tx, f.DeploymentID)
			if err != nil {
				return err
			}
			f.DeploymentID = dep.ID
		} else if !actor.Role.Allows(dagdeck.RoleAdmin) {
			return dagdeck.Errorf(dagdeck.EFORBIDDEN, "the whole audit log needs the admin role; name a Deployment to see its activity")
		}
		want := f.Limit
		f.Limit++
		es, err := tx.ListAudit(ctx, f)
		if err != nil {
			return err
		}
		if len(es) > want {
			es = es[:want]
			page.NextCursor = encodeCursor(es[want-1].Seq)
		}
		page.Entries = es
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// VerifyAudit checks the whole audit chain, oldest first, and names the
// first entry that was edited, removed or moved. Requires the admin role.
func (s *Service) VerifyAudit(ctx context.Context) (*dagdeck.AuditVerification, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var v dagdeck.AuditVerifier
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		return tx.EachAudit(ctx, func(e *dagdeck.AuditEntry) (bool, error) { return v.Add(e), nil })
	})
	if err != nil {
		return nil, err
	}
	return v.Result(), nil
}

// deploySummary is what an audit entry says about a deploy.
func deploySummary(d *dagdeck.Deploy) map[string]any {
	m := map[string]any{
		"sequence": d.Sequence, "type": d.Type, "status": d.Status, "description": d.Description,
		"imageTag": d.ImageTag, "runtimeVersion": d.RuntimeVersion, "dagBundleVersion": d.DagBundleVersion,
	}
	if d.RollbackFromID != "" {
		m["rollbackFromId"] = d.RollbackFromID
	}
	if d.FailureReason != "" {
		m["failureReason"] = d.FailureReason
	}
	return m
}

// deployChange is the change record of a deploy's new state.
func deployChange(action string, d *dagdeck.Deploy, summary map[string]any) change {
	if summary == nil {
		summary = deploySummary(d)
	}
	return change{action: action, targetKind: "deploy", targetID: d.ID, deploymentID: d.DeploymentID, summary: summary}
}

func seqLabel(n int64) string { return "#" + strconv.FormatInt(n, 10) }
