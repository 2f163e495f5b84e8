package dagdeck

import (
	"context"
	"time"
)

// RollbackTurnTx persists the turns that waiting rollbacks hold: while a
// rollback waits for a deploy in progress to finish, deploys that arrive
// after it are refused, so the rollback goes ahead of them.
type RollbackTurnTx interface {
	// HoldRollbackTurn records that a rollback of the Deployment waits
	// until at most until, replacing an earlier record.
	HoldRollbackTurn(ctx context.Context, deploymentID string, until time.Time) error
	// RollbackTurnHeldUntil returns until when a rollback of the Deployment
	// holds its turn; the zero time if none does.
	RollbackTurnHeldUntil(ctx context.Context, deploymentID string) (time.Time, error)
	// ReleaseRollbackTurn removes the Deployment's record, if any.
	ReleaseRollbackTurn(ctx context.Context, deploymentID string) error
}
