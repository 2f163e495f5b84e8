package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

const policyColumns = `enabled, watch_seconds, max_failed_share, min_tries, on_import_errors`

func scanPolicy(s scanner) (*dagdeck.AutoRollbackPolicy, error) {
	var p dagdeck.AutoRollbackPolicy
	err := s.Scan(&p.Enabled, &p.WatchSeconds, &p.MaxFailedShare, &p.MinTries, &p.OnImportErrors)
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
	rows, err := tx.tx.QueryContext(ctx, tx.q.EnabledAutoRollbacks, true)
	if err != nil {
		return nil, fmt.Errorf("list auto-rollback policies: %w", err)
	}
	defer rows.Close()
	out := map[string]*dagdeck.AutoRollbackPolicy{}
	for rows.Next() {
		var id string
		var p dagdeck.AutoRollbackPolicy
		if err := rows.Scan(&id, &p.Enabled, &p.WatchSeconds, &p.MaxFailedShare, &p.MinTries, &p.OnImportErrors); err != nil {
			return nil, fmt.Errorf("scan auto-rollback policy: %w", err)
		}
		out[id] = &p
	}
	return out, rows.Err()
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
	out, err := queryAll(ctx, tx.tx, func(s scanner) (string, error) {
		var f string
		return f, s.Scan(&f)
	}, tx.q.ImportErrorFiles, deployID)
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
