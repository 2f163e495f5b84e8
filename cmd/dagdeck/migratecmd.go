package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck/cli"
	"github.com/dagdeck/dagdeck/internal/sqldb"
	"github.com/dagdeck/dagdeck/postgres"
	"github.com/dagdeck/dagdeck/sqlite"
)

// migrator is a database opened without migrating.
type migrator interface {
	Migrate(ctx context.Context) error
	Migrations(ctx context.Context) ([]sqldb.MigrationState, error)
	Close() error
}

// openMigrator opens the database at rawURL without migrating it. Its error
// is not nil whenever the migrator is nil: no typed nil in the interface.
func openMigrator(ctx context.Context, rawURL string) (migrator, error) {
	kind, target, err := parseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if kind == dbSQLite {
		db, err := sqlite.OpenUnmigrated(ctx, target)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := postgres.OpenUnmigrated(ctx, target)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// newMigrateCmd returns `dagdeck migrate`.
func newMigrateCmd() *cobra.Command {
	var b backendFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply the metadata database's schema migrations",
		Long: `The server applies pending migrations when it starts. Use "migrate status"
to see where a database stands and "migrate up" to upgrade it ahead of a
rolling upgrade of several replicas.`,
	}
	b.register(cmd.PersistentFlags())
	open := func(ctx context.Context) (migrator, error) {
		if err := b.resolve(); err != nil {
			return nil, err
		}
		return openMigrator(ctx, b.DatabaseURL)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List the migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer m.Close()
			rows, err := m.Migrations(cmd.Context())
			if err != nil {
				return err
			}
			if cli.JSONOutput(cmd) {
				return cli.PrintJSON(cmd.OutOrStdout(), migrationsJSON(rows))
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tNAME\tAPPLIED")
			for _, r := range rows {
				applied := "pending"
				if r.AppliedAt != nil {
					applied = r.AppliedAt.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\n", r.Version, r.Name, applied)
			}
			return w.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer m.Close()
			if err := m.Migrate(cmd.Context()); err != nil {
				return err
			}
			if cli.JSONOutput(cmd) {
				rows, err := m.Migrations(cmd.Context())
				if err != nil {
					return err
				}
				return cli.PrintJSON(cmd.OutOrStdout(), migrationsJSON(rows))
			}
			fmt.Fprintln(cmd.OutOrStdout(), "The database schema is up to date.")
			return nil
		},
	})
	return cmd
}

// migrationJSON is one migration in the -o json answer of migrate status
// and migrate up.
type migrationJSON struct {
	Version   int        `json:"version"`
	Name      string     `json:"name"`
	AppliedAt *time.Time `json:"appliedAt"`
}

func migrationsJSON(rows []sqldb.MigrationState) map[string]any {
	out := make([]migrationJSON, len(rows))
	for i, r := range rows {
		out[i] = migrationJSON{Version: r.Version, Name: r.Name, AppliedAt: r.AppliedAt}
	}
	return map[string]any{"migrations": out}
}
