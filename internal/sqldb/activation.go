package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// PutActivation implements dagdeck.ActivationTx.
func (tx *Tx) PutActivation(ctx context.Context, deploymentID string, a *dagdeck.Activation) error {
	if _, err := tx.tx.ExecContext(ctx, tx.d.Rebind(`DELETE FROM runtime_activations WHERE deployment_id = ?`), deploymentID); err != nil {
		return fmt.Errorf("replace activation: %w", err)
	}
	_, err := tx.tx.ExecContext(ctx, tx.d.Rebind(`INSERT INTO runtime_activations (deployment_id, deploy_id, state, error, at) VALUES (?, ?, ?, ?, ?)`),
		deploymentID, a.DeployID, a.State, a.Error, tx.time(a.At))
	return tx.interpretError(err, "activation of Deployment %s", deploymentID)
}

// FindActivation implements dagdeck.ActivationTx.
func (tx *Tx) FindActivation(ctx context.Context, deploymentID string) (*dagdeck.Activation, error) {
	var a dagdeck.Activation
	err := tx.tx.QueryRowContext(ctx, tx.d.Rebind(`SELECT deploy_id, state, error, at FROM runtime_activations WHERE deployment_id = ?`), deploymentID).
		Scan(&a.DeployID, &a.State, &a.Error, timeCol{&a.At})
	if err != nil {
		return nil, tx.interpretError(err, "activation of Deployment %s", deploymentID)
	}
	return &a, nil
}
