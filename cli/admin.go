package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newGCCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Delete artifacts that no retained deploy uses",
		Long: `Delete artifacts that no retained deploy uses.

Artifacts of deploys inside the retention window, of the current deploy and
of running tasks are kept. Deploy records are never deleted. Safe to run
while deploys happen.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := f.client().GC(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(res)
			}
			fmt.Fprintf(f.out, "Deleted %s (%s); kept %s. Artifacts of %s are now gone.\n",
				plural(res.BlobsDeleted, "blob"), formatBytes(res.BytesDeleted), plural(res.BlobsKept, "blob"), plural(res.DeploysPruned, "deploy"))
			return nil
		},
	}
}

func newWhoamiCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who your token authenticates as",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			me, err := f.client().Me(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(me)
			}
			fmt.Fprintf(f.out, "%s (%s %s), role %s, on %s\n", visible(me.Name), me.Kind, me.ID, me.Role, f.client().BaseURL())
			return nil
		},
	}
}
