package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// TreeStamp returns a digest of the metadata of every entry under dir:
// path, type and mode, size, modification time, and where the system has
// them owner and inode (of dir itself only its mode). Writing, replacing,
// adding, removing, renaming or re-moding any entry changes it, without
// reading any content; only a change that also sets the modification time
// back to the nanosecond escapes it. Not the change time: a tree's files
// are hard links to the pool's, and linking one into another tree moves
// it. The entries are stat'ed in parallel. Materialize returns the stamp of
// the tree it builds, from what it knows, without stat'ing it again.
func TreeStamp(dir string) (string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	lines := make([]stampLine, len(paths))
	var g errgroup.Group
	g.SetLimit(stampWorkers)
	for start := 0; start < len(paths); start += stampChunk {
		end := min(start+stampChunk, len(paths))
		g.Go(func() error {
			for i, path := range paths[start:end] {
				fi, err := os.Lstat(path)
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				lines[start+i] = infoLine(filepath.ToSlash(rel), fi)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	return stampDigest(lines), nil
}

// How TreeStamp splits its work.
const (
	stampWorkers = 8
	stampChunk   = 256
)

// stampLine is one entry's part of a tree stamp.
type stampLine struct {
	rel  string // slash-separated, "." for the tree itself
	line string
}

// infoLine is the stamp line of the entry rel of a tree, described by fi.
func infoLine(rel string, fi fs.FileInfo) stampLine {
	if rel == "." { // its times mark its activations
		return stampLine{rel, fmt.Sprintf(". %o\n", fi.Mode())}
	}
	return entryLine(rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sysStamp(fi))
}

// entryLine is the stamp line of an entry with this metadata.
func entryLine(rel string, mode fs.FileMode, size, mtime int64, sys string) stampLine {
	return stampLine{rel, fmt.Sprintf("%q %o %d %d %s\n", rel, mode, size, mtime, sys)}
}

// stampDigest hashes lines in the order of their paths.
func stampDigest(lines []stampLine) string {
	slices.SortFunc(lines, func(a, b stampLine) int { return strings.Compare(a.rel, b.rel) })
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l.line))
	}
	return hex.EncodeToString(h.Sum(nil))
}
