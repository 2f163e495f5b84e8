package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/cli"
	"github.com/dagdeck/dagdeck/dump"
)

// newExportCmd returns `dagdeck export`.
func newExportCmd() *cobra.Command {
	var b backendFlags
	var out string
	cmd := &cobra.Command{
		Use:   "export -f FILE",
		Short: "Write a whole installation (metadata and artifacts) to a tar file",
		Long: `Write every Deployment, deploy, token, user and artifact of an installation
to one tar file, which "dagdeck import" loads into other stores. Stop the
server first so the snapshot is consistent.`,
		Example: `  dagdeck export -f dagdeck-backup.tar`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, artifacts, err := b.open(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			w, closeFile, err := createOutput(out, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			stats, err := dump.Export(cmd.Context(), store, artifacts, w)
			if err = closeFile(err); err != nil {
				return err
			}
			return reportStats(cmd, "Exported", stats, out != "-")
		},
	}
	b.register(cmd.Flags())
	cmd.Flags().StringVarP(&out, "file", "f", "", `file to write ("-" for standard output)`)
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// newImportCmd returns `dagdeck import`.
func newImportCmd() *cobra.Command {
	var b backendFlags
	var in string
	cmd := &cobra.Command{
		Use:   "import -f FILE",
		Short: "Load an export into empty stores (e.g. PostgreSQL and S3)",
		Long: `Load a file written by "dagdeck export" into empty stores. Every artifact is
verified against its digest; the records are written in one transaction, so
a failed import leaves none.`,
		Example: `  dagdeck import -f dagdeck-backup.tar \
      --database-url postgres://dagdeck@db.internal/dagdeck --artifacts s3://dagdeck-artifacts/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, artifacts, err := b.open(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			r := io.Reader(cmd.InOrStdin())
			if in != "-" {
				f, err := os.Open(in)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			stats, err := dump.Import(cmd.Context(), store, artifacts, r)
			if err != nil {
				return err
			}
			return reportStats(cmd, "Imported", stats, true)
		},
	}
	b.register(cmd.Flags())
	cmd.Flags().StringVarP(&in, "file", "f", "", `file to read ("-" for standard input)`)
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// open opens the stores the flags name.
func (b *backendFlags) open(ctx context.Context) (dagdeck.Store, dagdeck.ArtifactStore, error) {
	if err := b.resolve(); err != nil {
		return nil, nil, err
	}
	store, err := openStore(ctx, b.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("open metadata store: %w", err)
	}
	artifacts, err := openArtifacts(ctx, b.ArtifactsURL)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("open artifact store: %w", err)
	}
	return store, artifacts, nil
}

// createOutput opens path for writing through a temp file renamed into
// place on success, so a failed export leaves no partial file; "-" is stdout.
func createOutput(path string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if path == "-" {
		return stdout, func(err error) error { return err }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dagdeck-export-*")
	if err != nil {
		return nil, nil, err
	}
	finish := func(err error) error {
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
		return err
	}
	return tmp, finish, nil
}

// reportStats says what an export or import moved: on stderr, or with -o
// json as dump.Stats on stdout when stdout is not the export itself.
func reportStats(cmd *cobra.Command, verb string, stats *dump.Stats, stdoutFree bool) error {
	if cli.JSONOutput(cmd) && stdoutFree {
		return cli.PrintJSON(cmd.OutOrStdout(), stats)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s %d Deployment(s), %d deploy(s), %d artifact(s) (%d bytes).\n", verb, stats.Deployments, stats.Deploys, stats.Blobs, stats.Bytes)
	return nil
}
