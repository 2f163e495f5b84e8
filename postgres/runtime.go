package postgres

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// ReplaceDags implements dagdeck.RuntimeTx. The rows take deploymentID,
// whatever the DeploymentID fields of dags and errs say.
func (tx *Tx) ReplaceDags(ctx context.Context, deploymentID string, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	for _, table := range []string{"dags", "import_errors"} {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE deployment_id = $1`, deploymentID); err != nil {
			return fmt.Errorf("replace dags: %w", err)
		}
	}
	for _, d := range dags {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO dags
			(deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			deploymentID, d.DagID, d.File, d.Schedule, d.Description, encStrings(d.Tags), d.DeployID, encNullTime(d.NextRunAt))
		if err != nil {
			return interpretError(err, "DAG %q", d.DagID)
		}
	}
	for i, e := range errs {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO import_errors (deployment_id, position, file, message, deploy_id)
			VALUES ($1, $2, $3, $4, $5)`, deploymentID, i, e.File, e.Message, e.DeployID)
		if err != nil {
			return interpretError(err, "import error of %q", e.File)
		}
	}
	return nil
}

// ListDags implements dagdeck.RuntimeTx.
func (tx *Tx) ListDags(ctx context.Context, deploymentID string) ([]*dagdeck.Dag, error) {
	out, err := queryAll(ctx, tx.tx, func(s scanner) (*dagdeck.Dag, error) {
		var d dagdeck.Dag
		err := s.Scan(&d.DeploymentID, &d.DagID, &d.File, &d.Schedule, &d.Description, stringsCol{&d.Tags},
			&d.DeployID, nullTimeCol{&d.NextRunAt})
		return &d, err
	}, `SELECT deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at
		FROM dags WHERE deployment_id = $1 ORDER BY dag_id`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list dags: %w", err)
	}
	return out, nil
}

// ListImportErrors implements dagdeck.RuntimeTx. Errors of one file keep
// the order they were given in.
func (tx *Tx) ListImportErrors(ctx context.Context, deploymentID string) ([]*dagdeck.ImportError, error) {
	out, err := queryAll(ctx, tx.tx, func(s scanner) (*dagdeck.ImportError, error) {
		var e dagdeck.ImportError
		err := s.Scan(&e.DeploymentID, &e.File, &e.Message, &e.DeployID)
		return &e, err
	}, `SELECT deployment_id, file, message, deploy_id
		FROM import_errors WHERE deployment_id = $1 ORDER BY file, position`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	return out, nil
}

const dagRunColumns = `id, deployment_id, dag_id, run_id, logical_date, run_type, state,
	created_at, started_at, ended_at, conf`

func scanDagRun(s scanner) (*dagdeck.DagRun, error) {
	var r dagdeck.DagRun
	err := s.Scan(&r.ID, &r.DeploymentID, &r.DagID, &r.RunID, timeCol{&r.LogicalDate}, &r.RunType, &r.State,
		timeCol{&r.CreatedAt}, nullTimeCol{&r.StartedAt}, nullTimeCol{&r.EndedAt}, &r.Conf)
	return &r, err
}

// CreateDagRun implements dagdeck.RuntimeTx.
func (tx *Tx) CreateDagRun(ctx context.Context, r *dagdeck.DagRun) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO dag_runs (`+dagRunColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.DeploymentID, r.DagID, r.RunID, encTime(r.LogicalDate), r.RunType, r.State,
		encTime(r.CreatedAt), encNullTime(r.StartedAt), encNullTime(r.EndedAt), r.Conf)
	return interpretError(err, "DAG run %q of %q", r.RunID, r.DagID)
}

// FindDagRun implements dagdeck.RuntimeTx.
func (tx *Tx) FindDagRun(ctx context.Context, id string) (*dagdeck.DagRun, error) {
	r, err := scanDagRun(tx.tx.QueryRowContext(ctx, `SELECT `+dagRunColumns+` FROM dag_runs WHERE id = $1`, id))
	if err != nil {
		return nil, interpretError(err, "DAG run %q", id)
	}
	return r, nil
}

// UpdateDagRun implements dagdeck.RuntimeTx: it writes State, StartedAt and EndedAt.
func (tx *Tx) UpdateDagRun(ctx context.Context, r *dagdeck.DagRun) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE dag_runs SET state = $1, started_at = $2, ended_at = $3 WHERE id = $4`,
		r.State, encNullTime(r.StartedAt), encNullTime(r.EndedAt), r.ID)
	return mustAffect(res, err, "DAG run %q", r.ID)
}

// ListDagRuns implements dagdeck.RuntimeTx.
func (tx *Tx) ListDagRuns(ctx context.Context, f dagdeck.RunFilter) ([]*dagdeck.DagRun, error) {
	var w where
	for _, c := range []struct{ col, val string }{
		{"deployment_id", f.DeploymentID}, {"dag_id", f.DagID}, {"state", f.State},
	} {
		if c.val != "" {
			w.add(c.col+" = %s", c.val)
		}
	}
	q := `SELECT ` + dagRunColumns + ` FROM dag_runs`
	q += w.clause()
	q += ` ORDER BY logical_date DESC, created_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + w.arg(f.Limit)
	}
	out, err := queryAll(ctx, tx.tx, scanDagRun, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list DAG runs: %w", err)
	}
	return out, nil
}

// LatestDagRun implements dagdeck.RuntimeTx. A runType of "" matches any type.
func (tx *Tx) LatestDagRun(ctx context.Context, deploymentID, dagID string, runType string) (*dagdeck.DagRun, error) {
	var w where
	w.add("deployment_id = %s", deploymentID)
	w.add("dag_id = %s", dagID)
	if runType != "" {
		w.add("run_type = %s", runType)
	}
	q := `SELECT ` + dagRunColumns + ` FROM dag_runs` + w.clause() + ` ORDER BY logical_date DESC, created_at DESC, id DESC LIMIT 1`
	r, err := scanDagRun(tx.tx.QueryRowContext(ctx, q, w.args...))
	if err != nil {
		return nil, interpretError(err, "latest run of DAG %q", dagID)
	}
	return r, nil
}
