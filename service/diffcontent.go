package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff/lcs"
	"golang.org/x/sync/errgroup"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/humanize"
)

// diffContext is the number of unchanged lines around each hunk, as in git.
const diffContext = 3

// diffReaders is how many files of a page are read at once (an S3 round
// trip each).
const diffReaders = 8

// fillContents sets the content diff of every change, reading a few files
// at once.
func (s *Service) fillContents(ctx context.Context, changes []*fileChange) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(diffReaders)
	for _, c := range changes {
		g.Go(func() error { return s.fillContent(ctx, c) })
	}
	return g.Wait()
}

// fillContent diffs one file's content, or summarizes it when it is
// binary, too large or gone from the artifact store.
func (s *Service) fillContent(ctx context.Context, c *fileChange) error {
	if c.Status == dagdeck.FileModeChanged {
		c.Content = dagdeck.ContentSame
		return nil
	}
	if c.OldSize > MaxDiffFileSize || c.NewSize > MaxDiffFileSize {
		c.Content = dagdeck.ContentTooLarge
		c.Summary = fmt.Sprintf("file of %s: over the %s diff limit", humanize.Bytes(max(c.OldSize, c.NewSize)), humanize.Bytes(MaxDiffFileSize))
		return nil
	}
	old, err := s.readContent(ctx, c.old)
	if err != nil {
		return s.missingContent(c, err)
	}
	new, err := s.readContent(ctx, c.new)
	if err != nil {
		return s.missingContent(c, err)
	}
	if isBinary(old) || isBinary(new) {
		c.Content = dagdeck.ContentBinary
		c.Summary = fmt.Sprintf("binary file: %s → %s", humanize.Bytes(c.OldSize), humanize.Bytes(c.NewSize))
		return nil
	}
	setLineDiff(c, string(old), string(new))
	return nil
}

// readContent returns what a diff shows of a manifest entry: a file's
// bytes, a symlink's target, nothing for a missing side.
func (s *Service) readContent(ctx context.Context, f *dagdeck.ManifestFile) ([]byte, error) {
	switch {
	case f == nil:
		return nil, nil
	case isLink(f):
		return []byte(f.Target), nil
	}
	rc, err := s.artifacts.Open(ctx, f.Digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxDiffFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return b, nil
}

// missingContent summarizes a file whose blob is gone; other errors stop the diff.
func (s *Service) missingContent(c *fileChange, err error) error {
	if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return fmt.Errorf("diff %s: %w", c.Path, err)
	}
	c.Content = dagdeck.ContentMissing
	c.Summary = "content no longer stored"
	return nil
}

// isBinary reports whether content is not text: a NUL byte in its first
// 8,000 bytes (git's test) or invalid UTF-8.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 || !utf8.Valid(b)
}

// setLineDiff computes the hunks and counts of a text file's diff, or only
// the counts when the hunks pass MaxDiffLines.
func setLineDiff(c *fileChange, old, new string) {
	a, b := splitLines(old), splitLines(new)
	diffs := lcs.DiffLines(a, b)
	for _, d := range diffs {
		c.Deletions += d.End - d.Start
		c.Additions += d.ReplEnd - d.ReplStart
	}
	c.Content = dagdeck.ContentText
	if c.Additions+c.Deletions > MaxDiffLines {
		c.Content = dagdeck.ContentTooLarge
		c.Summary = fmt.Sprintf("diff of %d changed lines: over the %d-line limit", c.Additions+c.Deletions, MaxDiffLines)
		return
	}
	hunks := hunksOf(a, b, diffs)
	if n := hunkLines(hunks); n > MaxDiffLines {
		c.Content = dagdeck.ContentTooLarge
		c.Summary = fmt.Sprintf("diff of %d lines: over the %d-line limit", n, MaxDiffLines)
		return
	}
	c.Hunks = hunks
}

// splitLines splits text after each newline, keeping it; a last line
// without one is kept too.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// hunksOf groups line diffs into unified-diff hunks with diffContext lines
// of context; diffs closer than twice that share a hunk.
func hunksOf(a, b []string, diffs []lcs.Diff) []dagdeck.DiffHunk {
	var hunks []dagdeck.DiffHunk
	for i := 0; i < len(diffs); {
		j := i + 1
		for j < len(diffs) && diffs[j].Start-diffs[j-1].End <= 2*diffContext {
			j++
		}
		hunks = append(hunks, hunkOf(a, b, diffs[i:j]))
		i = j
	}
	return hunks
}

// hunkOf renders the diffs of one hunk with their context.
func hunkOf(a, b []string, diffs []lcs.Diff) dagdeck.DiffHunk {
	first, last := diffs[0], diffs[len(diffs)-1]
	oldStart := max(0, first.Start-diffContext)
	oldEnd := min(len(a), last.End+diffContext)
	newStart := first.ReplStart - (first.Start - oldStart)
	newEnd := last.ReplEnd + (oldEnd - last.End)
	var lines []string
	pos := oldStart
	for _, d := range diffs {
		lines = appendLines(lines, ' ', a[pos:d.Start])
		lines = appendLines(lines, '-', a[d.Start:d.End])
		lines = appendLines(lines, '+', b[d.ReplStart:d.ReplEnd])
		pos = d.End
	}
	lines = appendLines(lines, ' ', a[pos:oldEnd])
	return dagdeck.DiffHunk{
		OldStart: hunkStart(oldStart, oldEnd), OldLines: oldEnd - oldStart,
		NewStart: hunkStart(newStart, newEnd), NewLines: newEnd - newStart,
		Lines: lines,
	}
}

// hunkStart is a hunk's 1-based first line, or the line before an empty
// range, as diff -u writes it.
func hunkStart(start, end int) int {
	if start == end {
		return start
	}
	return start + 1
}

// appendLines appends lines with their prefix and without their newline;
// a line without one is followed by git's marker.
func appendLines(out []string, prefix byte, lines []string) []string {
	for _, l := range lines {
		text, ok := strings.CutSuffix(l, "\n")
		out = append(out, string(prefix)+text)
		if !ok {
			out = append(out, `\ No newline at end of file`)
		}
	}
	return out
}

func hunkLines(hunks []dagdeck.DiffHunk) int {
	n := 0
	for _, h := range hunks {
		n += len(h.Lines)
	}
	return n
}
