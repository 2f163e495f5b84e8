package ui

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
)

// deploymentsView is the Deployments page.
type deploymentsView struct {
	Rows []deploymentRow
}

// deploymentRow is a Deployment with the deploy it runs now (nil before
// the first) and, when the newest deploy is another one — failed or still
// uploading — that last attempt.
type deploymentRow struct {
	*dagdeck.Deployment
	Running     *dagdeck.Deploy
	LastAttempt *dagdeck.Deploy
}

func (u *UI) handleDeployments(w http.ResponseWriter, r *http.Request, v *visit) {
	ds, err := u.svc.Deployments.ListDeployments(r.Context())
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view := &deploymentsView{Rows: make([]deploymentRow, len(ds))}
	for i, d := range ds {
		if view.Rows[i], err = u.deploymentRow(r.Context(), d); err != nil {
			u.serviceError(w, r, v, err)
			return
		}
	}
	u.render(w, r, http.StatusOK, "deployments", u.newPage(v, "Deployments", "deployments", view))
}

// deploymentRow reads what a Deployment runs and its last attempt.
func (u *UI) deploymentRow(ctx context.Context, d *dagdeck.Deployment) (deploymentRow, error) {
	row := deploymentRow{Deployment: d}
	page, err := u.svc.History.ListDeploys(ctx, d.ID, "", 1)
	if err != nil || len(page.Deploys) == 0 {
		return row, err
	}
	newest := page.Deploys[0]
	if newest.ID == d.CurrentDeployID {
		row.Running = newest
		return row, nil
	}
	row.LastAttempt = newest
	if d.CurrentDeployID != "" {
		row.Running, err = u.svc.History.FindDeploy(ctx, d.ID, d.CurrentDeployID)
	}
	return row, err
}

// deploymentView is a Deployment's page: what it runs now, its Deploy
// History and, once the runtime reports them, its DAGs, runs and tasks.
type deploymentView struct {
	Deployment *dagdeck.Deployment
	Current    *dagdeck.Deploy
	History    *historyView
	Flash      string
	Runtime    *runtimeView
	// GitURL is where git clients (Airflow's GitDagBundle, git-sync) read
	// the Deployment's code.
	GitURL string
}

// historyView is one page of the Deploy History table.
type historyView struct {
	Rows       []historyRow
	Cursor     string // of this page; "" on the newest page
	NextCursor string // of the next, older page; "" on the last
	Retention  time.Duration
}

// historyRow is a row of the Deploy History.
type historyRow struct {
	*dagdeck.Deploy
	Current bool
	// Restored is, for a rollback deploy, the deploy it restored.
	Restored *dagdeck.Deploy
	// Downgrade: rolling back to this deploy would lower the runtime.
	Downgrade bool
	// CompareFrom and CompareTo preselect the row in the compare form.
	CompareFrom, CompareTo bool
}

func (u *UI) handleDeployment(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := u.deploymentView(r.Context(), r.PathValue("name"), r.URL.Query().Get("cursor"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view.GitURL = dagdeck.GitURL(dagdeck.RequestFromContext(r.Context()).BaseURL, view.Deployment.Name)
	if id := r.URL.Query().Get("rolledback"); id != "" {
		if d, err := u.svc.History.FindDeploy(r.Context(), view.Deployment.ID, id); err == nil && d.RollbackFromID != "" {
			view.Flash = rolledBackMessage(d, u.restoredOf(r.Context(), d))
		}
	}
	u.render(w, r, http.StatusOK, "deployment", u.newPage(v, view.Deployment.Name, "deployments", view))
}

// handleHistory serves the live part of a Deployment's page (what it runs,
// the Deploy History and what the runtime reports) for the UI's JavaScript
// to refresh in place.
func (u *UI) handleHistory(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := u.deploymentView(r.Context(), r.PathValue("name"), r.URL.Query().Get("cursor"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	u.renderFragment(w, r, http.StatusOK, "deployment", "live", u.newPage(v, view.Deployment.Name, "deployments", view))
}

func (u *UI) deploymentView(ctx context.Context, name, cursor string) (*deploymentView, error) {
	dep, err := u.svc.Deployments.FindDeployment(ctx, name)
	if err != nil {
		return nil, err
	}
	page, err := u.svc.History.ListDeploys(ctx, dep.ID, cursor, pageSize)
	if err != nil {
		return nil, err
	}
	view := &deploymentView{Deployment: dep, History: &historyView{Cursor: cursor, NextCursor: page.NextCursor, Retention: u.svc.Retention.Retention()}}
	byID := make(map[string]*dagdeck.Deploy, len(page.Deploys))
	for _, d := range page.Deploys {
		byID[d.ID] = d
	}
	for _, d := range page.Deploys {
		row := historyRow{Deploy: d, Current: d.ID == dep.CurrentDeployID,
			Downgrade: d.Rollback.Eligible && dagdeck.ClassifyRuntimeChange(dep.RuntimeVersion, d.RuntimeVersion) == dagdeck.RuntimeDowngrade}
		if d.RollbackFromID != "" {
			if row.Restored = byID[d.RollbackFromID]; row.Restored == nil {
				row.Restored = u.restoredOf(ctx, d)
			}
		}
		view.History.Rows = append(view.History.Rows, row)
	}
	preselectCompare(view.History.Rows)
	if view.Current = byID[dep.CurrentDeployID]; view.Current == nil && dep.CurrentDeployID != "" {
		if view.Current, err = u.svc.History.FindDeploy(ctx, dep.ID, dep.CurrentDeployID); err != nil {
			return nil, err
		}
	}
	if view.Runtime, err = u.runtimeView(ctx, dep); err != nil {
		// The Deploy History matters more than the runtime's view: show it anyway.
		u.logger.Error("read runtime data", "deployment", dep.ID, "err", err)
	}
	return view, nil
}

// restoredOf returns the deploy a rollback deploy restored, or nil.
func (u *UI) restoredOf(ctx context.Context, d *dagdeck.Deploy) *dagdeck.Deploy {
	if d.RollbackFromID == "" {
		return nil
	}
	restored, err := u.svc.History.FindDeploy(ctx, d.DeploymentID, d.RollbackFromID)
	if err != nil {
		u.logger.Warn("find restored deploy", "deploy", d.ID, "restored", d.RollbackFromID, "err", err)
		return nil
	}
	return restored
}

// rolledBackMessage announces a finished rollback.
func rolledBackMessage(d, restored *dagdeck.Deploy) string {
	if restored == nil {
		return fmt.Sprintf("Rolled back: deploy #%d is now current.", d.Sequence)
	}
	return fmt.Sprintf("Rolled back to #%d: deploy #%d is now current and runs its code (runtime %s).", restored.Sequence, d.Sequence, d.RuntimeVersion)
}

// preselectCompare checks, in the history's compare form, the current
// deploy (or the newest row) as "to" and the deployed deploy before it as
// "from": the last deploy's changes.
func preselectCompare(rows []historyRow) {
	to := 0
	for i, r := range rows {
		if r.Current {
			to = i
			break
		}
	}
	if to >= len(rows) {
		return
	}
	rows[to].CompareTo = true
	for i := to + 1; i < len(rows); i++ {
		if rows[i].Status == dagdeck.DeployDeployed && !rows[i].ArtifactsPruned {
			rows[i].CompareFrom = true
			return
		}
	}
}
