package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newTasksCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "Show task instances, their logs and notes",
	}
	cmd.AddCommand(newTasksListCmd(f), newTasksLogsCmd(f), newTasksNoteCmd(f))
	return cmd
}

func newTasksListCmd(f *factory) *cobra.Command {
	var deployment string
	var opts client.TaskListOptions
	cmd := &cobra.Command{
		Use:   "list --deployment ID_OR_NAME",
		Short: "List task instances (one row per try), newest first",
		Long: `List task instances, one row per try, newest first, with the deploy and
runtime version each try ran on.`,
		Aliases: []string{"ls"},
		Example: `  dagdeck tasks list --deployment etl-prod --dag daily_weather
  dagdeck tasks list -d etl-prod --run manual__2026-11-26T14:05:09`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			tis, err := f.client().ListTaskInstances(cmd.Context(), deployment, opts)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"taskInstances": tis})
			}
			printTasks(f.out, tis, f.now())
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&opts.RunID, "run", "", "only tasks of this run")
	cmd.Flags().StringVar(&opts.DagID, "dag", "", "only tasks of this DAG")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "n", 0, "how many task instances (default: the server's page size)")
	return cmd
}

func printTasks(out io.Writer, tis []*dagdeck.TaskInstance, now time.Time) {
	if len(tis) == 0 {
		fmt.Fprintln(out, "No task instances.")
		return
	}
	w := newTable(out)
	row(w, "ID", "DAG ID", "RUN ID", "TASK ID", "TRY", "STATE", "DEPLOY", "RUNTIME", "STARTED", "NOTE")
	for _, ti := range tis {
		row(w, ti.ID, ti.DagID, ti.RunID, ti.TaskID, fmt.Sprintf("%d/%d", ti.TryNumber, ti.MaxTries), ti.State,
			orDash(ti.DeployID), orDash(ti.RuntimeVersion), formatTimePtr(ti.StartedAt, now), orDash(truncate(ti.Note, 30)))
	}
	w.Flush()
}

func newTasksNoteCmd(f *factory) *cobra.Command {
	var deployment, note string
	cmd := &cobra.Command{
		Use:   "note TASK_INSTANCE_ID --deployment ID_OR_NAME --note TEXT",
		Short: "Set the note of a task instance (runtime 1.1.0 or later)",
		Example: `  dagdeck tasks note 01hx3k… -d etl-prod --note "flaky upstream API, retried by hand"
  dagdeck tasks note 01hx3k… -d etl-prod --note ""   # clear it`,
		Args:              exactArgs(1, "one task instance id"),
		ValidArgsFunction: f.completeTaskArg(&deployment),
		RunE: func(cmd *cobra.Command, args []string) error {
			ti, err := f.client().SetTaskNote(cmd.Context(), deployment, args[0], note)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(ti)
			}
			fmt.Fprintf(f.out, "Noted %s %s try %d: %s\n", cell(ti.DagID), cell(ti.TaskID), ti.TryNumber, cell(orDash(ti.Note)))
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&note, "note", "", "the note (required; \"\" clears it)")
	_ = cmd.MarkFlagRequired("note")
	return cmd
}
