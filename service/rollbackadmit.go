package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// admittedPlan plans rolling dep back to the deploy deployID names, in tx,
// and checks the plan against the request (admit). It returns the judge
// the plan used.
func (s *Service) admittedPlan(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, deployID string, req dagdeck.RollbackRequest) (*dagdeck.RollbackPlan, *judge, error) {
	plan, j, err := s.planRollback(ctx, tx, dep, deployID)
	if err != nil {
		return nil, nil, confirmedTargetGone(req, err)
	}
	if err := admit(ctx, tx, plan, req); err != nil {
		return nil, nil, err
	}
	return plan, j, nil
}

// admit decides whether a plan may go ahead as the request asks: the plan
// is still the one the user confirmed (req.PlanID), it changes something,
// and for a real rollback, the current deploy is the one the user saw
// (req.ExpectedCurrentDeployID, or a re-plan of the same class) and a
// downgrade is confirmed.
func admit(ctx context.Context, tx dagdeck.Tx, plan *dagdeck.RollbackPlan, req dagdeck.RollbackRequest) error {
	if req.PlanID != "" {
		changed, err := plan.ChangedSince(req.PlanID)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			return planChanged(plan, changed)
		}
	}
	if plan.ChangesNothing() {
		return nothingToRollBack(plan)
	}
	if req.DryRun {
		return nil
	}
	if req.ExpectedCurrentDeployID != "" && req.ExpectedCurrentDeployID != plan.CurrentDeploy.ID {
		if !req.Replan {
			return staleRollbackPlan(plan.CurrentDeploy)
		}
		if err := requireSameClass(ctx, tx, plan, req); err != nil {
			return err
		}
	}
	if plan.RequiresConfirmation && !req.ConfirmDowngrade {
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "rolling back to %s lowers the runtime from %s to %s: running tasks fail now and %s; confirm the downgrade (--confirm-downgrade) to proceed", plan.TargetDeploy, plan.Runtime.From, plan.Runtime.To, describeErased(plan.Erased))
	}
	return nil
}

// confirmedTargetGone turns planRollback's refusal of an ineligible target
// into a conflict when the request confirms a plan (req.PlanID): the
// target was eligible when that plan was made.
func confirmedTargetGone(req dagdeck.RollbackRequest, err error) error {
	if req.PlanID == "" || dagdeck.ErrorCode(err) != dagdeck.EUNPROCESSABLE {
		return err
	}
	return dagdeck.Errorf(dagdeck.ECONFLICT, "the rollback plan changed since it was made: %s; nothing was rolled back", dagdeck.ErrorMessage(err))
}

// planChanged refuses a rollback whose plan is no longer the one the user
// confirmed, saying what changed.
func planChanged(plan *dagdeck.RollbackPlan, parts []dagdeck.PlanPart) error {
	what := make([]string, len(parts))
	for i, part := range parts {
		what[i] = describePlanPart(plan, part)
	}
	return dagdeck.Errorf(dagdeck.ECONFLICT, "the rollback plan changed since it was made: %s; nothing was rolled back: review the new plan and confirm again", strings.Join(what, "; "))
}

// describePlanPart says what a plan says now in one part.
func describePlanPart(plan *dagdeck.RollbackPlan, part dagdeck.PlanPart) string {
	switch part {
	case dagdeck.PlanCurrentDeploy:
		return fmt.Sprintf("%s became current", plan.CurrentDeploy)
	case dagdeck.PlanTargetDeploy:
		return fmt.Sprintf("the rollback now goes to %s", plan.TargetDeploy)
	case dagdeck.PlanImage:
		return fmt.Sprintf("the image now goes from %s to %s", plan.Image.From, plan.Image.To)
	case dagdeck.PlanDagBundle:
		b := plan.DagBundle
		return fmt.Sprintf("the DAG files now change: %d added, %d removed, %d changed", len(b.Added), len(b.Removed), len(b.Changed))
	case dagdeck.PlanRuntime:
		return fmt.Sprintf("the runtime now goes from %s to %s (%s)", plan.Runtime.From, plan.Runtime.To, plan.Runtime.Change)
	case dagdeck.PlanDagDeploy:
		return fmt.Sprintf("DAG deploys now go from %s to %s", onOff(plan.DagDeploy.From), onOff(plan.DagDeploy.To))
	case dagdeck.PlanNotRolledBack:
		return "settings or environment variables changed"
	case dagdeck.PlanRunningTasks:
		return fmt.Sprintf("other tasks run now (%d), which the downgrade stops", len(plan.RunningTasks))
	case dagdeck.PlanErased:
		return describeErased(plan.Erased)
	}
	return string(part) + " changed"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func staleRollbackPlan(current *dagdeck.Deploy) error {
	return dagdeck.Errorf(dagdeck.ECONFLICT, "%s became current since this plan was made; review the new plan, then confirm again", current)
}
