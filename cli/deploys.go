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
	"text/tabwriter"

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

The current deploy, the code that runs now, is marked with * in the first
column, and its ROLLBACK column says CURRENT. ROLLBACK says whether you can
roll back to a deploy ("yes") or why not (EXPIRED, FAILED,
ARTIFACTS_MISSING, NOT_DEPLOYED, QUARANTINED). A rollback deploy's
description starts with ↩ and the deploy it restored.

With -o json the deploys are printed as the API returns them; the current
deploy's id is the currentDeployId of "dagdeck deployment inspect -o json".`,
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
			ds, more, err := f.history(cmd.Context(), deployment, limit)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"deploys": ds})
			}
			dep, err := f.client().GetDeployment(cmd.Context(), deployment)
			if err != nil {
				return err
			}
			f.printHistory(f.out, ds, dep.CurrentDeployID)
			if more {
				fmt.Fprintf(f.out, "Showing the newest %d deploys; pass --all or a larger --limit for more.\n", len(ds))
			}
			return nil
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many deploys to show")
	cmd.Flags().BoolVar(&all, "all", false, "show the whole history")
	return cmd
}

// history returns the newest limit deploys and whether there are more.
func (f *factory) history(ctx context.Context, deployment string, limit int) ([]*dagdeck.Deploy, bool, error) {
	var ds []*dagdeck.Deploy
	more := false
	err := f.client().EachDeploy(ctx, deployment, min(limit, 100), func(d *dagdeck.Deploy) bool {
		if len(ds) == limit {
			more = true
			return false
		}
		ds = append(ds, d)
		return true
	})
	return ds, more, err
}

// allPageSize is how many rows of --all a table aligns at once (unless
// --limit sets fewer): the rows stream in, and each block of this many is
// printed, its columns aligned, as soon as it is complete.
const allPageSize = 500

