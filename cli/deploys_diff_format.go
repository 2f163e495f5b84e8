package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/humanize"
)

// file writes one file's diff the way git diff does: a header, the mode
// lines, then the hunks or a summary of what is not shown.
func (p *diffPrinter) file(fd *dagdeck.FileDiff) {
	p.line(ansiBold, fmt.Sprintf("diff --git a/%s b/%s", fd.Path, fd.Path))
	for _, l := range modeLines(fd) {
		p.line(ansiBold, l)
	}
	switch fd.Content {
	case dagdeck.ContentSame:
		return
	case dagdeck.ContentBinary:
		p.line("", fmt.Sprintf("Binary files %s and %s differ", oldName(fd), newName(fd)))
		return
	case dagdeck.ContentTooLarge, dagdeck.ContentMissing:
		p.line("", fmt.Sprintf("Diff of %s not shown: %s", fd.Path, fd.Summary))
		return
	}
	p.line(ansiBold, "--- "+oldName(fd))
	p.line(ansiBold, "+++ "+newName(fd))
	for _, h := range fd.Hunks {
		p.line(ansiCyan, h.Header())
		for _, l := range h.Lines {
			p.line(lineColor(l), l)
		}
	}
}

// modeLines are git's extended header lines for a file's modes.
func modeLines(fd *dagdeck.FileDiff) []string {
	switch {
	case fd.Status == dagdeck.FileAdded:
		return []string{"new file mode " + fd.NewMode}
	case fd.Status == dagdeck.FileRemoved:
		return []string{"deleted file mode " + fd.OldMode}
	case fd.OldMode != fd.NewMode:
		return []string{"old mode " + fd.OldMode, "new mode " + fd.NewMode}
	}
	return nil
}

func oldName(fd *dagdeck.FileDiff) string {
	if fd.Status == dagdeck.FileAdded {
		return "/dev/null"
	}
	return "a/" + fd.Path
}

func newName(fd *dagdeck.FileDiff) string {
	if fd.Status == dagdeck.FileRemoved {
		return "/dev/null"
	}
	return "b/" + fd.Path
}

func lineColor(l string) string {
	switch {
	case strings.HasPrefix(l, "+"):
		return ansiGreen
	case strings.HasPrefix(l, "-"):
		return ansiRed
	}
	return ""
}

// printDiffStat writes git's --stat: one line per file with its changed
// lines (or its sizes, for a binary file), then a summary line.
func printDiffStat(out io.Writer, files []dagdeck.FileDiff) {
	width := 0
	for _, fd := range files {
		width = max(width, len(cell(fd.Path)))
	}
	adds, dels := 0, 0
	for _, fd := range files {
		adds += fd.Additions
		dels += fd.Deletions
		fmt.Fprintf(out, " %-*s | %s\n", width, cell(fd.Path), statCell(&fd))
	}
	if len(files) > 0 {
		fmt.Fprintln(out, statSummary(len(files), adds, dels))
	}
}

// statCell is "3 ++-", "Bin 10 B -> 12 B" or why a diff is not counted.
func statCell(fd *dagdeck.FileDiff) string {
	switch fd.Content {
	case dagdeck.ContentBinary, dagdeck.ContentMissing:
		return fmt.Sprintf("Bin %s -> %s", humanize.Bytes(fd.OldSize), humanize.Bytes(fd.NewSize))
	case dagdeck.ContentTooLarge:
		if fd.Additions+fd.Deletions == 0 {
			return fmt.Sprintf("Large %s -> %s", humanize.Bytes(fd.OldSize), humanize.Bytes(fd.NewSize))
		}
	}
	n := fd.Additions + fd.Deletions
	plus, minus := fd.Additions, fd.Deletions
	if n > 50 { // scale the bar to 50 characters, as git does to its width
		plus, minus = plus*50/n, minus*50/n
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s%s", n, strings.Repeat("+", plus), strings.Repeat("-", minus)))
}

// statSummary is git's closing line: " 2 files changed, 3 insertions(+), 1 deletion(-)".
func statSummary(files, adds, dels int) string {
	s := " " + plural(files, "file") + " changed"
	if adds > 0 || dels == 0 {
		s += ", " + plural(adds, "insertion") + "(+)"
	}
	if dels > 0 || adds == 0 {
		s += ", " + plural(dels, "deletion") + "(-)"
	}
	return s
}
