package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// diffOptions are the flags and arguments of `deploys diff`.
type diffOptions struct {
	deployment string
	from, to   string
	stat       bool
	nameOnly   bool
	dags       bool
	image      bool
	exitCode   bool
}

func newDeploysDiffCmd(f *factory) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff FROM [TO] --deployment ID_OR_NAME",
		Short: "Show what changed between two deploys, as a unified diff",
		Long: `Show what changed from deploy FROM to deploy TO (default: the current
deploy) as a unified diff of the files of the image and the DAG bundle, like
git diff. Binary files and files over 1 MiB are summarized, not printed.

A deploy is named by its id, #N (its number), #-N (the Nth deploy before
the current one) or previous. --stat prints the changed lines per file and
a summary line; --name-only the changed paths; -o json the changes with
their hunks. A change of the runtime version or of an external image
(deploy --image-name) is named on a line before the first file. With
--exit-code the command exits with 1 when the deploys differ and 0 when
they do not, like git diff --exit-code. Colours are used on a terminal
only, never with NO_COLOR set.`,
		Example: `  dagdeck deploys diff '#-1' --deployment etl-prod        # the last deploy's changes
  dagdeck deploys diff '#3' '#5' --deployment etl-prod --stat
  dagdeck deploys diff previous --deployment etl-prod --dags --name-only
  dagdeck deploys diff '#3' --deployment etl-prod --exit-code >/dev/null || echo changed`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("%s takes FROM and optionally TO (got %d argument(s))", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.from = args[0]
			if len(args) == 2 {
				o.to = args[1]
			}
			return runDeploysDiff(cmd.Context(), f, o)
		},
	}
	f.deploymentFlag(cmd, &o.deployment)
	fl := cmd.Flags()
	fl.BoolVar(&o.stat, "stat", false, "print changed lines per file and a summary instead of the diff")
	fl.BoolVar(&o.nameOnly, "name-only", false, "print only the changed paths")
	fl.BoolVar(&o.dags, "dags", false, "only the DAG bundle (dags/)")
	fl.BoolVar(&o.image, "image", false, "only the image's files outside dags/")
	fl.BoolVar(&o.exitCode, "exit-code", false, "exit with 1 if the deploys differ, 0 if not")
	cmd.MarkFlagsMutuallyExclusive("dags", "image")
	cmd.MarkFlagsMutuallyExclusive("stat", "name-only")
	return cmd
}

// maxNamesPage is the API's largest page: paths alone are cheap.
const maxNamesPage = 1000

// runDeploysDiff prints the diff page by page (all of it for --stat and
// -o json, which need every file first).
func runDeploysDiff(ctx context.Context, f *factory, o diffOptions) error {
	opts := dagdeck.DiffOptions{Contents: !o.nameOnly}
	if o.nameOnly {
		opts.Limit = maxNamesPage
	}
	switch {
	case o.dags:
		opts.Part = dagdeck.ManifestDAGs
	case o.image:
		opts.Part = dagdeck.ManifestImage
	}
	p := &diffPrinter{out: f.out, color: f.colors().on, escape: f.stdoutTTY()}
	stream := !f.json() && !o.stat
	var all *dagdeck.DeployDiff
	err := f.client().EachDiffPage(ctx, o.deployment, o.from, o.to, opts, func(page *dagdeck.DeployDiff) error {
		if all == nil {
			all = page
			if stream && !o.nameOnly {
				p.notes(codeChanges(page, opts.Part))
			}
		} else if !stream { // streamed pages are printed, not kept
			all.Files = append(all.Files, page.Files...)
		}
		if stream {
			p.files(page.Files, o.nameOnly)
		}
		return nil
	})
	if err != nil {
		return err
	}
	all.NextCursor = ""
	switch {
	case f.json():
		err = f.printJSON(all)
	case o.stat:
		p.notes(codeChanges(all, opts.Part))
		printDiffStat(f.out, all.Files)
	}
	if err == nil && o.exitCode && (all.Stat.Files > 0 || len(codeChanges(all, opts.Part)) > 0) {
		return &exitError{code: 1}
	}
	return err
}

// codeChanges describes what differs besides the files: the runtime
// version and an external image's digest (nothing for the DAG bundle alone).
func codeChanges(d *dagdeck.DeployDiff, part string) []string {
	if part == dagdeck.ManifestDAGs {
		return nil
	}
	var out []string
	if d.Runtime.Changed {
		out = append(out, fmt.Sprintf("runtime %s → %s", orDash(d.Runtime.From), orDash(d.Runtime.To)))
	}
	if d.PinnedImage.Changed {
		out = append(out, fmt.Sprintf("image %s → %s", orDash(d.PinnedImage.From), orDash(d.PinnedImage.To)))
	}
	return out
}

// diffPrinter writes FileDiffs as a unified diff, in colour on a terminal.
// On a terminal, control characters in paths and contents are shown
// visibly (see visible) so a file cannot rewrite the screen; piped, the
// diff stays byte for byte what patch and git apply expect.
type diffPrinter struct {
	out    io.Writer
	color  bool
	escape bool
}

// ANSI colours, as git uses them.
const (
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

func (p *diffPrinter) files(files []dagdeck.FileDiff, nameOnly bool) {
	for i := range files {
		if nameOnly {
			p.line("", files[i].Path)
		} else {
			p.file(&files[i])
		}
	}
}

// notes writes lines before the first file's diff, where patch and git
// apply ignore them.
func (p *diffPrinter) notes(lines []string) {
	for _, l := range lines {
		p.line(ansiBold, l)
	}
}

// line writes one line, coloured when it should be.
func (p *diffPrinter) line(color, text string) {
	if p.escape {
		text = visible(text)
	}
	if p.color && color != "" {
		fmt.Fprintln(p.out, color+text+ansiReset)
		return
	}
	fmt.Fprintln(p.out, text)
}
