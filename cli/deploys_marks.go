package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// newDeploysPinCmd is `deploys pin`.
func newDeploysPinCmd(f *factory) *cobra.Command {
	var deployment, reason, until string
	cmd := &cobra.Command{
		Use:   "pin DEPLOY --reason TEXT [--until DATE]",
		Short: "Keep a deploy's artifacts, and its rollback eligibility, past the retention window",
		Long: `Pin a deploy: the garbage collector keeps its artifacts, and it can be
rolled back to, past the retention window until --until (a date or an RFC
3339 time; without it, until "dagdeck deploys unpin"). Pins are how a team
keeps "the last known-good release before the migration" for a year. The
history shows the pin, its reason, who pinned and until when.`,
		Example: `  dagdeck deploys pin '#12' -d etl-prod --reason "last good before the warehouse migration" --until 2027-12-01`,
		Args:    exactArgs(1, "one deploy"),
		RunE: func(cmd *cobra.Command, args []string) error {
			end, err := parseUntil(until)
			if err != nil {
				return err
			}
			target, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			d, err := f.client().PinDeploy(cmd.Context(), deployment, target.ID, reason, end)
			return f.printMarked(d, err, "Pinned")
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&reason, "reason", "", "why the deploy is kept (required)")
	cmd.Flags().StringVar(&until, "until", "", "when the pin ends: 2027-12-01 or an RFC 3339 time (default: never)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

// parseUntil reads --until: a date (midnight UTC) or an RFC 3339 time.
func parseUntil(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, usagef("--until %q: want a date (2027-12-01) or an RFC 3339 time", s)
}

// newDeploysUnmarkCmd is `deploys unpin` or `deploys release`.
func newDeploysUnmarkCmd(f *factory, use, short string, unmark func(f *factory, cmd *cobra.Command, deployment, id string) (*dagdeck.Deploy, error), done string) *cobra.Command {
	var deployment string
	cmd := &cobra.Command{
		Use:   use + " DEPLOY",
		Short: short,
		Args:  exactArgs(1, "one deploy"),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			d, err := unmark(f, cmd, deployment, target.ID)
			return f.printMarked(d, err, done)
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	return cmd
}

// newDeploysQuarantineCmd is `deploys quarantine`.
func newDeploysQuarantineCmd(f *factory) *cobra.Command {
	var deployment, reason string
	cmd := &cobra.Command{
		Use:   "quarantine DEPLOY --reason TEXT",
		Short: "Mark a deploy as bad: no rollback target, skipped by previous and automatic rollbacks",
		Long: `Quarantine a deploy: it cannot be rolled back to (QUARANTINED), "rollback
previous" and automatic rollbacks skip it, and it carries a badge in the
history and the web UI. The current deploy can be quarantined too: it keeps
running until you deploy or roll back. "dagdeck deploys release" ends it.`,
		Example: `  dagdeck deploys quarantine '#14' -d etl-prod --reason "corrupts the orders table"`,
		Args:    exactArgs(1, "one deploy"),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			d, err := f.client().QuarantineDeploy(cmd.Context(), deployment, target.ID, reason)
			return f.printMarked(d, err, "Quarantined")
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&reason, "reason", "", "why the deploy is bad (required)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

// printMarked prints a deploy after a pin or quarantine change.
func (f *factory) printMarked(d *dagdeck.Deploy, err error, done string) error {
	if err != nil {
		return err
	}
	if f.json() {
		return f.printJSON(d)
	}
	fmt.Fprintf(f.out, "%s deploy #%d (%s).\n", done, d.Sequence, d.ID)
	if p := d.Pin; p != nil {
		fmt.Fprintf(f.out, "Pinned by %s: %s%s\n", cell(p.By.Name), cell(p.Reason), untilText(p.Until))
	}
	if q := d.Quarantine; q != nil {
		fmt.Fprintf(f.out, "Quarantined by %s: %s\n", cell(q.By.Name), cell(q.Reason))
	}
	fmt.Fprintf(f.out, "Rollback target: %s\n", eligibilityText(d))
	return nil
}

func untilText(t *time.Time) string {
	if t == nil {
		return " (until unpinned)"
	}
	return " (until " + t.UTC().Format("2006-01-02 15:04 UTC") + ")"
}

func eligibilityText(d *dagdeck.Deploy) string {
	if d.Rollback.Eligible {
		return "yes"
	}
	return "no (" + d.Rollback.Reason + ")"
}

func unpin(f *factory, cmd *cobra.Command, deployment, id string) (*dagdeck.Deploy, error) {
	return f.client().UnpinDeploy(cmd.Context(), deployment, id)
}

func release(f *factory, cmd *cobra.Command, deployment, id string) (*dagdeck.Deploy, error) {
	return f.client().ReleaseDeploy(cmd.Context(), deployment, id)
}
