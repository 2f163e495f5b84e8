package bundle

import (
	"sort"

	"github.com/dagdeck/dagdeck"
)

// Diff returns the paths added, removed and changed going from one
// manifest to another, each sorted. A path changed if its digest, mode or
// symlink target differs. A nil manifest counts as empty. The slices are
// never nil, so they encode as [] in JSON (see dagdeck.BundleDelta).
func Diff(from, to *dagdeck.Manifest) (added, removed, changed []string) {
	added, removed, changed = []string{}, []string{}, []string{}
	before := filesByPath(from)
	after := filesByPath(to)
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			added = append(added, p)
		case a.Digest != b.Digest || a.Mode != b.Mode || a.Target != b.Target:
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	return added, removed, changed
}

// filesByPath indexes m's files by path.
func filesByPath(m *dagdeck.Manifest) map[string]dagdeck.ManifestFile {
	if m == nil {
		return nil
	}
	out := make(map[string]dagdeck.ManifestFile, len(m.Files))
	for _, f := range m.Files {
		out[f.Path] = f
	}
	return out
}
