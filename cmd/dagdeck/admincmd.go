package main

import (
	"context"
	"fmt"
	"github.com/dagdeck/dagdeck/cli"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
)

// newAdminCmd returns `dagdeck admin`: operator commands that work on the
// stores directly, for when no API credential is left.
func newAdminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands on the stores directly (no API token needed)",
	}
	cmd.AddCommand(newAdminTokenCmd())
	return cmd
}

// newAdminTokenCmd returns `dagdeck admin token`.
func newAdminTokenCmd() *cobra.Command {
	var b backendFlags
	var name string
	cmd := &cobra.Command{
		Use:   "token [--name NAME] [--data-dir DIR | --database-url URL]",
		Short: "Create an admin API token directly in the database",
		Long: `Create an admin API token directly in the metadata database, for an
operator who has lost every admin token: it needs access to the database
(the data folder, or the PostgreSQL URL), not a credential. The secret is
printed once. It is recorded in the audit log as done by the system.`,
		Example: `  dagdeck admin token --name recovery
  dagdeck admin token --database-url postgres://dagdeck@db/dagdeck --name recovery -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := b.resolve(); err != nil {
				return err
			}
			store, err := openStore(cmd.Context(), b.DatabaseURL)
			if err != nil {
				return fmt.Errorf("open metadata store: %w", err)
			}
			defer store.Close()
			t, secret, err := createAdminToken(cmd.Context(), store, name)
			if err != nil {
				return err
			}
			if cli.JSONOutput(cmd) {
				return cli.PrintJSON(cmd.OutOrStdout(), map[string]any{"token": t, "secret": secret})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created admin token %s (%s). Secret (shown only now):\n%s\n", t.Name, t.ID, secret)
			return nil
		},
	}
	b.register(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "recovery", "what the token is for")
	return cmd
}

// createAdminToken creates an admin token as dagdeck itself.
func createAdminToken(ctx context.Context, store dagdeck.Store, name string) (*dagdeck.Token, string, error) {
	svc := service.New(store, nil)
	ctx = dagdeck.NewContextWithActor(ctx, dagdeck.SystemActor("dagdeck admin token"))
	return svc.CreateToken(ctx, name, dagdeck.RoleAdmin)
}
