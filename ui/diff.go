package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// diffPageFiles is how many files' hunks one diff page shows: the first
// screen of a large diff comes fast, and the pager loads the rest.
const diffPageFiles = 20

// diffView is the diff between two deploys: the list of every changed file
// and the hunks of one page of them.
type diffView struct {
	Deployment string
	Diff       *dagdeck.DeployDiff
	// List is every changed file (up to the service's page limit), with
	// its counts when its hunks are on this page.
	List []diffListRow
	// Unlisted counts the changed files past the list.
	Unlisted int
	Part     string
	// Query is from, to and part, to build links with.
	Query    string
	FirstURL string
	NextURL  string
}

// diffListRow is one file of the list and where its hunks are.
type diffListRow struct {
	dagdeck.FileDiff
	// Loaded says its hunks and counts are on this page; otherwise URL
	// opens the page that starts with it.
	Loaded bool
	URL    string
}

func (u *UI) handleDiff(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	name, from, to := r.PathValue("name"), q.Get("from"), q.Get("to")
	opts := dagdeck.DiffOptions{Part: q.Get("part"), Cursor: q.Get("cursor"), Contents: true, Limit: diffPageFiles, Index: maxDiffList}
	page, err := u.svc.Deploys.DiffDeploys(r.Context(), name, from, to, opts)
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view := newDiffView(name, opts, page)
	title := fmt.Sprintf("Diff #%d → #%d · %s", page.From.Sequence, page.To.Sequence, name)
	u.render(w, r, http.StatusOK, "diff", u.newPage(v, title, "deployments", view))
}

// maxDiffList is how many changed files the list names.
const maxDiffList = 1000

func newDiffView(name string, opts dagdeck.DiffOptions, page *dagdeck.DeployDiff) *diffView {
	query := url.Values{"from": {page.From.ID}, "to": {page.To.ID}}
	if opts.Part != "" {
		query.Set("part", opts.Part)
	}
	base := "/deployments/" + url.PathEscape(name) + "/diff?" + query.Encode()
	view := &diffView{Deployment: name, Diff: page, Part: opts.Part, Query: query.Encode(), Unlisted: page.Stat.Files - len(page.Index)}
	loaded := make(map[string]dagdeck.FileDiff, len(page.Files))
	for _, f := range page.Files {
		loaded[f.Path] = f
	}
	for i, f := range page.Index {
		row := diffListRow{FileDiff: f, URL: base + "#" + fileAnchor(f.Path)}
		if lf, ok := loaded[f.Path]; ok {
			row.FileDiff, row.Loaded = lf, true
		} else if i > 0 {
			row.URL = base + "&cursor=" + url.QueryEscape(page.Index[i-1].Path) + "#" + fileAnchor(f.Path)
		}
		view.List = append(view.List, row)
	}
	if opts.Cursor != "" {
		view.FirstURL = base
	}
	if page.NextCursor != "" {
		view.NextURL = base + "&cursor=" + url.QueryEscape(page.NextCursor)
	}
	return view
}

// fileAnchor is the id of a file's section on the diff page.
func fileAnchor(path string) string { return "file-" + anchorReplacer.Replace(path) }

var anchorReplacer = strings.NewReplacer("/", "-", " ", "_")

// diffRow is one line of a hunk as the page shows it, with its line
// numbers in the old and new file (0 where it has none).
type diffRow struct {
	Old, New int
	Class    string
	Text     string
}

// hunkRows numbers a hunk's lines.
func hunkRows(h dagdeck.DiffHunk) []diffRow {
	rows := make([]diffRow, 0, len(h.Lines))
	old, new := h.OldStart, h.NewStart
	for _, l := range h.Lines {
		r := diffRow{Class: diffLineClass(l), Text: l}
		switch r.Class {
		case "del":
			r.Old, old = old, old+1
		case "add":
			r.New, new = new, new+1
		case "ctx":
			r.Old, r.New, old, new = old, new, old+1, new+1
		}
		rows = append(rows, r)
	}
	return rows
}

// diffLineClass is the CSS class of a hunk line: add, del, ctx or note.
func diffLineClass(line string) string {
	switch {
	case strings.HasPrefix(line, "+"):
		return "add"
	case strings.HasPrefix(line, "-"):
		return "del"
	case strings.HasPrefix(line, `\`):
		return "note"
	}
	return "ctx"
}

// contentLabel says why a file's lines are not counted: "binary", "too
// large", "missing" or "mode only".
func contentLabel(content string) string {
	if content == dagdeck.ContentSame {
		return "mode only"
	}
	return strings.ToLower(strings.ReplaceAll(content, "_", " "))
}

// fileStatusLabel names a file's change for people.
func fileStatusLabel(status string) string {
	switch status {
	case dagdeck.FileAdded:
		return "added"
	case dagdeck.FileRemoved:
		return "removed"
	case dagdeck.FileModeChanged:
		return "mode"
	case dagdeck.FileLinkChanged:
		return "symlink"
	}
	return "changed"
}
