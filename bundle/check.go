package bundle

import (
	"path/filepath"
	"sort"

	"github.com/dagdeck/dagdeck"
)

// checkManifests validates manifests that are to be written into one
// directory and returns their files merged and sorted by path. Beyond
// (*dagdeck.Manifest).Validate it refuses what could write or point outside
// the directory once files exist: symlink targets that are not clean (see
// dagdeck.ValidateLinkTarget), a path below a file or a symlink, and a path listed by
// two manifests with different content. All errors are EINVALID.
func checkManifests(ms ...*dagdeck.Manifest) ([]dagdeck.ManifestFile, error) {
	byPath := make(map[string]dagdeck.ManifestFile)
	byDigest := make(map[string]dagdeck.ManifestFile) // one content, one size
	for _, m := range ms {
		if m == nil {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "missing manifest")
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		for _, f := range m.Files {
			if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
				return nil, dagdeck.Errorf(dagdeck.EINVALID, "invalid path %q: not a local path", f.Path)
			}
			if prev, ok := byPath[f.Path]; ok && !sameEntry(prev, f) {
				return nil, dagdeck.Errorf(dagdeck.EINVALID, "manifests list %q twice, with different content", f.Path)
			}
			byPath[f.Path] = f
			if f.Digest == "" {
				continue
			}
			if first, ok := byDigest[f.Digest]; ok && first.Size != f.Size { // the manifests lie
				return nil, dagdeck.Errorf(dagdeck.EINVALID, "%q and %q have the same content (%s) but %d and %d bytes", first.Path, f.Path, f.Digest, first.Size, f.Size)
			}
			byDigest[f.Digest] = f
		}
	}
	files := make([]dagdeck.ManifestFile, 0, len(byPath))
	for p, f := range byPath {
		for i := 0; i < len(p); i++ {
			if p[i] != '/' {
				continue
			}
			if parent, ok := byPath[p[:i]]; ok {
				return nil, dagdeck.Errorf(dagdeck.EINVALID, "%q is listed inside %q, which is not a directory", p, parent.Path)
			}
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// sameEntry reports whether a and b describe the same file.
func sameEntry(a, b dagdeck.ManifestFile) bool {
	return a.Mode == b.Mode && a.Digest == b.Digest && a.Target == b.Target && a.Size == b.Size
}

// parentDirs returns the directories that files need, sorted so that every
// directory comes after its parent.
func parentDirs(files []dagdeck.ManifestFile) []string {
	seen := make(map[string]bool)
	var dirs []string
	for _, f := range files {
		for i := 0; i < len(f.Path); i++ {
			if f.Path[i] == '/' && !seen[f.Path[:i]] {
				seen[f.Path[:i]] = true
				dirs = append(dirs, f.Path[:i])
			}
		}
	}
	sort.Strings(dirs)
	return dirs
}
