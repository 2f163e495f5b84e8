package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// HoldRollbackTurn implements dagdeck.RollbackTurnTx.
func (tx *Tx) HoldRollbackTurn(ctx context.Context, deploymentID string, until time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.PutRollbackTurn, deploymentID, tx.time(until)); err != nil {
		return fmt.Errorf("hold rollback turn: %w", err)
	}
	return nil
}

// RollbackTurnHeldUntil implements dagdeck.RollbackTurnTx.
func (tx *Tx) RollbackTurnHeldUntil(ctx context.Context, deploymentID string) (time.Time, error) {
	var until time.Time
	err := tx.tx.QueryRowContext(ctx, tx.q.RollbackTurn, deploymentID).Scan(timeCol{&until})
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("rollback turn: %w", err)
	}
	return until, nil
}

// ReleaseRollbackTurn implements dagdeck.RollbackTurnTx.
func (tx *Tx) ReleaseRollbackTurn(ctx context.Context, deploymentID string) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteRollbackTurn, deploymentID); err != nil {
		return fmt.Errorf("release rollback turn: %w", err)
	}
	return nil
}
