package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

func newTokenCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens",
	}
	cmd.AddCommand(newTokenCreateCmd(f), newTokenListCmd(f), newTokenDeleteCmd(f))
	return cmd
}

// parseRole validates a --role flag.
func parseRole(s string) (dagdeck.Role, error) {
	r := dagdeck.Role(s)
	if !r.Valid() {
		return "", usagef("--role must be viewer, deployer, admin or runtime, not %q", s)
	}
	return r, nil
}

func newTokenCreateCmd(f *factory) *cobra.Command {
	var name, role string
	var deployments []string
	cmd := &cobra.Command{
		Use:   "create --name NAME --role viewer|deployer|admin|runtime [--deployment NAME]...",
		Short: "Create an API token; its secret is shown once",
		Long: `Create an API token; its secret is shown once.

A runtime token is for the Deployments its dagdeck runtime process runs
(--deployment, repeatable): it reads their secret env values and reports
their runs, and reaches no other Deployment.`,
		Example: `  dagdeck token create --name ci --role deployer
  dagdeck token create --name etl-runtime --role runtime --deployment etl-prod
  export DAGDECK_TOKEN=$(dagdeck token create --name ci --role deployer -o json | jq -r .secret)`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := parseRole(role)
			if err != nil {
				return err
			}
			tc, err := f.client().CreateToken(cmd.Context(), name, r, deployments...)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(tc)
			}
			fmt.Fprintf(f.out, "Created token %s (%s) with role %s.\n", cell(tc.Token.Name), tc.Token.ID, tc.Token.Role)
			fmt.Fprintln(f.out, "Secret (shown only now; store it safely):")
			fmt.Fprintln(f.out, tc.Secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	cmd.Flags().StringVar(&role, "role", "", "viewer, deployer, admin, or runtime for a dagdeck runtime process (required)")
	cmd.Flags().StringArrayVarP(&deployments, "deployment", "d", nil, "for a runtime token: a Deployment it runs (repeatable; required for runtime)")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role")
	_ = cmd.RegisterFlagCompletionFunc("role", fixedCompletion(string(dagdeck.RoleViewer), string(dagdeck.RoleDeployer), string(dagdeck.RoleAdmin), string(dagdeck.RoleRuntime)))
	return cmd
}

func newTokenListCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List API tokens",
		Aliases: []string{"ls"},
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := f.client().ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"tokens": ts})
			}
			w := newTable(f.out)
			row(w, "ID", "NAME", "ROLE", "CREATED", "LAST USED")
			for _, t := range ts {
				row(w, t.ID, t.Name, string(t.Role), formatTime(t.CreatedAt, f.now()), formatTimePtr(t.LastUsedAt, f.now()))
			}
			return w.Flush()
		},
	}
}

func newTokenDeleteCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "delete TOKEN_ID",
		Short:   "Revoke an API token",
		Example: `  dagdeck token delete 01hx3k…`,
		Args:    exactArgs(1, "one token id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.client().DeleteToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return f.reportDeleted("token", args[0])
		},
	}
}
