package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	err := tx.tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last.seq, &last.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no rows: the first entry
		return fmt.Errorf("read the audit log's head: %w", err)
	}
	summary, err := json.Marshal(e.Summary)
	if err != nil {
		return fmt.Errorf("audit summary: %w", err)
	}
	e.Seq, e.PrevHash = last.seq+1, last.hash
	e.Hash = e.ComputeHash()
	_, err = tx.tx.ExecContext(ctx, tx.d.Rebind(`INSERT INTO audit_log (`+auditColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.Seq, e.ID, tx.time(e.Time), e.Actor.ID, e.Actor.Kind, e.Actor.Name, e.ActorRole, e.ClientAddr,
		e.RequestID, e.Action, e.TargetKind, e.TargetID, e.DeploymentID, string(summary), e.PrevHash, e.Hash)
	return tx.interpretError(err, "audit entry %d", e.Seq)
}

// ListAudit implements dagdeck.AuditTx.
func (tx *Tx) ListAudit(ctx context.Context, f dagdeck.AuditFilter) ([]*dagdeck.AuditEntry, error) {
	var conds []string
	var args []any
	add := func(cond string, arg ...any) { conds = append(conds, cond); args = append(args, arg...) }
	if f.DeploymentID != "" {
		add("deployment_id = ?", f.DeploymentID)
	}
	if f.Actor != "" {
		add("(actor_name = ? OR actor_id = ?)", f.Actor, f.Actor)
	}
	if !f.Since.IsZero() {
		add("at >= ?", tx.time(f.Since))
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY seq DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	out, err := queryAll(ctx, tx.tx, scanAudit, tx.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// EachAudit implements dagdeck.AuditTx, reading a page at a time.
func (tx *Tx) EachAudit(ctx context.Context, fn func(*dagdeck.AuditEntry) (bool, error)) error {
	const page = 1000
	for after := int64(0); ; {
		es, err := queryAll(ctx, tx.tx, scanAudit, tx.d.Rebind(`SELECT `+auditColumns+` FROM audit_log
			WHERE seq > ? ORDER BY seq LIMIT ?`), after, page)
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
