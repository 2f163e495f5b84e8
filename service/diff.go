package service

import (
	"context"
	"fmt"
	"io/fs"
	"sort"

	"github.com/dagdeck/dagdeck"
)

// Limits of a deploy diff.
const (
	// DefaultDiffPage and MaxDiffPage bound the files of one page.
	DefaultDiffPage = 100
	MaxDiffPage     = 1000
	// MaxDiffFileSize is the largest file whose content is diffed; larger
	// files are summarized.
	MaxDiffFileSize = 1 << 20
	// MaxDiffLines is the most hunk lines shown for one file; a longer
	// diff is summarized with its counts.
	MaxDiffLines = 5000
	// diffPageBytes bounds the content one page reads: a page ends at the
	// file that passes it, so a diff of a large project stays fast.
	diffPageBytes = 8 << 20
)

// fileChange is a changed file with its manifest entries (nil on the side
// where it does not exist).
type fileChange struct {
	dagdeck.FileDiff
	old, new *dagdeck.ManifestFile
}

// DiffDeploys returns what differs between two deploys of a Deployment,
// from fromRef to toRef (the current deploy when toRef is ""): one page of
// changed files, sorted by path, with their line diffs when opts.Contents.
// Both refs take every form a deploy id does (#N, #-N, previous).
// Requires the viewer role.
//
// EINVALID for a bad part, limit or reference; ENOTFOUND for an unknown
// Deployment or deploy, or when a deploy's artifacts are no longer stored.
func (s *Service) DiffDeploys(ctx context.Context, deploymentIDOrName, fromRef, toRef string, opts dagdeck.DiffOptions) (*dagdeck.DeployDiff, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	if err := checkDiffOptions(&opts); err != nil {
		return nil, err
	}
	from, to, err := s.diffEnds(ctx, deploymentIDOrName, fromRef, toRef)
	if err != nil {
		return nil, err
	}
	changes, err := s.fileChanges(ctx, from, to, opts.Part)
	if err != nil {
		return nil, err
	}
	out := &dagdeck.DeployDiff{
		From: from, To: to,
		Image:       stringChange(imageRef(from), imageRef(to)),
		PinnedImage: stringChange(from.PinnedImage(), to.PinnedImage()),
		Runtime:     stringChange(from.RuntimeVersion, to.RuntimeVersion),
		Stat:        statOf(changes),
	}
	for _, c := range changes[:min(opts.Index, len(changes))] {
		out.Index = append(out.Index, c.FileDiff) // copied before the page's hunks are filled in
	}
	page, next := pageOf(changes, opts)
	if opts.Contents {
		if err := s.fillContents(ctx, page); err != nil {
			return nil, err
		}
	}
	out.Files = make([]dagdeck.FileDiff, len(page))
	for i, c := range page {
		out.Files[i] = c.FileDiff
	}
	out.NextCursor = next
	return out, nil
}

func checkDiffOptions(opts *dagdeck.DiffOptions) error {
	switch opts.Part {
	case "", dagdeck.ManifestDAGs, dagdeck.ManifestImage:
	default:
		return dagdeck.Errorf(dagdeck.EINVALID, "part %q: want %q or %q", opts.Part, dagdeck.ManifestDAGs, dagdeck.ManifestImage)
	}
	if opts.Index < 0 {
		return dagdeck.Errorf(dagdeck.EINVALID, "index %d: want 0 or more", opts.Index)
	}
	switch {
	case opts.Limit < 0 || opts.Limit > MaxDiffPage:
		return dagdeck.Errorf(dagdeck.EINVALID, "limit %d: want 1 to %d", opts.Limit, MaxDiffPage)
	case opts.Limit == 0:
		opts.Limit = DefaultDiffPage
	}
	return nil
}

// diffEnds resolves the two deploys of a diff, with their eligibility.
func (s *Service) diffEnds(ctx context.Context, deploymentIDOrName, fromRef, toRef string) (from, to *dagdeck.Deploy, err error) {
	if fromRef == "" {
		return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "a diff needs the deploy to compare from")
	}
	err = s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if from, err = s.findDeployOf(ctx, tx, dep, fromRef); err != nil {
			return err
		}
		if toRef == "" {
			to, err = currentDeploy(ctx, tx, dep)
		} else {
			to, err = s.findDeployOf(ctx, tx, dep, toRef)
		}
		if err != nil {
			return err
		}
		j, err := s.judge(ctx, tx, dep.ID)
		if err != nil {
			return err
		}
		j.apply(from)
		j.apply(to)
		return nil
	})
	return from, to, err
}

