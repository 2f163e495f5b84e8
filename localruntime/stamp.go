package localruntime

import (
	"os"
	"path/filepath"

	"github.com/dagdeck/dagdeck/bundle"
)

// stampPath is where the stamp of the version directory key is kept: in
// the data directory, out of the tasks' reach.
func (vs *versionSet) stampPath(key string) string {
	return filepath.Join(vs.state, "stamps", key)
}

// writeStamp records the stamp (bundle.TreeStamp) of a version directory
// just built.
func (vs *versionSet) writeStamp(key, stamp string) error {
	path := vs.stampPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// A temp file of its own: two builds of one key may write at once.
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(stamp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// unchanged reports whether the version directory key is as it was built:
// its stamp — pending (the one of its latest build, still being made
// durable), else recorded — matches. A directory without a stamp (a crash
// before it was recorded, or an older runtime) counts as changed.
func (vs *versionSet) unchanged(key, pending string) bool {
	want := pending
	if want == "" {
		if b, err := os.ReadFile(vs.stampPath(key)); err == nil {
			want = string(b)
		}
	}
	if want == "" {
		return false
	}
	got, err := bundle.TreeStamp(vs.dir(key))
	return err == nil && got == want
}

// removeStamp forgets the stamp of a removed version directory.
func (vs *versionSet) removeStamp(key string) {
	delete(vs.pendingStamps, key)
	_ = os.Remove(vs.stampPath(key))
}
