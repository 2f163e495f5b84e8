package localruntime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"
)

// stampOf returns a digest of the metadata of every entry under dir:
// path, type and mode, size, modification time, and where the system has
// them owner and inode (of dir itself only its mode). Writing, replacing,
// adding, removing, renaming or re-moding any entry changes it, without
// reading any content; only a change that also sets the modification time
// back to the nanosecond escapes it (a task that can do that runs as the
// runtime's user, see docs/security.md). The entries are stat'ed in
// parallel: a rollback waits for it.
func stampOf(dir string) (string, error) {
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
	lines := make([][]byte, len(paths))
	var g errgroup.Group
	g.SetLimit(stampWorkers)
	for start := 0; start < len(paths); start += stampChunk {
		end := min(start+stampChunk, len(paths))
		g.Go(func() error { return stampLines(dir, paths[start:end], lines[start:end]) })
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, l := range lines {
		h.Write(l)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// How stampOf splits its work.
const (
	stampWorkers = 8
	stampChunk   = 256
)

// stampLines writes the stamp line of each of paths into lines.
func stampLines(dir string, paths []string, lines [][]byte) error {
	for i, path := range paths {
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if path == dir { // its times mark its activations (setCurrent)
			lines[i] = fmt.Appendf(nil, ". %o\n", fi.Mode())
			continue
		}
		rel, _ := filepath.Rel(dir, path)
		lines[i] = fmt.Appendf(nil, "%q %o %d %d %s\n", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sysStamp(fi))
	}
	return nil
}

// stampPath is where the stamp of the version directory key is kept: in
// the data directory, out of the tasks' reach.
func (vs *versionSet) stampPath(key string) string {
	return filepath.Join(vs.state, "stamps", key)
}

// writeStamp records the stamp of a version directory just built.
func (vs *versionSet) writeStamp(key string) error {
	stamp, err := stampOf(vs.dir(key))
	if err != nil {
		return fmt.Errorf("stamp %s: %w", key, err)
	}
	path := vs.stampPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(stamp), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// unchanged reports whether the version directory key is as it was built:
// its stamp is recorded and matches. A directory without a stamp (a crash
// before it was recorded, or an older runtime) counts as changed.
func (vs *versionSet) unchanged(key string) bool {
	want, err := os.ReadFile(vs.stampPath(key))
	if err != nil {
		return false
	}
	got, err := stampOf(vs.dir(key))
	return err == nil && got == string(want)
}

// removeStamp forgets the stamp of a removed version directory.
func (vs *versionSet) removeStamp(key string) { _ = os.Remove(vs.stampPath(key)) }
