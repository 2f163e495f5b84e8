package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// PutActivation implements dagdeck.ActivationTx.
func (tx *Tx) PutActivation(ctx context.Context, deploymentID string, a *dagdeck.Activation) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteActivation, deploymentID); err != nil {
		return fmt.Errorf("replace activation: %w", err)
	}
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertActivation,
		deploymentID, a.DeployID, a.State, a.Error, tx.time(a.At))
	return tx.interpretError(err, "activation of Deployment %s", deploymentID)
}

// FindActivation implements dagdeck.ActivationTx.
func (tx *Tx) FindActivation(ctx context.Context, deploymentID string) (*dagdeck.Activation, error) {
	var a dagdeck.Activation
	err := tx.tx.QueryRowContext(ctx, tx.q.FindActivation, deploymentID).
		Scan(&a.DeployID, &a.State, &a.Error, timeCol{&a.At})
	if err != nil {
		return nil, tx.interpretError(err, "activation of Deployment %s", deploymentID)
	}
	return &a, nil
}
