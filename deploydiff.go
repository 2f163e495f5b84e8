package dagdeck

import "strconv"

// Statuses of a file in a DeployDiff.
const (
	FileAdded       = "ADDED"        // only in the newer deploy ("to")
	FileRemoved     = "REMOVED"      // only in the older deploy ("from")
	FileModified    = "MODIFIED"     // other content (the mode may have changed too)
	FileModeChanged = "MODE_CHANGED" // same content, other mode (e.g. made executable)
	FileLinkChanged = "LINK_CHANGED" // other symlink target, or a file became a symlink or back
)

// How a file's content is shown in a DeployDiff.
const (
	ContentText     = "TEXT"      // hunks of a line diff
	ContentSame     = "SAME"      // the content did not change (a mode change)
	ContentBinary   = "BINARY"    // NUL bytes or invalid UTF-8: summarized
	ContentTooLarge = "TOO_LARGE" // a file over the size limit or a diff over the line budget: summarized
	ContentMissing  = "MISSING"   // the content is no longer stored: summarized
)

// DeployDiff is what differs between two deploys of a Deployment: the
// files of the image and of the DAG bundle, and, when contents were asked
// for, the line diff of each text file. Files come in pages, sorted by path.
type DeployDiff struct {
	From *Deploy `json:"from"`
	To   *Deploy `json:"to"`
	// Image, PinnedImage and Runtime compare the deploys' image references
	// (a packaged image's tag differs on every deploy), external images'
	// repository@sha256:… ("" for a packaged image) and runtime versions.
	Image       Change `json:"image"`
	PinnedImage Change `json:"pinnedImage"`
	Runtime     Change `json:"runtime"`
	// Stat counts the changed files of the whole diff, not only this page.
	Stat DiffStat `json:"stat"`
	// Files is this page of the changed files.
	Files []FileDiff `json:"files"`
	// NextCursor fetches the next page; "" on the last one.
	NextCursor string `json:"nextCursor,omitempty"`
	// Index lists the whole diff's first files when DiffOptions.Index
	// asked for it. Not part of the API: its clients page with NextCursor.
	Index []FileDiff `json:"-"`
}

// DiffStat counts the changed files of a DeployDiff by status.
type DiffStat struct {
	Files   int `json:"files"`
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

// FileDiff is one changed file. Modes are git's: "100644", "100755",
// "120000" for a symlink; "" on the side where the file does not exist. A
// symlink's content is its target, as in git.
type FileDiff struct {
	Path      string `json:"path"`
	Part      string `json:"part"` // ManifestDAGs or ManifestImage
	Status    string `json:"status"`
	OldMode   string `json:"oldMode,omitempty"`
	NewMode   string `json:"newMode,omitempty"`
	OldSize   int64  `json:"oldSize"`
	NewSize   int64  `json:"newSize"`
	OldDigest string `json:"oldDigest,omitempty"`
	NewDigest string `json:"newDigest,omitempty"`
	OldTarget string `json:"oldTarget,omitempty"`
	NewTarget string `json:"newTarget,omitempty"`
	// Content says how the content is shown (ContentText, …); "" when
	// contents were not asked for.
	Content string `json:"content,omitempty"`
	// Summary explains a content that is not shown (binary, too large, missing).
	Summary string `json:"summary,omitempty"`
	// Additions and Deletions count the changed lines (0 without contents,
	// and for binary files or files over the size limit).
	Additions int        `json:"additions"`
	Deletions int        `json:"deletions"`
	Hunks     []DiffHunk `json:"hunks,omitempty"`
}

// DiffHunk is one hunk of a unified diff. Each line starts with ' '
// (context), '-' (removed) or '+' (added), without its line ending; a line
// "\ No newline at end of file" follows a last line that has none.
type DiffHunk struct {
	OldStart int      `json:"oldStart"`
	OldLines int      `json:"oldLines"`
	NewStart int      `json:"newStart"`
	NewLines int      `json:"newLines"`
	Lines    []string `json:"lines"`
}

// Header returns the hunk's "@@ -1,3 +1,4 @@" line, leaving out a length
// of 1 as diff -u does.
func (h DiffHunk) Header() string {
	return "@@ -" + hunkRange(h.OldStart, h.OldLines) + " +" + hunkRange(h.NewStart, h.NewLines) + " @@"
}

func hunkRange(start, lines int) string {
	if lines == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(lines)
}

// DiffOptions selects what DiffDeploys returns.
type DiffOptions struct {
	// Part limits the diff to ManifestDAGs or ManifestImage; "" for both.
	Part string
	// Contents asks for line diffs of text files, not only the file list.
	Contents bool
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
	// Limit is the page size in files; 0 for the default.
	Limit int
	// Index, when positive, also lists up to Index changed files of the
	// whole diff, from the first, in DeployDiff.Index (without line
	// diffs): a page and the list of every file in one call.
	Index int
}
