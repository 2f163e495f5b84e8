package localruntime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stampOf returns a digest of the metadata of every entry under dir:
// path, type and mode, size, modification time, and where the system has
// them owner, inode and change time (of dir itself only its mode). Writing, replacing, adding, removing,
// renaming or re-moding any entry changes it (the change time cannot be
// set back), without reading any content.
func stampOf(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." { // its times mark its activations (setCurrent)
			fmt.Fprintf(h, ". %o\n", fi.Mode())
			return nil
		}
		fmt.Fprintf(h, "%q %o %d %d %s\n", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sysStamp(fi))
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
