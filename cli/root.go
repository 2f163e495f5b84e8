// Package cli is dagdeck's command-line interface: cobra commands that talk
// to a dagdeck server only through its public HTTP API (package client).
//
// Commands live in files named after their noun (deploy.go, rollback.go, …),
// each built by a newXCmd(f *factory) function. The factory holds the IO
// streams, terminal detection and a lazily built API client, so every
// command can be run in tests against a fake API.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// NewRootCommand returns the dagdeck root command with every client command
// and the global flags --server, --token and -o/--output. version is the
// version set at link time ("" or "dev" if none: the build information
// then says). Run it with Execute, which prints errors.
func NewRootCommand(version string) *cobra.Command {
	return newRootCmd(newSystemFactory(version))
}

// rootLong is the text of `dagdeck help`.
const rootLong = `dagdeck keeps the deploy history of your pipeline Deployments and rolls them back in one step.

Commands that need a Deployment take --deployment (-d); without it they use
$DAGDECK_DEPLOYMENT, or the default saved with "dagdeck deployment use NAME".
With -o json, commands print their results as JSON. Shell completion: dagdeck completion --help.

` + exitCodesHelp

func newRootCmd(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "dagdeck",
		Short:         "Deploy history and rollback for data pipelines",
		Long:          rootLong,
		Version:       f.version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Example: `  dagdeck deployment create --name etl-prod
  dagdeck deploy ./my-project --deployment etl-prod
  dagdeck deploys list --deployment etl-prod
  dagdeck rollback 01hx… --deployment etl-prod --description "revert bad DAG"`,
	}
	root.SetVersionTemplate("dagdeck " + f.build.String() + "\n")
	root.SetIn(f.in)
	root.SetOut(f.out)
	root.SetErr(f.errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	addGlobalFlags(root, f)
	root.AddCommand(
		newDeploymentCmd(f), newDeployCmd(f), newDeploysCmd(f), newRollbackCmd(f),
		newTokenCmd(f), newUserCmd(f), newGCCmd(f), newWhoamiCmd(f),
		newDagsCmd(f), newRunsCmd(f), newTasksCmd(f),
		newAuditCmd(f), newWebhookCmd(f), newVersionCmd(f),
	)
	return root
}

func addGlobalFlags(root *cobra.Command, f *factory) {
	pf := root.PersistentFlags()
	pf.StringVar(&f.serverFlag, "server", "", "dagdeck server URL (default $DAGDECK_SERVER, the stored default, or http://127.0.0.1:8080)")
	pf.StringVar(&f.tokenFlag, "token", "", "API token (default $DAGDECK_TOKEN, or the token stored for the server)")
	pf.VarP(&f.output, "output", "o", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion(string(outputTable), string(outputJSON)))
}

// Execute runs root with the process arguments and returns the exit code
// (ExitOK, ExitFailure, ExitUsage, ExitRefused or ExitAuth). An error is
// printed as one line, "Error: <message>", on root's error stream; usage is
// added only for mistakes in flags or arguments.
func Execute(ctx context.Context, root *cobra.Command) int {
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	w := root.ErrOrStderr()
	fmt.Fprintln(w, "Error: "+visible(errorMessage(err)))
	if isUsageError(err) && cmd != nil {
		fmt.Fprintln(w)
		fmt.Fprint(w, cmd.UsageString())
	}
	return exitCode(err)
}

// exitError ends a command with an exit code and no message, as `git
// diff --exit-code` exits with 1 when there are differences.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in the command line: usage is printed with it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func isUsageError(err error) bool {
	var ue *usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "required flag", "if any flags in the group", "accepts ", "requires at least"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// errorMessage renders err for a person: a dagdeck error shows its message
// (keeping any context wrapped around it), with a hint for a bad credential.
func errorMessage(err error) string {
	msg := err.Error()
	var de *dagdeck.Error
	if !errors.As(err, &de) {
		return msg
	}
	msg = strings.Replace(msg, de.Error(), de.Message, 1)
	if de.Code == dagdeck.EUNAUTHORIZED {
		msg += " (pass --token or set DAGDECK_TOKEN)"
	}
	return msg
}

// JSONOutput reports whether -o json was given to cmd (the root command or
// one below it), for commands added to the root from elsewhere.
func JSONOutput(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("output")
	return f != nil && f.Value.String() == string(outputJSON)
}

// PrintJSON writes v to w as indented JSON, like every -o json answer.
func PrintJSON(w io.Writer, v any) error {
	return (&factory{out: w}).printJSON(v)
}

// exactArgs is cobra.ExactArgs with a message naming the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d argument(s))", cmd.CommandPath(), names, len(args))
		}
		return nil
	}
}

// ClientFor returns an API client configured like the CLI's own commands,
// for commands added to the root from elsewhere (such as `dagdeck runtime`):
// the server from --server, $DAGDECK_SERVER, the stored default or
// DefaultServer; the token from --token, $DAGDECK_TOKEN or the credentials
// file. cmd must be the root command or below it.
func ClientFor(cmd *cobra.Command) *client.Client {
	f := newSystemFactory(cmd.Root().Version)
	f.serverFlag, _ = cmd.Flags().GetString("server")
	f.tokenFlag, _ = cmd.Flags().GetString("token")
	return f.client()
}