// streamHistory prints the whole Deploy History as it streams in, holding
// one block of rows at a time: a table whose columns are aligned within
// each block, or one JSON document written deploy by deploy.
func (f *factory) streamHistory(ctx context.Context, deployment string, pageSize int) error {
	out := bufio.NewWriterSize(f.out, 64<<10)
	var err error
	if f.json() {
		err = streamHistoryJSON(ctx, f, deployment, out)
	} else {
		err = streamHistoryTable(ctx, f, deployment, pageSize, out)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
}

// streamHistoryTable prints the table a block of pageSize rows at a time.
func streamHistoryTable(ctx context.Context, f *factory, deployment string, pageSize int, out *bufio.Writer) error {
	dep, err := f.client().GetDeployment(ctx, deployment)
	if err != nil {
		return err
	}
	block := make([]*dagdeck.Deploy, 0, pageSize)
	n := 0
	var werr error
	w := newTable(out) // one table writer, flushed per block: its buffers serve every block
	flush := func() {
		f.printHistoryRows(w, block, dep.CurrentDeployID, n == 0)
		n += len(block)
		block = block[:0]
		werr = out.Flush()
	}
	err = f.client().StreamDeploys(ctx, deployment, func(d *dagdeck.Deploy) bool {
		if block = append(block, d); len(block) == pageSize {
			flush()
		}
		return werr == nil
	})
	switch {
	case err != nil || werr != nil:
	case n+len(block) == 0:
		f.printHistory(out, nil, "")
	case len(block) > 0:
		flush()
	}
	if err == nil {
		err = werr
	}
	return err
}

// streamHistoryJSON writes {"deploys": [...]} as printJSON would, one
// deploy at a time.
func streamHistoryJSON(ctx context.Context, f *factory, deployment string, out *bufio.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	io.WriteString(out, "{\n  \"deploys\": [")
	n := 0
	var encErr error
	err := f.client().StreamDeploys(ctx, deployment, func(d *dagdeck.Deploy) bool {
		buf.Reset()
		if encErr = enc.Encode(d); encErr != nil {
			return false
		}
		if n > 0 {
			out.WriteByte(',')
		}
		out.WriteString("\n    ")
		_, werr := out.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		n++
		return werr == nil // stdout closed: stop reading
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

// printHistory writes the Deploy History table, the current deploy marked
// with "*".
func (f *factory) printHistory(out io.Writer, ds []*dagdeck.Deploy, currentID string) {
	if len(ds) == 0 {
		fmt.Fprintln(out, "No deploys yet. Deploy with: dagdeck deploy --deployment NAME")
		return
	}
	f.printHistoryRows(newTable(out), ds, currentID, true)
}

// printHistoryRows writes rows of the Deploy History table to w, with the
// header when asked, and flushes w: their columns are aligned together.
func (f *factory) printHistoryRows(w *tabwriter.Writer, ds []*dagdeck.Deploy, currentID string, header bool) {
	var seqs map[string]int64 // for "↩ #N": built only when a rollback is listed
	for _, d := range ds {
		if d.RollbackFromID != "" {
			seqs = make(map[string]int64, len(ds))
			for _, d := range ds {
				seqs[d.ID] = d.Sequence
			}
			break
		}
	}
	p, now := f.colors(), f.now()
	if header {
		row(w, p.plain(""), "SEQ", "ID", "COMMIT", "TIME", "USER", "TYPE", "IMAGE TAG", "RUNTIME", "DAG BUNDLE", p.plain("STATUS"), "ROLLBACK", "DESCRIPTION")
	}
	var line []byte
	for _, d := range ds {
		line = appendRow(line[:0], currentMark(p, d.ID == currentID), strconv.FormatInt(d.Sequence, 10), d.ID, orDash(shortCommit(d.BundleCommit)), formatTime(d.CreatedAt, now), orDash(d.CreatedBy.Name),
			string(d.Type), orDash(imageWithPin(d)), orDash(d.RuntimeVersion), orDash(d.DagBundleVersion),
			p.status(d.Status), eligibility(d, d.ID == currentID), historyDescription(d, seqs))
		w.Write(line)
	}
	w.Flush()
}

// currentMark is the first cell of a history row: "*" for the current deploy.
func currentMark(p palette, current bool) painted {
	if current {
		return p.current("*")
	}
	return p.plain("")
}

// shortCommit is the short form of a bundle commit, as git abbreviates it.
func shortCommit(sha string) string { return sha[:min(len(sha), 10)] }

// eligibility renders whether a deploy can be rolled back to: "CURRENT"
// for the current deploy (rolling back to it is refused unless its setting
// changed since), "yes" (and whether it is pinned), or the reason.
func eligibility(d *dagdeck.Deploy, current bool) string {
	switch {
	case current:
		return "CURRENT"
	case d.Rollback.Eligible && d.Pin != nil:
		return "yes (pinned)"
	case d.Rollback.Eligible:
		return "yes"
	}
	return orDash(d.Rollback.Reason)
}

// historyDescription is the truncated description, marked for a rollback
// with the deploy it restored ("↩ #3" when that deploy is listed).
func historyDescription(d *dagdeck.Deploy, seqs map[string]int64) string {
	desc := truncate(d.Description, 50)
	if d.DescriptionEdited {
		desc += " (edited)"
	}
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
// Deployment, the server resolves ref: a deploy id, its bundle commit (or
// a unique prefix of at least 7 hex digits), "#N" (sequence number N),
// "#-N" (the Nth deploy before the current one) or "previous" (what a
// rollback goes back to by default).
//
// Without a Deployment (*deployment == ""), a reference other than an id
// or a bundle commit uses the default Deployment (see defaultDeployment),
// and a deploy id or commit is looked up: its Deployment is stored in
// *deployment.
func (f *factory) resolveDeploy(ctx context.Context, deployment *string, ref string) (*dagdeck.Deploy, error) {
	if *deployment != "" {
		return f.client().GetDeploy(ctx, *deployment, ref)
	}
	if strings.HasPrefix(ref, "#") || ref == "previous" {
		if ok, err := f.useDefaultDeployment(deployment); err != nil || ok {
			if err != nil {
				return nil, err
			}
			return f.resolveDeploy(ctx, deployment, ref)
		}
		return nil, usagef("--deployment is needed to find deploy %s", ref)
	}
	d, err := f.client().GetDeployByID(ctx, ref)
	if err != nil {
		return nil, err
	}
	*deployment = d.DeploymentID
	return d, nil
}
