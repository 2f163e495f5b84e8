package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// ReplaceDags implements dagdeck.RuntimeTx. The rows take deploymentID,
// whatever the DeploymentID fields of dags and errs say.
//
// A new deploy or a rollback usually changes few of a Deployment's DAGs
// but all of their deploy ids: it writes only the DAGs that are new,
// changed or gone, and the deploy id of the rest in one statement, so its
// cost follows what changed rather than the number of DAGs.
func (tx *Tx) ReplaceDags(ctx context.Context, deploymentID string, dags []*dagdeck.Dag, errs []*dagdeck.ImportError) error {
	old, err := tx.ListDags(ctx, deploymentID)
	if err != nil {
		return fmt.Errorf("replace dags: %w", err)
	}
	had := make(map[string]*dagdeck.Dag, len(old))
	for _, d := range old {
		had[d.DagID] = d
	}
	keep := make(map[string]bool, len(dags))
	deployID, oneDeploy := "", true
	for i, d := range dags {
		if keep[d.DagID] {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "DAG %q is given twice", d.DagID)
		}
		keep[d.DagID] = true
		if i == 0 {
			deployID = d.DeployID
		}
		oneDeploy = oneDeploy && d.DeployID == deployID
	}
	for _, d := range old {
		if !keep[d.DagID] {
			if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteDag, deploymentID, d.DagID); err != nil {
				return fmt.Errorf("replace dags: %w", err)
			}
		}
	}
	for _, d := range dags {
		prev := had[d.DagID]
		var err error
		switch {
		case prev == nil:
			_, err = tx.tx.ExecContext(ctx, tx.q.InsertDag,
				deploymentID, d.DagID, d.File, d.Schedule, d.Description, encStrings(d.Tags), d.DeployID, tx.nullTime(d.NextRunAt))
		case !sameDag(prev, d) || (!oneDeploy && prev.DeployID != d.DeployID):
			_, err = tx.tx.ExecContext(ctx, tx.q.UpdateDag,
				d.File, d.Schedule, d.Description, encStrings(d.Tags), d.DeployID, tx.nullTime(d.NextRunAt), deploymentID, d.DagID)
		}
		if err != nil {
			return tx.interpretError(err, "DAG %q", d.DagID)
		}
	}
	if oneDeploy && len(dags) > 0 {
		if _, err := tx.tx.ExecContext(ctx, tx.q.SetDagsDeploy, deployID, deploymentID, deployID); err != nil {
			return fmt.Errorf("replace dags: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, tx.q.DeleteImportErrors, deploymentID); err != nil {
		return fmt.Errorf("replace dags: %w", err)
	}
	for i, e := range errs {
		_, err := tx.tx.ExecContext(ctx, tx.q.InsertImportError, deploymentID, i, e.File, e.Message, e.DeployID)
		if err != nil {
			return tx.interpretError(err, "import error of %q", e.File)
		}
	}
	return nil
}

// sameDag reports whether a and b, rows of one DAG, differ at most in
// their deploy ids.
func sameDag(a, b *dagdeck.Dag) bool {
	sameNext := a.NextRunAt == nil && b.NextRunAt == nil ||
		a.NextRunAt != nil && b.NextRunAt != nil && a.NextRunAt.Equal(*b.NextRunAt)
	return sameNext && a.File == b.File && a.Schedule == b.Schedule && a.Description == b.Description &&
		encStrings(a.Tags) == encStrings(b.Tags)
}

// ListDags implements dagdeck.RuntimeTx.
func (tx *Tx) ListDags(ctx context.Context, deploymentID string) ([]*dagdeck.Dag, error) {
	out, err := queryAll(ctx, tx.tx, func(s scanner) (*dagdeck.Dag, error) {
		var d dagdeck.Dag
		err := s.Scan(&d.DeploymentID, &d.DagID, &d.File, &d.Schedule, &d.Description, stringsCol{&d.Tags},
			&d.DeployID, nullTimeCol{&d.NextRunAt})
		return &d, err
	}, tx.q.ListDags, deploymentID)
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
	}, tx.q.ListImportErrors, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	return out, nil
}

// DagRunColumns are the columns of dag_runs that a DagRun has.
const DagRunColumns = `id, deployment_id, dag_id, run_id, logical_date, run_type, state,
	created_at, started_at, ended_at, conf`

func scanDagRun(s scanner) (*dagdeck.DagRun, error) {
	var r dagdeck.DagRun
	err := s.Scan(&r.ID, &r.DeploymentID, &r.DagID, &r.RunID, timeCol{&r.LogicalDate}, &r.RunType, &r.State,
		timeCol{&r.CreatedAt}, nullTimeCol{&r.StartedAt}, nullTimeCol{&r.EndedAt}, &r.Conf)
	return &r, err
}

// CreateDagRun implements dagdeck.RuntimeTx.
func (tx *Tx) CreateDagRun(ctx context.Context, r *dagdeck.DagRun) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertDagRun,
		r.ID, r.DeploymentID, r.DagID, r.RunID, tx.time(r.LogicalDate), r.RunType, r.State,
		tx.time(r.CreatedAt), tx.nullTime(r.StartedAt), tx.nullTime(r.EndedAt), r.Conf)
	return tx.interpretError(err, "DAG run %q of %q", r.RunID, r.DagID)
}

// FindDagRun implements dagdeck.RuntimeTx.
func (tx *Tx) FindDagRun(ctx context.Context, id string) (*dagdeck.DagRun, error) {
	r, err := scanDagRun(tx.tx.QueryRowContext(ctx, tx.q.FindDagRun, id))
	if err != nil {
		return nil, tx.interpretError(err, "DAG run %q", id)
	}
	return r, nil
}

// UpdateDagRun implements dagdeck.RuntimeTx: it writes State, StartedAt and EndedAt.
func (tx *Tx) UpdateDagRun(ctx context.Context, r *dagdeck.DagRun) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateDagRun, r.State, tx.nullTime(r.StartedAt), tx.nullTime(r.EndedAt), r.ID)
	return tx.mustAffect(res, err, "DAG run %q", r.ID)
}

// dagRunOrder is the order of ListDagRuns and LatestDagRun: latest logical date first.
const dagRunOrder = ` ORDER BY logical_date DESC, created_at DESC, id DESC`

// ListDagRuns implements dagdeck.RuntimeTx.
func (tx *Tx) ListDagRuns(ctx context.Context, f dagdeck.RunFilter) ([]*dagdeck.DagRun, error) {
	w := tx.d.where()
	for _, c := range []struct{ col, val string }{
		{"deployment_id", f.DeploymentID}, {"dag_id", f.DagID}, {"state", f.State},
	} {
		if c.val != "" {
			w.add(c.col+" = %s", c.val)
		}
	}
	q := `SELECT ` + DagRunColumns + ` FROM dag_runs` + w.clause() + dagRunOrder
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
	w := tx.d.where()
	w.add("deployment_id = %s", deploymentID)
	w.add("dag_id = %s", dagID)
	if runType != "" {
		w.add("run_type = %s", runType)
	}
	q := `SELECT ` + DagRunColumns + ` FROM dag_runs` + w.clause() + dagRunOrder + ` LIMIT 1`
	r, err := scanDagRun(tx.tx.QueryRowContext(ctx, q, w.args...))
	if err != nil {
		return nil, tx.interpretError(err, "latest run of DAG %q", dagID)
	}
	return r, nil
}
