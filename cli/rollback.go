package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// rollbackOptions are the flags of `rollback`.
type rollbackOptions struct {
	deployment       string
	description      string
	dryRun           bool
	confirmDowngrade bool
	yes              bool
	wait             time.Duration
}

func newRollbackCmd(f *factory) *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback [DEPLOY] --description TEXT",
		Short: "Roll a Deployment back to an earlier deploy",
		Long: `Roll a Deployment back to an earlier deploy.

A rollback is a new deploy that restores the code of DEPLOY: image, DAGs,
runtime version and DAG-deploy setting. Environment variables and other
settings are not rolled back.

DEPLOY is a deploy id, #N (sequence number N in the history), #-N (the Nth
deploy before the current one) or "previous". Without DEPLOY the rollback
goes to "previous": the newest earlier deploy that can be rolled back to and
whose code differs from the current code. The plan names it before anything
changes.

The plan is always shown first. A rollback that lowers the runtime version
fails running tasks at once and erases the metadata of features the older
runtime lacks: it needs --confirm-downgrade.

While a deploy is in progress, the rollback waits its turn (--wait, 2
minutes) and goes ahead of deploys that arrive after it. A rollback you
confirm when asked is the plan shown: if the plan changed meanwhile
(another deploy became current, the target is no longer eligible, other
tasks run), nothing is rolled back and the error says what changed. With
--yes, if another deploy became current after the plan was shown, the
rollback is planned again and proceeds when it has the same consequences
(it does not newly lower the runtime).`,
		Example: `  dagdeck rollback --deployment etl-prod --description "the 14:05 deploy broke the report"
  dagdeck rollback '#-2' --deployment etl-prod --dry-run
  dagdeck rollback '#3' --deployment etl-prod --dry-run
  dagdeck rollback 01hx3k… --description "weather DAG broke prod"
  dagdeck rollback '#3' -d etl-prod --description "back to 1.1" --confirm-downgrade --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			ref := "previous"
			if len(args) == 1 {
				ref = args[0]
			}
			return f.runRollback(cmd.Context(), o, ref)
		},
	}
	f.optionalDeploymentFlag(cmd, &o.deployment)
	fl := cmd.Flags()
	fl.StringVar(&o.description, "description", "", "why you roll back (required; shown in the Deploy History)")
	fl.BoolVar(&o.dryRun, "dry-run", false, "only show what the rollback would change")
	fl.BoolVar(&o.confirmDowngrade, "confirm-downgrade", false, "allow lowering the runtime version, erasing newer features' metadata")
	fl.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation; if another deploy becomes current meanwhile, plan again and proceed unless the new plan lowers the runtime")
	fl.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for a deploy in progress to finish (deploys that arrive meanwhile wait for the rollback); 0 fails at once")
	return cmd
}

func (o *rollbackOptions) validate() error {
	if o.wait < 0 {
		return usagef("--wait must not be negative")
	}
	if !o.dryRun && strings.TrimSpace(o.description) == "" {
		return usagef("--description is required: say why you roll back (it is shown in the Deploy History)")
	}
	if err := dagdeck.ValidateDescription(o.description); err != nil {
		return usagef("--description: %s", dagdeck.ErrorMessage(err))
	}
	return nil
}

// runRollback shows the plan, checks the confirmations and rolls back.
func (f *factory) runRollback(ctx context.Context, o *rollbackOptions, ref string) error {
	target, err := f.resolveDeploy(ctx, &o.deployment, ref)
	if err != nil {
		return err
	}
	dry, err := f.client().Rollback(ctx, o.deployment, target.ID, dagdeck.RollbackRequest{Description: o.description, DryRun: true})
	if err != nil {
		return err
	}
	human := f.out
	if f.json() {
		human = f.errOut // keep stdout for the JSON result
	}
	if o.dryRun && f.json() {
		f.noteMovedTag(ctx, human, dry.Plan.TargetDeploy)
		return f.printJSON(dry)
	}
	printPlan(human, dry.Plan)
	f.noteMovedTag(ctx, human, dry.Plan.TargetDeploy)
	if o.dryRun {
		return nil
	}
	if err := f.confirmRollback(o, dry.Plan); err != nil {
		return err
	}
	req := dagdeck.RollbackRequest{
		Description:      o.description,
		ConfirmDowngrade: o.confirmDowngrade,
		// Refused if another deploy became current since the plan shown,
		// unless --yes lets it be planned again with the same consequences.
		ExpectedCurrentDeployID: dry.Plan.CurrentDeploy.ID,
		Replan:                  o.yes,
	}
	if !o.yes {
		// The user confirmed this very plan: refused, committing nothing,
		// if the plan says anything else now. (A server without planIds
		// sends none, and the current deploy is checked as before.)
		req.PlanID = dry.Plan.PlanID
	}
	res, err := f.rollbackInTurn(ctx, o, target.ID, req)
	if err != nil {
		return err
	}
	if res.Plan.CurrentDeploy.ID != dry.Plan.CurrentDeploy.ID {
		fmt.Fprintf(f.errOut, "%s became current after the plan was shown; the rollback was planned again from it, with the same consequences.\n", res.Plan.CurrentDeploy)
	}
	if f.json() {
		if err := f.printJSON(res); err != nil {
			return err
		}
	} else {
		printRolledBack(f.out, res.Plan, res.Deploy)
	}
	return checkActivation(f.errOut, res.Deploy)
}

// tagCheckTimeout bounds the registry lookup that a rollback plan makes.
const tagCheckTimeout = 10 * time.Second

// noteMovedTag tells whether the tag of the target's external image points
// elsewhere now: the rollback restores the pinned digest, not the tag. A
// registry that cannot answer is reported, and the plan goes on.
func (f *factory) noteMovedTag(ctx context.Context, out io.Writer, target *dagdeck.Deploy) {
	if target == nil || target.PinnedImage() == "" || strings.HasPrefix(target.ImageTag, "sha256:") {
		return
	}
	ref := target.ImageRepository + ":" + target.ImageTag
	ctx, cancel := context.WithTimeout(ctx, tagCheckTimeout)
	defer cancel()
	now, err := f.resolveImage(ctx, ref)
	switch {
	case err != nil:
		fmt.Fprintf(out, "\nCould not check whether %s still points to %s: %v\n", ref, target.ImageRegistryDigest, err)
	case now.Digest != target.ImageRegistryDigest:
		fmt.Fprintf(out, "\nThe tag %s now points elsewhere (%s); the rollback restores the pinned %s, not the tag.\n", ref, now.Digest, target.PinnedImage())
	default:
		fmt.Fprintf(out, "\nThe tag %s still points to the pinned %s.\n", ref, target.ImageRegistryDigest)
	}
}

// confirmRollback requires --confirm-downgrade for a downgrade, then a yes
// from the user unless --yes.
func (f *factory) confirmRollback(o *rollbackOptions, plan *dagdeck.RollbackPlan) error {
	if (plan.RequiresConfirmation || plan.Runtime.Change == dagdeck.RuntimeDowngrade) && !o.confirmDowngrade {
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "this rollback downgrades the runtime from %s to %s, failing running tasks and erasing %s; pass --confirm-downgrade to proceed",
			plan.Runtime.From, plan.Runtime.To, erasedSummary(plan.Erased))
	}
	if o.yes {
		return nil
	}
	if !f.stdinTTY() {
		return errors.New("cannot ask for confirmation: stdin is not a terminal; pass --yes to roll back")
	}
	ok, err := f.confirm(fmt.Sprintf("Roll back %s to deploy #%d?", plan.DeploymentName, plan.TargetDeploy.Sequence))
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("rollback cancelled; nothing changed")
	}
	return nil
}

// erasedSummary renders what a downgrade erases: "4 task notes and 2 XCom values".
func erasedSummary(erased []dagdeck.ErasedFeature) string {
	var parts []string
	for _, e := range erased {
		parts = append(parts, fmt.Sprintf("%d %s", e.Rows, e.Feature.Metadata))
	}
	if len(parts) == 0 {
		return "no metadata"
	}
	return strings.Join(parts, " and ")
}

// printRolledBack reports the new rollback deploy.
func printRolledBack(out io.Writer, plan *dagdeck.RollbackPlan, d *dagdeck.Deploy) {
	fmt.Fprintf(out, "Rolled back %s to deploy #%d: new deploy #%d (%s).\n", plan.DeploymentName, plan.TargetDeploy.Sequence, d.Sequence, d.ID)
	w := newTable(out)
	field(w, "  Image tag", imageRef(d))
	if pinned := d.PinnedImage(); pinned != "" {
		field(w, "  Image pinned", pinned)
	}
	field(w, "  DAG bundle", d.DagBundleVersion)
	field(w, "  Runtime", d.RuntimeVersion)
	field(w, "  Description", d.Description)
	w.Flush()
}
