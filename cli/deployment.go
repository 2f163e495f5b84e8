package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newDeploymentCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deployment",
		Short: "Create, list, inspect and update Deployments",
		Long:  "A Deployment is one pipeline environment: its settings and the code it currently runs.",
	}
	cmd.AddCommand(newDeploymentCreateCmd(f), newDeploymentListCmd(f), newDeploymentInspectCmd(f), newDeploymentUpdateCmd(f), newDeploymentUseCmd(f))
	return cmd
}

func newDeploymentCreateCmd(f *factory) *cobra.Command {
	in := client.DeploymentCreate{Executor: dagdeck.ExecutorLocal}
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a Deployment",
		Example: `  dagdeck deployment create --name etl-prod --description "Nightly ETL"
  dagdeck deployment create --name legacy --dag-deploy=false`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dagdeck.ValidateDeploymentName(in.Name); err != nil {
				return usagef("%s", dagdeck.ErrorMessage(err))
			}
			d, err := f.client().CreateDeployment(cmd.Context(), in)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(d)
			}
			fmt.Fprintf(f.out, "Created Deployment %s (%s).\n", d.Name, d.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "name: lowercase letters, digits and '-' (required)")
	cmd.Flags().StringVar(&in.Description, "description", "", "description")
	cmd.Flags().BoolVar(&in.IsDagDeployEnabled, "dag-deploy", true, "deploy DAGs separately from the image (enables deploy --dags)")
	cmd.Flags().StringVar(&in.Executor, "executor", dagdeck.ExecutorLocal, "executor")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newDeploymentInspectCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:               "inspect ID_OR_NAME",
		Short:             "Show a Deployment's settings and current code",
		Example:           `  dagdeck deployment inspect etl-prod`,
		Args:              exactArgs(1, "one Deployment id or name"),
		ValidArgsFunction: f.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := f.client().GetDeployment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return f.printDeployment(cmd.Context(), d)
		},
	}
}

// printDeployment shows a Deployment in full, its current deploy as "#N
// (id)"; secret values are masked.
func (f *factory) printDeployment(ctx context.Context, d *dagdeck.Deployment) error {
	if f.json() {
		return f.printJSON(maskSecrets(d))
	}
	current, err := f.deployRef(ctx, d.ID, d.CurrentDeployID)
	if err != nil {
		return err
	}
	w := newTable(f.out)
	field(w, "Name", d.Name)
	field(w, "ID", d.ID)
	field(w, "Description", d.Description)
	field(w, "Executor", d.Executor)
	field(w, "DAG deploys", yesNo(d.IsDagDeployEnabled))
	field(w, "Scheduler size", d.SchedulerSize)
	field(w, "Worker queues", strings.Join(d.WorkerQueues, ", "))
	field(w, "Worker concurrency", fmt.Sprint(d.WorkerConcurrency))
	field(w, "Current deploy", current)
	field(w, "Runtime", d.RuntimeVersion)
	field(w, "Image tag", d.ImageTag)
	field(w, "DAG bundle", d.DagBundleVersion)
	field(w, "Automatic rollback", autoRollbackText(d.AutoRollback))
	if a := d.Activation; a != nil && a.State != dagdeck.ActivationActive {
		field(w, "Runtime switch", activationText(a))
	}
	if d.GitURL != "" {
		field(w, "Git URL", d.GitURL)
		field(w, "Clone with", "git clone "+d.GitURL+"   (password: a dagdeck token)")
	}
	field(w, "Created", formatTime(d.CreatedAt, f.now()))
	field(w, "Updated", formatTime(d.UpdatedAt, f.now()))
	w.Flush()
	printEnv(f.out, d.Env)
	return nil
}

func printEnv(out io.Writer, env []dagdeck.EnvVar) {
	if len(env) == 0 {
		fmt.Fprintln(out, "\nEnvironment variables: none")
		return
	}
	fmt.Fprintln(out, "\nEnvironment variables:")
	w := newTable(out)
	row(w, "  KEY", "VALUE", "SECRET")
	for _, v := range env {
		value := v.Value
		if v.IsSecret {
			value = "****"
		}
		row(w, "  "+v.Key, value, yesNo(v.IsSecret))
	}
	w.Flush()
}

// maskSecrets returns a copy of d whose secret values read "****", in case
// a server ever returns one.
func maskSecrets(d *dagdeck.Deployment) *dagdeck.Deployment {
	c := *d
	c.Env = make([]dagdeck.EnvVar, len(d.Env))
	for i, v := range d.Env {
		if v.IsSecret && v.Value != "" {
			v.Value = "****"
		}
		c.Env[i] = v
	}
	return &c
}

// autoRollbackText describes an automatic rollback policy in a line.
func autoRollbackText(p dagdeck.AutoRollbackPolicy) string {
	if !p.Enabled {
		return "off"
	}
	s := fmt.Sprintf("on: for %s after a deploy, when %g%% of at least %d tries fail", p.Watch(), p.MaxFailedShare*100, p.MinTries)
	if p.OnImportErrors {
		s += " or new import errors appear"
	}
	return s
}

// activationText says what a runtime has not done yet.
func activationText(a *dagdeck.Activation) string {
	if a.State == dagdeck.ActivationFailed {
		return "FAILED: the runtime could not switch to the current deploy: " + a.Error
	}
	return "pending: the runtime has not reported the current deploy yet"
}
