package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

func newUserCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage web UI users",
	}
	cmd.AddCommand(newUserCreateCmd(f), newUserListCmd(f), newUserDeleteCmd(f))
	return cmd
}

func newUserCreateCmd(f *factory) *cobra.Command {
	var name, role string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --role viewer|deployer|admin",
		Short: "Create a web UI user",
		Long:  "Create a web UI user. The password is read from stdin with --password-stdin, or asked for on the terminal.",
		Example: `  dagdeck user create --name ana --role deployer
  echo "$PASSWORD" | dagdeck user create --name ci-viewer --role viewer --password-stdin`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := parseRole(role)
			if err != nil {
				return err
			}
			password, err := f.password(passwordStdin)
			if err != nil {
				return err
			}
			u, err := f.client().CreateUser(cmd.Context(), name, password, r)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(u)
			}
			fmt.Fprintf(f.out, "Created user %s (%s) with role %s.\n", u.Name, u.ID, u.Role)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "login name (required)")
	cmd.Flags().StringVar(&role, "role", "", "viewer, deployer or admin (required)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role")
	_ = cmd.RegisterFlagCompletionFunc("role", fixedCompletion(string(dagdeck.RoleViewer), string(dagdeck.RoleDeployer), string(dagdeck.RoleAdmin)))
	return cmd
}

// password reads a new password from stdin, or asks for it twice on the terminal.
func (f *factory) password(fromStdin bool) (string, error) {
	if fromStdin {
		p, err := f.readLine()
		if p == "" {
			return "", errors.New("no password on stdin")
		}
		return p, err
	}
	if !f.stdinTTY() {
		return "", errors.New("stdin is not a terminal: pass the password with --password-stdin")
	}
	fmt.Fprint(f.errOut, "Password: ")
	p, err := f.readPassword()
	fmt.Fprintln(f.errOut)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(f.errOut, "Repeat password: ")
	again, err := f.readPassword()
	fmt.Fprintln(f.errOut)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if p != again {
		return "", errors.New("the passwords do not match")
	}
	if p == "" {
		return "", errors.New("the password is empty")
	}
	return p, nil
}

func newUserListCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List web UI users",
		Aliases: []string{"ls"},
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			us, err := f.client().ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"users": us})
			}
			w := newTable(f.out)
			row(w, "ID", "NAME", "ROLE", "CREATED")
			for _, u := range us {
				row(w, u.ID, u.Name, string(u.Role), formatTime(u.CreatedAt, f.now()))
			}
			return w.Flush()
		},
	}
}

func newUserDeleteCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete USER_ID",
		Short: "Delete a web UI user and end their sessions",
		Args:  exactArgs(1, "one user id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.client().DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			return f.reportDeleted("user", args[0])
		},
	}
}
