package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

func newDeploysCancelCmd(f *factory) *cobra.Command {
	var deployment string
	cmd := &cobra.Command{
		Use:   "cancel DEPLOY_ID [--deployment ID_OR_NAME]",
		Short: "Fail an unfinished deploy so the Deployment accepts new deploys",
		Long: `Mark an INITIALIZED deploy (one whose upload never finished) as FAILED.

A Deployment takes one deploy at a time. If a deploy was interrupted, the
server fails it once its upload lease lapses (a minute without its client)
and another deploy or a rollback wants the Deployment, or after
--upload-timeout in any case; cancel it to deploy or roll back at once. A
cancelled deploy never runs; its history row stays.`,
		Example: `  dagdeck deploys cancel 01hx3k…`,
		Args:    exactArgs(1, "one deploy id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			failed := dagdeck.DeployFailed
			d, err := f.client().UpdateDeploy(cmd.Context(), deployment, target.ID, dagdeck.DeployUpdate{Status: &failed})
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(d)
			}
			fmt.Fprintf(f.out, "Cancelled deploy #%d (%s): %s.\n", d.Sequence, d.ID, cell(d.FailureReason))
			return nil
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	return cmd
}
