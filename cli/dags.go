package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newDagsCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dags",
		Short: "List and trigger the DAGs a Deployment runs",
	}
	cmd.AddCommand(newDagsListCmd(f), newDagsTriggerCmd(f))
	return cmd
}

func newDagsListCmd(f *factory) *cobra.Command {
	var deployment string
	cmd := &cobra.Command{
		Use:     "list --deployment ID_OR_NAME",
		Short:   "List the DAGs of the current code, and files that failed to import",
		Aliases: []string{"ls"},
		Example: `  dagdeck dags list --deployment etl-prod`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := f.client().ListDags(cmd.Context(), deployment)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(list)
			}
			printDags(f.out, list, f.now())
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	return cmd
}

func printDags(out io.Writer, list *client.DagList, now time.Time) {
	if len(list.Dags) == 0 {
		fmt.Fprintln(out, "No DAGs.")
	} else {
		w := newTable(out)
		row(w, "DAG ID", "SCHEDULE", "NEXT RUN", "FILE", "TAGS", "DEPLOY")
		for _, d := range list.Dags {
			row(w, d.DagID, orDash(d.Schedule), nextRun(d.NextRunAt, now), d.File, orDash(strings.Join(d.Tags, ",")), d.DeployID)
		}
		w.Flush()
	}
	if len(list.ImportErrors) == 0 {
		return
	}
	fmt.Fprintf(out, "\nImport errors (%d):\n", len(list.ImportErrors))
	for _, e := range list.ImportErrors {
		fmt.Fprintf(out, "  %s: %s\n", cell(e.File), visible(e.Message))
	}
}

// nextRun renders when a DAG runs next: "2026-11-27 00:00 (in 3h)".
func nextRun(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04") + " (" + ago(now.Sub(*t)) + ")"
}

func newDagsTriggerCmd(f *factory) *cobra.Command {
	var deployment, conf string
	cmd := &cobra.Command{
		Use:   "trigger DAG_ID --deployment ID_OR_NAME",
		Short: "Start a manual run of a DAG",
		Example: `  dagdeck dags trigger daily_weather --deployment etl-prod
  dagdeck dags trigger daily_weather -d etl-prod --conf '{"city": "Lyon"}'`,
		Args: exactArgs(1, "one DAG id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := parseConf(conf)
			if err != nil {
				return err
			}
			run, err := f.client().TriggerDag(cmd.Context(), deployment, args[0], c)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(run)
			}
			fmt.Fprintf(f.out, "Triggered %s: run %s (%s).\n", cell(run.DagID), cell(run.RunID), run.State)
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&conf, "conf", "", "run configuration, a JSON object")
	return cmd
}

// parseConf decodes --conf, a JSON object.
func parseConf(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	var conf map[string]any
	if err := json.Unmarshal([]byte(s), &conf); err != nil {
		return nil, usagef("--conf must be a JSON object: %v", err)
	}
	return conf, nil
}

func newRunsCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Show DAG runs",
	}
	cmd.AddCommand(newRunsListCmd(f))
	return cmd
}

func newRunsListCmd(f *factory) *cobra.Command {
	var deployment string
	var opts client.RunListOptions
	cmd := &cobra.Command{
		Use:     "list --deployment ID_OR_NAME",
		Short:   "List DAG runs, newest first",
		Aliases: []string{"ls"},
		Example: `  dagdeck runs list --deployment etl-prod --dag daily_weather`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := f.client().ListRuns(cmd.Context(), deployment, opts)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"runs": runs})
			}
			printRuns(f.out, runs, f.now())
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&opts.DagID, "dag", "", "only runs of this DAG")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "n", 0, "how many runs (default: the server's page size)")
	return cmd
}

func printRuns(out io.Writer, runs []*dagdeck.DagRun, now time.Time) {
	if len(runs) == 0 {
		fmt.Fprintln(out, "No runs.")
		return
	}
	w := newTable(out)
	row(w, "DAG ID", "RUN ID", "TYPE", "STATE", "LOGICAL DATE", "STARTED", "ENDED")
	for _, r := range runs {
		row(w, r.DagID, r.RunID, r.RunType, r.State, r.LogicalDate.Local().Format("2006-01-02 15:04"), formatTimePtr(r.StartedAt, now), formatTimePtr(r.EndedAt, now))
	}
	w.Flush()
}
