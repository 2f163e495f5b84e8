package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// auditColumns are the columns of audit_log, in AuditEntry's order.
const auditColumns = `seq, id, at, actor_id, actor_kind, actor_name, actor_role, client_addr,
	request_id, action, target_kind, target_id, deployment_id, summary, prev_hash, hash`

func scanAudit(s scanner) (*dagdeck.AuditEntry, error) {
	var e dagdeck.AuditEntry
	var summary string
	err := s.Scan(&e.Seq, &e.ID, timeCol{&e.Time}, &e.Actor.ID, &e.Actor.Kind, &e.Actor.Name, &e.ActorRole, &e.ClientAddr,
		&e.RequestID, &e.Action, &e.TargetKind, &e.TargetID, &e.DeploymentID, &summary, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(summary), &e.Summary); err != nil {
		return nil, fmt.Errorf("audit entry %d: summary: %w", e.Seq, err)
	}
	return &e, nil
}

// AppendAudit implements dagdeck.AuditTx.
func (tx *Tx) AppendAudit(ctx context.Context, e *dagdeck.AuditEntry) error {
	if tx.d.AuditLock != "" {
		if _, err := tx.tx.ExecContext(ctx, tx.d.AuditLock, AuditLockKey); err != nil {
			return fmt.Errorf("lock audit log: %w", err)
		}
	}
	var last struct {
		seq  int64
		hash string
	}
	err := tx.tx.QueryRowContext(ctx, tx.q.AuditHead).Scan(&last.seq, &last.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no rows: the first entry
		return fmt.Errorf("read the audit log's head: %w", err)
	}
	summary, err := json.Marshal(e.Summary)
	if err != nil {
		return fmt.Errorf("audit summary: %w", err)
	}
	e.Seq, e.PrevHash = last.seq+1, last.hash
	e.Hash = e.ComputeHash()
	_, err = tx.tx.ExecContext(ctx, tx.q.InsertAudit,
		e.Seq, e.ID, tx.time(e.Time), e.Actor.ID, e.Actor.Kind, e.Actor.Name, e.ActorRole, e.ClientAddr,
		e.RequestID, e.Action, e.TargetKind, e.TargetID, e.DeploymentID, string(summary), e.PrevHash, e.Hash)
	return tx.interpretError(err, "audit entry %d", e.Seq)
}

// ListAudit implements dagdeck.AuditTx.
func (tx *Tx) ListAudit(ctx context.Context, f dagdeck.AuditFilter) ([]*dagdeck.AuditEntry, error) {
	w := tx.d.where()
	if f.DeploymentID != "" {
		w.add("deployment_id = %s", f.DeploymentID)
	}
	if f.Actor != "" {
		w.add("(actor_name = %s OR actor_id = %s)", f.Actor, f.Actor)
	}
	if !f.Since.IsZero() {
		w.add("at >= %s", tx.time(f.Since))
	}
	if f.BeforeSeq > 0 {
		w.add("seq < %s", f.BeforeSeq)
	}
	if f.Action != "" {
		w.add("action = %s", f.Action)
	}
	if f.TargetID != "" {
		w.add("target_id = %s", f.TargetID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log` + w.clause() + ` ORDER BY seq DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + w.arg(f.Limit)
	}
	out, err := queryAll(ctx, tx.tx, scanAudit, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// EachAudit implements dagdeck.AuditTx, reading a page at a time.
func (tx *Tx) EachAudit(ctx context.Context, fn func(*dagdeck.AuditEntry) (bool, error)) error {
	const page = 1000
	for after := int64(0); ; {
		es, err := queryAll(ctx, tx.tx, scanAudit, tx.q.AuditAfter, after, page)
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		for _, e := range es {
			if more, err := fn(e); err != nil || !more {
				return err
			}
			after = e.Seq
		}
		if len(es) < page {
			return nil
		}
	}
}