// fileChanges lists the files that differ between two deploys' DAG files
// and image files (only those of part, unless part is ""), sorted by path.
func (s *Service) fileChanges(ctx context.Context, from, to *dagdeck.Deploy, part string) ([]*fileChange, error) {
	var out []*fileChange
	for _, p := range []struct {
		name  string
		files func(context.Context, *dagdeck.Deploy) (*dagdeck.Manifest, error)
	}{{dagdeck.ManifestDAGs, s.dagFiles}, {dagdeck.ManifestImage, s.imageFiles}} {
		if part != "" && part != p.name {
			continue
		}
		a, err := diffManifest(ctx, from, p.files)
		if err != nil {
			return nil, err
		}
		b, err := diffManifest(ctx, to, p.files)
		if err != nil {
			return nil, err
		}
		out = append(out, manifestChanges(p.name, a, b)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// diffManifest reads one side's files, saying which deploy lost its artifacts.
func diffManifest(ctx context.Context, d *dagdeck.Deploy, files func(context.Context, *dagdeck.Deploy) (*dagdeck.Manifest, error)) (*dagdeck.Manifest, error) {
	m, err := files(ctx, d)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "cannot diff %s: its artifacts are no longer stored (ARTIFACTS_MISSING)", d)
	} else if err != nil {
		return nil, fmt.Errorf("files of %s: %w", d, err)
	}
	return m, nil
}

// manifestChanges classifies the files that differ between two manifests.
func manifestChanges(part string, a, b *dagdeck.Manifest) []*fileChange {
	index := func(m *dagdeck.Manifest) map[string]*dagdeck.ManifestFile {
		out := make(map[string]*dagdeck.ManifestFile, len(m.Files))
		for i := range m.Files {
			out[m.Files[i].Path] = &m.Files[i]
		}
		return out
	}
	ia, ib := index(a), index(b)
	added, removed, changed := dagdeck.DiffManifests(a, b)
	out := make([]*fileChange, 0, len(added)+len(removed)+len(changed))
	for _, lists := range [][]string{added, removed, changed} {
		for _, p := range lists {
			out = append(out, newFileChange(part, p, ia[p], ib[p]))
		}
	}
	return out
}

func newFileChange(part, path string, old, new *dagdeck.ManifestFile) *fileChange {
	c := &fileChange{old: old, new: new, FileDiff: dagdeck.FileDiff{Path: path, Part: part}}
	if old != nil {
		c.OldMode, c.OldSize, c.OldDigest, c.OldTarget = gitMode(old.Mode), old.Size, old.Digest, old.Target
	}
	if new != nil {
		c.NewMode, c.NewSize, c.NewDigest, c.NewTarget = gitMode(new.Mode), new.Size, new.Digest, new.Target
	}
	c.Status = fileStatus(old, new)
	return c
}

// fileStatus classifies a changed file.
func fileStatus(old, new *dagdeck.ManifestFile) string {
	switch {
	case old == nil:
		return dagdeck.FileAdded
	case new == nil:
		return dagdeck.FileRemoved
	case isLink(old) != isLink(new) || old.Target != new.Target:
		return dagdeck.FileLinkChanged
	case old.Digest != new.Digest:
		return dagdeck.FileModified
	}
	return dagdeck.FileModeChanged
}

func isLink(f *dagdeck.ManifestFile) bool { return f.Mode.Type() == fs.ModeSymlink }

// gitMode renders a file mode as git does: 120000 for a symlink, 100 and
// the permission bits for a regular file.
func gitMode(m fs.FileMode) string {
	if m.Type() == fs.ModeSymlink {
		return "120000"
	}
	return fmt.Sprintf("100%03o", m.Perm())
}

func statOf(changes []*fileChange) dagdeck.DiffStat {
	st := dagdeck.DiffStat{Files: len(changes)}
	for _, c := range changes {
		switch c.Status {
		case dagdeck.FileAdded:
			st.Added++
		case dagdeck.FileRemoved:
			st.Removed++
		default:
			st.Changed++
		}
	}
	return st
}

// pageOf returns the page of changes after opts.Cursor and the cursor of
// the next page. With contents, a page also ends at the file whose content
// passes diffPageBytes.
func pageOf(changes []*fileChange, opts dagdeck.DiffOptions) ([]*fileChange, string) {
	start := sort.Search(len(changes), func(i int) bool { return changes[i].Path > opts.Cursor })
	rest := changes[start:]
	n, bytes := 0, int64(0)
	for n < len(rest) && n < opts.Limit && (!opts.Contents || bytes < diffPageBytes) {
		bytes += contentCost(rest[n])
		n++
	}
	if n == len(rest) {
		return rest, ""
	}
	return rest[:n], rest[n-1].Path
}

// contentCost is how many bytes diffing a file's content reads.
func contentCost(c *fileChange) int64 {
	var n int64
	for _, size := range []int64{c.OldSize, c.NewSize} {
		if size <= MaxDiffFileSize {
			n += size
		}
	}
	return n
}
