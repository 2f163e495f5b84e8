package cli

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
			d, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(d)
			}
			return f.printDeploy(cmd.Context(), d)
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	return cmd
}

// printDeploy writes every field of a deploy, naming the deploys it refers
// to as "#N (id)" and its Deployment by name.
func (f *factory) printDeploy(ctx context.Context, d *dagdeck.Deploy) error {
	dep, err := f.client().GetDeployment(ctx, d.DeploymentID)
	if err != nil {
		return err
	}
	rollbackOf, err := f.deployRef(ctx, d.DeploymentID, d.RollbackFromID)
	if err != nil {
		return err
	}
	p, now := f.colors(), f.now()
	w := newTable(f.out)
	field(w, "Deploy", deployRef(d))
	field(w, "Deployment", fmt.Sprintf("%s (%s)", dep.Name, dep.ID))
	field(w, "Current", yesNo(dep.CurrentDeployID == d.ID))
	field(w, "Type", string(d.Type))
	field(w, "Status", p.status(d.Status))
	field(w, "Failure reason", d.FailureReason)
	field(w, "Description", d.Description)
	for _, e := range d.DescriptionEdits {
		field(w, "Description edited", fmt.Sprintf("%s by %s: %q → %q", formatTime(e.At, now), e.By.Name, e.Before, e.After))
	}
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
	field(w, "Rollback of", rollbackOf)
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
	field(w, "Can roll back to", eligibility(d, false))
	return w.Flush()
}

// deployRef names a deploy as "#N (id)".
func deployRef(d *dagdeck.Deploy) string {
	return fmt.Sprintf("#%d (%s)", d.Sequence, d.ID)
}

// deployRef names the deploy id of a Deployment as "#N (id)"; "" for no id.
func (f *factory) deployRef(ctx context.Context, deployment, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	d, err := f.client().GetDeploy(ctx, deployment, id)
	if err != nil {
		return "", fmt.Errorf("look up deploy %s: %w", id, err)
	}
	return deployRef(d), nil
}

func newDeploysDownloadCmd(f *factory) *cobra.Command {
	var deployment, part, output string
	cmd := &cobra.Command{
		Use:   "download DEPLOY_ID [--deployment ID_OR_NAME]",
		Short: "Download a deploy's code as a tar.gz",
		Long: `Download a deploy's code as a tar.gz: by default the whole code, image
and DAGs merged as the runtime runs them (--part all); --part dags or
--part image narrows it to the DAG bundle or the image.

The default file name is <deployment>-<N>-<id prefix>.tar.gz (with -dags or
-image before .tar.gz for a part), in the current directory.`,
		Example: `  dagdeck deploys download '#3' --deployment etl-prod
  dagdeck deploys download 01hx3k… --part dags -O dags.tar.gz
  dagdeck deploys download '#3' -d etl-prod -O - | tar tz`,
		Args: exactArgs(1, "one deploy id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if part != client.PartAll && part != client.PartDAGs && part != client.PartImage {
				return usagef("--part must be all, dags or image, not %q", part)
			}
			d, err := f.resolveDeploy(cmd.Context(), &deployment, args[0])
			if err != nil {
				return err
			}
			if output == "" {
				if output, err = f.archiveName(cmd.Context(), d, part); err != nil {
					return err
				}
			}
			return f.download(cmd.Context(), deployment, d.ID, part, output)
		},
	}
	f.optionalDeploymentFlag(cmd, &deployment)
	cmd.Flags().StringVar(&part, "part", client.PartAll, "what to download: all (image and DAGs merged), dags or image")
	_ = cmd.RegisterFlagCompletionFunc("part", fixedCompletion(client.PartAll, client.PartDAGs, client.PartImage))
	cmd.Flags().StringVarP(&output, "output-file", "O", "", "file to write, - for stdout (default <deployment>-<N>-<id prefix>.tar.gz)")
	return cmd
}

// archiveName is the default file name of a download: "etl-7-01hx3k9a.tar.gz",
// with "-dags" or "-image" for a part. It has no colons, so it is a valid
// file name everywhere.
func (f *factory) archiveName(ctx context.Context, d *dagdeck.Deploy, part string) (string, error) {
	dep, err := f.client().GetDeployment(ctx, d.DeploymentID)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s-%d-%s", dep.Name, d.Sequence, d.ID[:min(8, len(d.ID))])
	if part != client.PartAll {
		name += "-" + part
	}
	return strings.NewReplacer(":", "-", "/", "-", "\\", "-").Replace(name) + ".tar.gz", nil
}

// download writes an archive to path ("-" for stdout) through a temporary
// file, so a failed download leaves no partial file. The archive is checked
// while it is written (gzip checksum, tar structure to its end): an
// incomplete or corrupt one is an error.
func (f *factory) download(ctx context.Context, deployment, id, part, path string) error {
	body, err := f.client().DownloadArchive(ctx, deployment, id, part)
	if err != nil {
		return err
	}
	defer body.Close()
	if path == "-" {
		if _, err := copyVerified(f.out, body); err != nil {
			return fmt.Errorf("download to stdout: %w", err)
		}
		return nil
	}
	n, err := writeFileAtomic(path, body)
	if err != nil {
		return fmt.Errorf("download to %s: %w", path, err)
	}
	if f.json() {
		return f.printJSON(downloadJSON{DeployID: id, Part: part, Path: path, Bytes: n})
	}
	fmt.Fprintf(f.errOut, "Wrote %s (%s).\n", path, formatBytes(n))
	return nil
}

// downloadJSON is the -o json answer of deploys download to a file (with
// -O - stdout is the archive itself).
type downloadJSON struct {
	DeployID string `json:"deployId"`
	Part     string `json:"part"`
	Path     string `json:"path"`
	Bytes    int64  `json:"bytes"`
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
	n, err := copyVerified(tmp, r)
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

// copyVerified copies a tar.gz from src to dst and reads it as it goes: it
// returns an error if the archive is incomplete or corrupt.
func copyVerified(dst io.Writer, src io.Reader) (int64, error) {
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		err := checkTarGz(pr)
		pr.CloseWithError(err) // a writer still writing gets the error
		checked <- err
	}()
	n, err := io.Copy(io.MultiWriter(dst, pw), src)
	pw.CloseWithError(err)
	if cerr := <-checked; cerr != nil {
		return n, fmt.Errorf("the archive is incomplete or corrupt (%v); the server may have lost some of its files", cerr)
	}
	return n, err
}

// checkTarGz reads a whole tar.gz: gzip checksums, tar headers and contents,
// and nothing after the archive's end.
func checkTarGz(r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return err
		}
	}
	_, err = io.Copy(io.Discard, gz)
	return err
}
