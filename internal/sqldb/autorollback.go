package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

const policyColumns = `enabled, watch_seconds, max_failed_share, min_tries, on_import_errors`

// policyDest returns where the policyColumns of p scan to.
func policyDest(p *dagdeck.AutoRollbackPolicy) []any {
	return []any{&p.Enabled, &p.WatchSeconds, &p.MaxFailedShare, &p.MinTries, &p.OnImportErrors}
}

func scanPolicy(s scanner) (*dagdeck.AutoRollbackPolicy, error) {
	var p dagdeck.AutoRollbackPolicy
	err := s.Scan(policyDest(&p)...)
	return &p, err
}

// AutoRollbackPolicy implements dagdeck.AutoRollbackTx.
func (tx *Tx) AutoRollbackPolicy(ctx context.Context, deploymentID string) (*dagdeck.AutoRollbackPolicy, error) {
	p, err := scanPolicy(tx.tx.QueryRowContext(ctx, tx.q.FindAutoRollbackPolicy, deploymentID))
	if err != nil {
		return nil, tx.interpretError(err, "auto-rollback policy of %s", deploymentID)
	}
	return p, nil
}

// PutAutoRollbackPolicy implements dagdeck.AutoRollbackTx.
func (tx *Tx) PutAutoRollbackPolicy(ctx context.Context, deploymentID string, p *dagdeck.AutoRollbackPolicy) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteAutoRollbackPolicy, deploymentID); err != nil {
		return fmt.Errorf("replace auto-rollback policy: %w", err)
	}
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertAutoRollbackPolicy,
		deploymentID, p.Enabled, p.WatchSeconds, p.MaxFailedShare, p.MinTries, p.OnImportErrors)
	return tx.interpretError(err, "auto-rollback policy of %s", deploymentID)
}

// EnabledAutoRollbacks implements dagdeck.AutoRollbackTx.
func (tx *Tx) EnabledAutoRollbacks(ctx context.Context) (map[string]*dagdeck.AutoRollbackPolicy, error) {
	type row struct {
		deploymentID string
		policy       dagdeck.AutoRollbackPolicy
	}
	rows, err := queryAll(ctx, tx.tx, func(s scanner) (r row, err error) {
		err = s.Scan(append([]any{&r.deploymentID}, policyDest(&r.policy)...)...)
		return r, err
	}, tx.q.EnabledAutoRollbacks, true)
	if err != nil {
		return nil, fmt.Errorf("list auto-rollback policies: %w", err)
	}
	out := make(map[string]*dagdeck.AutoRollbackPolicy, len(rows))
	for _, r := range rows {
		out[r.deploymentID] = &r.policy
	}
	return out, nil
}

// PutImportErrorFiles implements dagdeck.AutoRollbackTx.
func (tx *Tx) PutImportErrorFiles(ctx context.Context, deployID string, files []string) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteImportErrorFiles, deployID); err != nil {
		return fmt.Errorf("replace import error files: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		if _, err := tx.tx.ExecContext(ctx, tx.q.InsertImportErrorFile, deployID, f); err != nil {
			return fmt.Errorf("record import error file: %w", err)
		}
	}
	return nil
}

// ImportErrorFiles implements dagdeck.AutoRollbackTx.
func (tx *Tx) ImportErrorFiles(ctx context.Context, deployID string) ([]string, error) {
	out, err := queryAll(ctx, tx.tx, scanString, tx.q.ImportErrorFiles, deployID)
	if err != nil {
		return nil, fmt.Errorf("import error files: %w", err)
	}
	return out, nil
}

// CountTries implements dagdeck.AutoRollbackTx.
func (tx *Tx) CountTries(ctx context.Context, deployID string) (dagdeck.TryCounts, error) {
	var c dagdeck.TryCounts
	err := tx.tx.QueryRowContext(ctx, tx.q.CountTries,
		dagdeck.TaskFailed, dagdeck.TaskUpForRetry,
		dagdeck.TaskFailed, dagdeck.TaskUpForRetry, dagdeck.TaskSuccess, dagdeck.TaskSkipped, deployID).Scan(&c.Failed, &c.Ended)
	if err != nil {
		return c, fmt.Errorf("count tries of deploy %s: %w", deployID, err)
	}
	return c, nil
}

// RecordAutoRollback implements dagdeck.AutoRollbackTx.
func (tx *Tx) RecordAutoRollback(ctx context.Context, d *dagdeck.AutoRollbackDecision) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertAutoRollbackAction,
		d.DeployID, d.DeploymentID, tx.time(d.At), d.Outcome, d.Reason, d.RollbackID)
	return tx.interpretError(err, "automatic rollback decision for deploy %s", d.DeployID)
}

// AutoRollbackDecided implements dagdeck.AutoRollbackTx.
func (tx *Tx) AutoRollbackDecided(ctx context.Context, deployID string) (bool, error) {
	var one int
	err := tx.tx.QueryRowContext(ctx, tx.q.AutoRollbackDecided, deployID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("auto-rollback decision of %s: %w", deployID, err)
	}
	return true, nil
}
