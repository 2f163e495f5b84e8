package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newDeploysInspectCmd(f *factory) *cobra.Command {
	var deployment string
	cmd := &cobra.Command{
		Use:   "inspect DEPLOY_ID [--deployment ID_OR_NAME]",
		Short: "Show every field of one deploy",
		Long:  "Show every field of one deploy. DEPLOY_ID is a deploy id, or #N for the deploy with sequence number N.",
		Example: `  dagdeck deploys inspect 01hx3k… --deployment etl-prod
  dagdeck deploys inspect '#3' --deployment etl-prod -o json`,
		Args: exactArgs(1, "one deploy id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			d, err := f.client().GetDeploy(cmd.Context(), deployment, id)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(d)
			}
			printDeploy(f.out, d, f.now())
			return nil
		},
	}
	optionalDeploymentFlag(cmd, &deployment)
	return cmd
}

// printDeploy writes every field of a deploy.
func printDeploy(out io.Writer, d *dagdeck.Deploy, now time.Time) {
	w := newTable(out)
	field(w, "ID", d.ID)
	field(w, "Deployment", d.DeploymentID)
	field(w, "Sequence", "#"+strconv.FormatInt(d.Sequence, 10))
	field(w, "Type", string(d.Type))
	field(w, "Status", string(d.Status))
	field(w, "Failure reason", d.FailureReason)
	field(w, "Description", d.Description)
	field(w, "Created", formatTime(d.CreatedAt, now))
	field(w, "Created by", fmt.Sprintf("%s (%s %s)", d.CreatedBy.Name, d.CreatedBy.Kind, d.CreatedBy.ID))
	field(w, "Finalized", formatTimePtr(d.FinalizedAt, now))
	field(w, "Image repository", d.ImageRepository)
	field(w, "Image tag", d.ImageTag)
	field(w, "Image digest", d.ImageDigest)
	field(w, "Image pinned", d.PinnedImage())
	field(w, "Runtime", d.RuntimeVersion)
	field(w, "DAG bundle version", d.DagBundleVersion)
	field(w, "DAG bundle digest", d.DagBundleDigest)
	field(w, "DAG deploys", yesNo(d.IsDagDeployEnabled))
	field(w, "Rollback of", d.RollbackFromID)
	field(w, "Bundle commit", d.BundleCommit)
	if d.Git != nil {
		field(w, "Git commit", d.Git.CommitSHA)
		field(w, "Git branch", d.Git.Branch)
		field(w, "Git remote", d.Git.RemoteURL)
	}
	field(w, "Artifacts pruned", yesNo(d.ArtifactsPruned))
	if p := d.Pin; p != nil {
		field(w, "Pinned", fmt.Sprintf("by %s %s: %s%s", p.By.Name, formatTime(p.At, now), p.Reason, untilText(p.Until)))
	}
	if q := d.Quarantine; q != nil {
		field(w, "Quarantined", fmt.Sprintf("by %s %s: %s", q.By.Name, formatTime(q.At, now), q.Reason))
	}
	field(w, "Can roll back to", eligibility(d))
	w.Flush()
}

func newDeploysDownloadCmd(f *factory) *cobra.Command {
	var deployment, part, output string
	cmd := &cobra.Command{
		Use:   "download DEPLOY_ID [--deployment ID_OR_NAME]",
		Short: "Download a deploy's DAG bundle or image as a tar.gz",
		Example: `  dagdeck deploys download 01hx3k… --deployment etl-prod --part dags -O dags.tar.gz
  dagdeck deploys download '#3' --deployment etl-prod --part image -O - | tar tz`,
		Args: exactArgs(1, "one deploy id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if part != client.PartDAGs && part != client.PartImage {
				return usagef("--part must be dags or image, not %q", part)
			}
			id, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			if output == "" {
				output = fmt.Sprintf("%s-%s.tar.gz", id, part)
			}
			return f.download(cmd.Context(), deployment, id, part, output)
		},
	}
	optionalDeploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&part, "part", client.PartDAGs, "what to download: dags or image")
	cmd.Flags().StringVarP(&output, "output-file", "O", "", "file to write, - for stdout (default DEPLOY_ID-PART.tar.gz)")
	return cmd
}

// download writes an archive to path ("-" for stdout) through a temporary
// file, so a failed download leaves no partial file.
func (f *factory) download(ctx context.Context, deployment, id, part, path string) error {
	body, err := f.client().DownloadArchive(ctx, deployment, id, part)
	if err != nil {
		return err
	}
	defer body.Close()
	if path == "-" {
		_, err = io.Copy(f.out, body)
		return err
	}
	n, err := writeFileAtomic(path, body)
	if err != nil {
		return fmt.Errorf("download to %s: %w", path, err)
	}
	fmt.Fprintf(f.errOut, "Wrote %s (%s).\n", path, formatBytes(n))
	return nil
}

func writeFileAtomic(path string, r io.Reader) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dagdeck-download-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return n, err
}
