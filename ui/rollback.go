package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// planView is the rollback confirmation: the plan of a dry run, and the
// form that confirms it.
type planView struct {
	Plan *dagdeck.RollbackPlan
	// Error says why the plan could not be made or the rollback failed.
	Error       string
	Description string
	ConfirmName string
	// InDialog is set when the plan is shown in the dialog of another page.
	InDialog bool
	// BackURL is where Cancel leads without JavaScript.
	BackURL string
}

// rollbackDone is the JSON answer to a rollback the UI's JavaScript sent.
type rollbackDone struct {
	Deploy  *dagdeck.Deploy `json:"deploy"`
	Message string          `json:"message"`
	URL     string          `json:"url"`
}

// uiRollbackWaitSeconds is how long a rollback confirmed in the web UI
// waits for a deploy in progress to finish.
const uiRollbackWaitSeconds = 20

// handleRollbackPlan shows what rolling back to a deploy would do: in the
// dialog (for the UI's JavaScript) or as a page of its own.
func (u *UI) handleRollbackPlan(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &planView{InDialog: isFetch(r), BackURL: "/deployments/" + url.PathEscape(r.PathValue("name"))}
	res, err := u.svc.Rollbacks.Rollback(r.Context(), r.PathValue("name"), r.PathValue("deployId"), dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		if !isFetch(r) || dagdeck.ErrorCode(err) == dagdeck.EUNAUTHORIZED {
			u.serviceError(w, r, v, err)
			return
		}
		view.Error = dagdeck.ErrorMessage(err)
		u.renderPlan(w, r, v, dagdeck.HTTPStatus(dagdeck.ErrorCode(err)), view)
		return
	}
	view.Plan = res.Plan
	u.renderPlan(w, r, v, http.StatusOK, view)
}

func (u *UI) renderPlan(w http.ResponseWriter, r *http.Request, v *visit, status int, view *planView) {
	title := "Roll back"
	if view.Plan != nil {
		title = "Roll back " + view.Plan.DeploymentName + " to " + view.Plan.TargetDeploy.String()
	}
	p := u.newPage(v, title, "deployments", view)
	if view.InDialog {
		u.renderFragment(w, r, status, "rollback", "plan", p)
		return
	}
	u.render(w, r, status, "rollback", p)
}

// handleRollback rolls back once the visitor confirmed the plan they saw:
// they typed the Deployment's name, and the form carries the plan's id,
// which the service checks against the plan it makes as it commits. The
// service also checks the role, the description and the downgrade
// confirmation.
func (u *UI) handleRollback(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &planView{
		InDialog:    isFetch(r),
		BackURL:     "/deployments/" + url.PathEscape(r.PathValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
		ConfirmName: strings.TrimSpace(r.PostFormValue("confirm_name")),
	}
	if _, err := dagdeck.Authorize(r.Context(), dagdeck.RoleDeployer); err != nil {
		u.rollbackFailed(w, r, v, view, err)
		return
	}
	planID := r.PostFormValue("plan_id")
	if err := u.checkConfirmation(r, view.ConfirmName, planID); err != nil {
		u.rollbackFailed(w, r, v, view, err)
		return
	}
	res, err := u.svc.Rollbacks.Rollback(r.Context(), r.PathValue("name"), r.PathValue("deployId"), dagdeck.RollbackRequest{
		Description:      view.Description,
		ConfirmDowngrade: r.PostFormValue("confirm_downgrade") != "",
		// Refused, committing nothing, if the plan is no longer the one
		// the visitor confirmed.
		PlanID: planID,
		// Behind a deploy in progress the rollback waits its turn, going
		// ahead of deploys that arrive meanwhile.
		WaitSeconds: uiRollbackWaitSeconds,
	})
	if err != nil {
		u.rollbackFailed(w, r, v, view, err)
		return
	}
	d, plan := res.Deploy, res.Plan
	u.logger.Info("web UI rollback", "actor", v.actor().Name, "deployment", plan.DeploymentName, "deploy", d.ID, "restored", d.RollbackFromID)
	back := "/deployments/" + url.PathEscape(plan.DeploymentName)
	if isFetch(r) {
		writeJSON(w, http.StatusCreated, rollbackDone{Deploy: d, Message: rolledBackMessage(d, plan.TargetDeploy), URL: back + "#deploy-" + d.ID})
		return
	}
	http.Redirect(w, r, back+"?rolledback="+url.QueryEscape(d.ID)+"#deploy-"+d.ID, http.StatusSeeOther)
}

// checkConfirmation returns EINVALID unless typed is the Deployment's name
// and the form says which plan it confirms.
func (u *UI) checkConfirmation(r *http.Request, typed, planID string) error {
	dep, err := u.svc.Deployments.FindDeployment(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if typed != dep.Name {
		return dagdeck.Errorf(dagdeck.EINVALID, "Type the Deployment's name, %s, to confirm the rollback.", dep.Name)
	}
	if planID == "" {
		return dagdeck.Errorf(dagdeck.EINVALID, "The form does not say which plan you confirm; reload the page and review the plan.")
	}
	return nil
}

// rollbackFailed answers a refused or failed rollback: a JSON error to the
// UI's JavaScript (which loads the plan again on a conflict), or without
// JavaScript the plan as it is now, with the error and what the visitor
// typed.
func (u *UI) rollbackFailed(w http.ResponseWriter, r *http.Request, v *visit, view *planView, err error) {
	code := dagdeck.ErrorCode(err)
	if code == dagdeck.EINTERNAL {
		u.logger.Error("web UI rollback", "path", r.URL.Path, "err", err)
	}
	status := dagdeck.HTTPStatus(code)
	if isFetch(r) {
		writeJSONError(w, status, code, dagdeck.ErrorMessage(err))
		return
	}
	if code != dagdeck.EFORBIDDEN && code != dagdeck.EUNAUTHORIZED {
		dry, derr := u.svc.Rollbacks.Rollback(r.Context(), r.PathValue("name"), r.PathValue("deployId"), dagdeck.RollbackRequest{DryRun: true})
		if derr == nil {
			view.Plan = dry.Plan
		}
	}
	if view.Plan == nil {
		u.serviceError(w, r, v, err)
		return
	}
	view.Error = dagdeck.ErrorMessage(err)
	u.renderPlan(w, r, v, status, view)
}
