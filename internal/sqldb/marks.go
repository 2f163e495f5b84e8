package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

const markColumns = `deploy_id, kind, deployment_id, reason, by_id, by_kind, by_name, at, until_at`

func scanMark(s scanner) (*dagdeck.DeployMark, error) {
	var m dagdeck.DeployMark
	err := s.Scan(&m.DeployID, &m.Kind, &m.DeploymentID, &m.Reason, &m.By.ID, &m.By.Kind, &m.By.Name, timeCol{&m.At}, nullTimeCol{&m.Until})
	return &m, err
}

// PutMark implements dagdeck.MarkTx.
func (tx *Tx) PutMark(ctx context.Context, m *dagdeck.DeployMark) error {
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteMark, m.DeployID, m.Kind); err != nil {
		return fmt.Errorf("replace %s of deploy %s: %w", m.Kind, m.DeployID, err)
	}
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertMark,
		m.DeployID, m.Kind, m.DeploymentID, m.Reason, m.By.ID, m.By.Kind, m.By.Name, tx.time(m.At), tx.nullTime(m.Until))
	return tx.interpretError(err, "%s of deploy %s", m.Kind, m.DeployID)
}

// DeleteMark implements dagdeck.MarkTx.
func (tx *Tx) DeleteMark(ctx context.Context, deployID, kind string) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.DeleteMark, deployID, kind)
	return tx.mustAffect(res, err, "%s of deploy %s", kind, deployID)
}

// ListMarks implements dagdeck.MarkTx.
func (tx *Tx) ListMarks(ctx context.Context, deploymentID string) ([]*dagdeck.DeployMark, error) {
	w := tx.d.where()
	if deploymentID != "" {
		w.add("deployment_id = %s", deploymentID)
	}
	q := `SELECT ` + markColumns + ` FROM deploy_marks` + w.clause() + ` ORDER BY at, deploy_id`
	out, err := queryAll(ctx, tx.tx, scanMark, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list deploy marks: %w", err)
	}
	return out, nil
}
