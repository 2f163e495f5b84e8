package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// deploymentUpdateOptions are the flags of `deployment update`.
type deploymentUpdateOptions struct {
	env, secretEnv, unsetEnv []string
	name, description        string
	dagDeploy                bool
	autoRollback             bool
	watch                    time.Duration
	maxFailedShare           float64
	minTries                 int
	onImportErrors           bool
}

func newDeploymentUpdateCmd(f *factory) *cobra.Command {
	var o deploymentUpdateOptions
	cmd := &cobra.Command{
		Use:   "update ID_OR_NAME",
		Short: "Change a Deployment's settings and environment variables",
		Long: `Change a Deployment's settings and environment variables.

Only the flags given change anything; other variables are kept. Secret
values are stored but never shown again. Environment variables and settings
are not rolled back by a rollback.`,
		Example: `  dagdeck deployment update etl-prod --env LOG_LEVEL=debug --secret-env DB_PASSWORD=s3cret
  dagdeck deployment update etl-prod --unset-env LOG_LEVEL
  dagdeck deployment update etl-prod --dag-deploy=false --description "Nightly ETL"
  dagdeck deployment update etl-prod --auto-rollback=true --watch 15m --max-failed-share 0.5 --min-tries 5

Automatic rollback (off by default): during --watch after a deploy goes
live, if its code has import errors the previous code did not have
(--on-import-errors) or at least --min-tries task tries ran on it and the
share that failed reaches --max-failed-share, dagdeck quarantines the deploy
and rolls back to the last good one, with the description "automatic
rollback: <reason>". It acts at most once per deploy, never on its own
rollbacks, and never lowers the runtime on its own (it records that a human
must decide).`,
		Args:              exactArgs(1, "one Deployment id or name"),
		ValidArgsFunction: f.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			upd, err := o.update(cmd)
			if err != nil {
				return err
			}
			d, err := f.client().UpdateDeployment(cmd.Context(), args[0], upd)
			if err != nil {
				return err
			}
			return f.printDeployment(cmd.Context(), d)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.env, "env", nil, "set an environment variable, KEY=VALUE (repeatable)")
	fl.StringArrayVar(&o.secretEnv, "secret-env", nil, "set a secret environment variable, KEY=VALUE (repeatable)")
	fl.StringArrayVar(&o.unsetEnv, "unset-env", nil, "remove an environment variable, KEY (repeatable)")
	fl.StringVar(&o.name, "name", "", "new name")
	fl.StringVar(&o.description, "description", "", "new description")
	fl.BoolVar(&o.dagDeploy, "dag-deploy", true, "enable or disable DAG deploys")
	fl.BoolVar(&o.autoRollback, "auto-rollback", false, "roll back automatically when a new deploy is unhealthy")
	fl.DurationVar(&o.watch, "watch", dagdeck.DefaultAutoRollbackPolicy.Watch(), "how long after a deploy goes live the automatic rollback watches it")
	fl.Float64Var(&o.maxFailedShare, "max-failed-share", dagdeck.DefaultAutoRollbackPolicy.MaxFailedShare, "roll back when this share of the deploy's task tries failed (0 to 1)")
	fl.IntVar(&o.minTries, "min-tries", dagdeck.DefaultAutoRollbackPolicy.MinTries, "only judge the failed share after this many tries ended")
	fl.BoolVar(&o.onImportErrors, "on-import-errors", true, "roll back when the deploy has import errors the previous code did not have")
	return cmd
}

// autoRollbackUpdate is the policy change the flags ask for, or nil.
func (o *deploymentUpdateOptions) autoRollbackUpdate(cmd *cobra.Command) *dagdeck.AutoRollbackUpdate {
	fl := cmd.Flags()
	var u dagdeck.AutoRollbackUpdate
	changed := false
	if fl.Changed("auto-rollback") {
		u.Enabled, changed = &o.autoRollback, true
	}
	if fl.Changed("watch") {
		secs := int64(o.watch / time.Second)
		u.WatchSeconds, changed = &secs, true
	}
	if fl.Changed("max-failed-share") {
		u.MaxFailedShare, changed = &o.maxFailedShare, true
	}
	if fl.Changed("min-tries") {
		u.MinTries, changed = &o.minTries, true
	}
	if fl.Changed("on-import-errors") {
		u.OnImportErrors, changed = &o.onImportErrors, true
	}
	if !changed {
		return nil
	}
	return &u
}

// update builds the DeploymentUpdate from the flags that were given.
func (o *deploymentUpdateOptions) update(cmd *cobra.Command) (dagdeck.DeploymentUpdate, error) {
	var upd dagdeck.DeploymentUpdate
	fl := cmd.Flags()
	if fl.Changed("name") {
		if err := dagdeck.ValidateDeploymentName(o.name); err != nil {
			return upd, usagef("%s", dagdeck.ErrorMessage(err))
		}
		upd.Name = &o.name
	}
	if fl.Changed("description") {
		upd.Description = &o.description
	}
	if fl.Changed("dag-deploy") {
		upd.IsDagDeployEnabled = &o.dagDeploy
	}
	env, err := o.envUpdates()
	if err != nil {
		return upd, err
	}
	upd.Env = env
	upd.AutoRollback = o.autoRollbackUpdate(cmd)
	if upd.Name == nil && upd.Description == nil && upd.IsDagDeployEnabled == nil && len(env) == 0 && upd.AutoRollback == nil {
		return upd, usagef("nothing to update: pass --env, --secret-env, --unset-env, --name, --description, --dag-deploy or an --auto-rollback flag")
	}
	return upd, nil
}

// envUpdates turns --env, --secret-env and --unset-env into EnvUpdates.
func (o *deploymentUpdateOptions) envUpdates() ([]dagdeck.EnvUpdate, error) {
	var out []dagdeck.EnvUpdate
	seen := map[string]bool{}
	add := func(u dagdeck.EnvUpdate) error {
		if err := dagdeck.ValidateEnvKey(u.Key); err != nil {
			return usagef("%s", dagdeck.ErrorMessage(err))
		}
		if seen[u.Key] {
			return usagef("environment variable %s is given more than once", u.Key)
		}
		seen[u.Key] = true
		out = append(out, u)
		return nil
	}
	for _, group := range []struct {
		pairs  []string
		secret bool
	}{{o.env, false}, {o.secretEnv, true}} {
		for _, kv := range group.pairs {
			key, value, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, usagef("invalid environment variable %q: want KEY=VALUE", kv)
			}
			if err := add(dagdeck.EnvUpdate{Key: key, Value: &value, IsSecret: group.secret}); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range o.unsetEnv {
		if err := add(dagdeck.EnvUpdate{Key: key}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
