package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

func newDeploysCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploys",
		Short: "Browse a Deployment's Deploy History",
	}
	cmd.AddCommand(newDeploysListCmd(f), newDeploysInspectCmd(f), newDeploysDownloadCmd(f), newDeploysCancelCmd(f),
		newDeploysPinCmd(f), newDeploysUnmarkCmd(f, "unpin", "Remove a deploy's pin", unpin, "Unpinned"),
		newDeploysQuarantineCmd(f), newDeploysUnmarkCmd(f, "release", "End a deploy's quarantine", release, "Released"),
		newDeploysDiffCmd(f))
	return cmd
}

func newDeploysListCmd(f *factory) *cobra.Command {
	var deployment string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:     "list --deployment ID_OR_NAME",
		Short:   "Show the Deploy History, newest first",
		Aliases: []string{"ls"},
		Long: `Show the Deploy History of a Deployment, newest first.

ROLLBACK says whether you can roll back to a deploy ("yes") or why not
(EXPIRED, FAILED, ARTIFACTS_MISSING, NOT_DEPLOYED). A rollback deploy's
description starts with ↩ and the deploy it restored.`,
		Example: `  dagdeck deploys list --deployment etl-prod
  dagdeck deploys list --deployment etl-prod --all -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return usagef("--limit must be at least 1")
			}
			if all {
				pageSize := allPageSize
				if cmd.Flags().Changed("limit") {
					pageSize = min(limit, allPageSize)
				}
				return f.streamHistory(cmd.Context(), deployment, pageSize)
			}
			ds, more, err := f.history(cmd.Context(), deployment, limit, false)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"deploys": ds})
			}
			printHistory(f.out, ds, f.now())
			if more {
				fmt.Fprintf(f.out, "Showing the newest %d deploys; pass --all or a larger --limit for more.\n", len(ds))
			}
			return nil
		},
	}
	deploymentFlag(cmd, &deployment)
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many deploys to show")
	cmd.Flags().BoolVar(&all, "all", false, "show the whole history")
	return cmd
}

// optionalDeploymentFlag adds --deployment for commands that can find the
// Deployment from a deploy id.
func optionalDeploymentFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "deployment", "d", "", "Deployment id or name (needed with #N; otherwise found from the deploy id)")
}

// deploymentFlag adds the required --deployment flag.
func deploymentFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "deployment", "d", "", "Deployment id or name (required)")
	_ = cmd.MarkFlagRequired("deployment")
}

// history returns the newest limit deploys (every deploy with all) and
// whether there are more. deploys list --all streams instead.
func (f *factory) history(ctx context.Context, deployment string, limit int, all bool) ([]*dagdeck.Deploy, bool, error) {
	var ds []*dagdeck.Deploy
	more := false
	err := f.client().EachDeploy(ctx, deployment, min(limit, 100), func(d *dagdeck.Deploy) bool {
		if !all && len(ds) == limit {
			more = true
			return false
		}
		ds = append(ds, d)
		return true
	})
	return ds, more, err
}

// allPageSize is the page size of --all unless --limit sets one: the
// server's maximum, so that a long history takes few requests.
const allPageSize = 500

// streamHistory prints the whole Deploy History page by page as the pages
// arrive, holding one page at a time: a table whose columns are aligned
// within each page, or one JSON document written deploy by deploy.
func (f *factory) streamHistory(ctx context.Context, deployment string, pageSize int) error {
	out := bufio.NewWriterSize(f.out, 64<<10)
	var err error
	if f.json() {
		err = streamHistoryJSON(ctx, f, deployment, pageSize, out)
	} else {
		n, now := 0, f.now()
		err = f.client().EachDeployPage(ctx, deployment, pageSize, func(ds []*dagdeck.Deploy) bool {
			printHistoryRows(out, ds, now, n == 0)
			n += len(ds)
			return out.Flush() == nil
		})
		if err == nil && n == 0 {
			printHistory(out, nil, now)
		}
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
}

// streamHistoryJSON writes {"deploys": [...]} as printJSON would, one
// deploy at a time.
func streamHistoryJSON(ctx context.Context, f *factory, deployment string, pageSize int, out *bufio.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	io.WriteString(out, "{\n  \"deploys\": [")
	n := 0
	var encErr error
	err := f.client().EachDeployPage(ctx, deployment, pageSize, func(ds []*dagdeck.Deploy) bool {
		for _, d := range ds {
			buf.Reset()
			if encErr = enc.Encode(d); encErr != nil {
				return false
			}
			if n > 0 {
				out.WriteByte(',')
			}
			out.WriteString("\n    ")
			out.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
			n++
		}
		return out.Flush() == nil
	})
	if err == nil {
		err = encErr
	}
	if n > 0 {
		io.WriteString(out, "\n  ")
	}
	io.WriteString(out, "]\n}\n")
	return err
}

// printHistory writes the Deploy History table.
func printHistory(out io.Writer, ds []*dagdeck.Deploy, now time.Time) {
	if len(ds) == 0 {
		fmt.Fprintln(out, "No deploys yet. Deploy with: dagdeck deploy --deployment NAME")
		return
	}
	printHistoryRows(out, ds, now, true)
}

// printHistoryRows writes rows of the Deploy History table, with its header
// if asked. A rollback is marked with the sequence number of the deploy it
// restored when that deploy is among ds.
func printHistoryRows(out io.Writer, ds []*dagdeck.Deploy, now time.Time, header bool) {
	seqs := make(map[string]int64, len(ds))
	for _, d := range ds {
		seqs[d.ID] = d.Sequence
	}
	w := newTable(out)
	if header {
		row(w, "SEQ", "ID", "TIME", "USER", "TYPE", "IMAGE TAG", "RUNTIME", "DAG BUNDLE", "STATUS", "ROLLBACK", "DESCRIPTION")
	}
	for _, d := range ds {
		row(w, strconv.FormatInt(d.Sequence, 10), d.ID, formatTime(d.CreatedAt, now), orDash(d.CreatedBy.Name),
			string(d.Type), orDash(imageWithPin(d)), orDash(d.RuntimeVersion), orDash(d.DagBundleVersion),
			string(d.Status), eligibility(d), historyDescription(d, seqs))
	}
	w.Flush()
}

// eligibility renders whether a deploy can be rolled back to: "yes" or the
// reason, and whether it is pinned.
func eligibility(d *dagdeck.Deploy) string {
	if d.Rollback.Eligible && d.Pin != nil {
		return "yes (pinned)"
	}
	if d.Rollback.Eligible {
		return "yes"
	}
	return orDash(d.Rollback.Reason)
}

// historyDescription is the truncated description, marked for a rollback
// with the deploy it restored ("↩ #3" when that deploy is listed).
func historyDescription(d *dagdeck.Deploy, seqs map[string]int64) string {
	desc := truncate(d.Description, 50)
	if d.RollbackFromID == "" {
		return orDash(desc)
	}
	mark := "↩ rollback of " + d.RollbackFromID
	if seq, ok := seqs[d.RollbackFromID]; ok {
		mark = fmt.Sprintf("↩ #%d", seq)
	}
	return strings.TrimSpace(mark + " " + desc)
}

// resolveDeploy turns a deploy reference into a deploy id. With a
// Deployment, the server resolves ref: a deploy id, "#N" (sequence number
// N), "#-N" (the Nth deploy before the current one) or "previous" (what a
// rollback goes back to by default).
//
// Without a Deployment (*deployment == ""), ref must be a deploy id: the
// Deployment is looked up from the deploy and stored in *deployment.
func (f *factory) resolveDeploy(ctx context.Context, deployment *string, ref string) (string, error) {
	if *deployment != "" {
		d, err := f.client().GetDeploy(ctx, *deployment, ref)
		if err != nil {
			return "", err
		}
		return d.ID, nil
	}
	if strings.HasPrefix(ref, "#") || ref == "previous" {
		return "", usagef("--deployment is needed to find deploy %s", ref)
	}
	d, err := f.client().GetDeployByID(ctx, ref)
	if err != nil {
		return "", err
	}
	*deployment = d.DeploymentID
	return d.ID, nil
}
