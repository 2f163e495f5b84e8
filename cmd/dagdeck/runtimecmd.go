package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/credentials"
	"github.com/dagdeck/dagdeck/localruntime"
)

// newRuntimeCmd returns `dagdeck runtime`: the local runtime of one
// Deployment in a process of its own, talking to a server's API.
func newRuntimeCmd() *cobra.Command {
	var deployment, dataDir string
	var tasks taskFlags
	var poll time.Duration
	var logs logFlags
	cmd := &cobra.Command{
		Use:   "runtime --deployment ID_OR_NAME [--server URL] [--token TOKEN] [--data-dir DIR]",
		Short: "Run a Deployment's DAGs in this process, against a dagdeck server's API",
		Long: `Run a Deployment's DAGs in this process, against a dagdeck server's API.

It does what the runtime inside "dagdeck server" does, for one Deployment:
it loads each new deploy into a version directory under
<data-dir>/runtime/<deployment-id>, starts runs on their schedules and on
triggers, runs their tasks as processes and reports runs, tries, logs and
XComs to the server. Start the server with --runtime=none, or both would run
the Deployment's tasks.

The token needs the runtime role (dagdeck token create --name rt --role
runtime): the runtime reads the Deployment's secret environment variables,
which its tasks need, and no user token may.`,
		Example: `  dagdeck server --runtime=none
  dagdeck token create --name etl-runtime --role runtime --deployment etl-prod
  dagdeck runtime --deployment etl-prod --server http://127.0.0.1:8080 --token ddk_…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			serverURL, token := serverAndToken(cmd)
			api := client.New(serverURL, token, client.WithVersion(version))
			tasks.taskUserSet = cmd.Flags().Changed("task-user")
			user, codeDir, err := tasks.isolation(dataDir, privatePaths(dataDir, "", ""), logger)
			if err != nil {
				return err
			}
			rt, err := localruntime.New(localruntime.Config{
				DataDir:      dataDir,
				Backend:      api.RuntimeBackend(),
				Deployments:  []string{deployment},
				PollInterval: poll,
				Logger:       logger,
				TaskUser:     user,
				CodeDir:      codeDir,
			})
			if err != nil {
				return err
			}
			if err := rt.Start(cmd.Context()); err != nil {
				rt.Close()
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dagdeck runtime is running Deployment %s of %s — press Ctrl-C to stop.\n", deployment, serverURL)
			<-cmd.Context().Done()
			logger.Info("runtime: shutting down")
			return rt.Close()
		},
	}
	f := cmd.Flags()
	f.StringVarP(&deployment, "deployment", "d", "", "Deployment id or name (required)")
	f.StringVar(&dataDir, "data-dir", defaultDataDir(), "directory for version directories and task logs (env DAGDECK_DATA)")
	f.DurationVar(&poll, "poll-interval", localruntime.DefaultPollInterval, "how often the server is asked for new runs and deploys")
	logs.register(f)
	tasks.register(f)
	_ = cmd.MarkFlagRequired("deployment")
	return cmd
}

// serverAndToken returns the server URL and token as the CLI finds them:
// --server / $DAGDECK_SERVER / the stored default, and --token /
// $DAGDECK_TOKEN / the token stored for that server.
func serverAndToken(cmd *cobra.Command) (string, string) {
	serverURL, _ := cmd.Flags().GetString("server")
	token, _ := cmd.Flags().GetString("token")
	for _, s := range []string{serverURL, os.Getenv("DAGDECK_SERVER"), credentials.Default(), "http://127.0.0.1:8080"} {
		if s != "" {
			serverURL = credentials.Normalize(s)
			break
		}
	}
	if token == "" {
		token = os.Getenv("DAGDECK_TOKEN")
	}
	if token == "" {
		token, _ = credentials.Load(serverURL)
	}
	return serverURL, token
}
