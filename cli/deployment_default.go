package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck/credentials"
)

// deploymentEnv names the environment variable of the default Deployment.
const deploymentEnv = "DAGDECK_DEPLOYMENT"

// defaultDeployment returns the Deployment to use when --deployment is not
// given, and where it came from: $DAGDECK_DEPLOYMENT, else the one saved
// for the server by `dagdeck deployment use`. "" if neither is set.
func (f *factory) defaultDeployment() (name, source string, err error) {
	if name := f.getenv(deploymentEnv); name != "" {
		return name, "$" + deploymentEnv, nil
	}
	name, err = f.loadDeployment(f.server())
	if errors.Is(err, credentials.ErrNotFound) {
		return "", "", nil
	} else if err != nil {
		return "", "", fmt.Errorf("read the default Deployment: %w", err)
	}
	return name, "dagdeck deployment use", nil
}

// useDefaultDeployment fills *p with the default Deployment when it is
// empty, and says so on stderr. It reports whether *p is set afterwards.
func (f *factory) useDefaultDeployment(p *string) (bool, error) {
	if *p != "" {
		return true, nil
	}
	name, source, err := f.defaultDeployment()
	if err != nil || name == "" {
		return false, err
	}
	*p = name
	fmt.Fprintf(f.errOut, "Using Deployment %s (from %s).\n", name, source)
	return true, nil
}

// deploymentFlag adds --deployment/-d to a command that needs a
// Deployment; when it is not given the default Deployment is used, and
// without one the command fails with a usage error.
func (f *factory) deploymentFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "deployment", "d", "", "Deployment id or name (default $DAGDECK_DEPLOYMENT, or the one set with `dagdeck deployment use`)")
	f.completeDeploymentFlag(cmd)
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		ok, err := f.useDefaultDeployment(p)
		if err != nil {
			return err
		}
		if !ok {
			return usagef("--deployment is required: pass --deployment NAME, set $%s, or save a default with `dagdeck deployment use NAME`", deploymentEnv)
		}
		return nil
	}
}

// optionalDeploymentFlag adds --deployment for commands that can find the
// Deployment from a deploy id; resolveDeploy falls back to the default
// Deployment for references that need one.
func (f *factory) optionalDeploymentFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "deployment", "d", "", "Deployment id or name (needed with #N and previous, default $DAGDECK_DEPLOYMENT or `dagdeck deployment use`; otherwise found from the deploy id)")
	f.completeDeploymentFlag(cmd)
	cmd.ValidArgsFunction = f.completeDeployArg(p)
}

func newDeploymentUseCmd(f *factory) *cobra.Command {
	var clear bool
	cmd := &cobra.Command{
		Use:   "use [ID_OR_NAME]",
		Short: "Set the Deployment that commands use without --deployment",
		Long: `Save a default Deployment for the current server, so that --deployment
can be left out. --deployment beats $DAGDECK_DEPLOYMENT, which beats the
saved default; a command that uses a default says so on stderr.

Without an argument, show the default Deployment and where it comes from.
The default is saved per server beside the server's token (see
$DAGDECK_CONFIG).`,
		Example: `  dagdeck deployment use etl-prod
  dagdeck deploys list            # the history of etl-prod
  dagdeck deployment use --clear`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: f.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case clear && len(args) > 0:
				return usagef("pass a Deployment or --clear, not both")
			case clear:
				return f.saveDefaultDeployment("")
			case len(args) == 0:
				return f.showDefaultDeployment()
			}
			d, err := f.client().GetDeployment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return f.saveDefaultDeployment(d.Name)
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "forget the saved default Deployment")
	return cmd
}

// saveDefaultDeployment saves (or with "" forgets) the server's default
// Deployment and says what changed.
func (f *factory) saveDefaultDeployment(name string) error {
	server := f.server()
	if err := f.saveDeployment(server, name); err != nil {
		return fmt.Errorf("save the default Deployment: %w", err)
	}
	if f.json() {
		return f.printJSON(defaultDeploymentJSON{Server: server, Deployment: name})
	}
	if name == "" {
		fmt.Fprintf(f.out, "No default Deployment for %s any more.\n", server)
	} else {
		fmt.Fprintf(f.out, "Commands on %s now use Deployment %s when --deployment is not given.\n", server, name)
	}
	if env := f.getenv(deploymentEnv); env != "" && env != name {
		fmt.Fprintf(f.errOut, "Note: $%s=%s takes precedence in this shell.\n", deploymentEnv, env)
	}
	return nil
}

// defaultDeploymentJSON is the -o json answer of `deployment use` without a
// Deployment to look up.
type defaultDeploymentJSON struct {
	Server     string `json:"server"`
	Deployment string `json:"deployment"`
	Source     string `json:"source,omitempty"`
}

// showDefaultDeployment prints the default Deployment and its source.
func (f *factory) showDefaultDeployment() error {
	name, source, err := f.defaultDeployment()
	if err != nil {
		return err
	}
	if f.json() {
		return f.printJSON(defaultDeploymentJSON{Server: f.server(), Deployment: name, Source: source})
	}
	if name == "" {
		fmt.Fprintf(f.out, "No default Deployment for %s. Set one with: dagdeck deployment use NAME\n", f.server())
		return nil
	}
	fmt.Fprintf(f.out, "%s (from %s)\n", name, strings.TrimSpace(source))
	return nil
}
