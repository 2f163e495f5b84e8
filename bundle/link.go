package bundle

import (
	"path"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// checkLinkTarget returns EINVALID unless target, the target of the symlink
// at linkPath, is a clean relative slash path that resolves inside the root
// by every reading: ".." may appear only as leading elements, so that no
// element can climb out of a directory reached through another symlink.
// Together with "no path goes through a symlink" this keeps every
// resolution inside the root.
func checkLinkTarget(linkPath, target string) error {
	switch {
	case target == "" || len(target) > dagdeck.MaxPathLen:
		return dagdeck.Errorf(dagdeck.EINVALID, "symlink %q has an empty or oversized target", linkPath)
	case path.IsAbs(target) || strings.ContainsAny(target, "\\\x00"):
		return dagdeck.Errorf(dagdeck.EINVALID, "symlink %q points to %q, outside the project; use a relative link inside it", linkPath, target)
	case !leadingDotDotOnly(target):
		return dagdeck.Errorf(dagdeck.EINVALID, "symlink %q points to %q: \"..\" after a directory name is not supported; use a clean relative path such as %q", linkPath, target, path.Clean(target))
	}
	resolved := path.Join(path.Dir(linkPath), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return dagdeck.Errorf(dagdeck.EINVALID, "symlink %q points to %q, outside the project; use a relative link inside it", linkPath, target)
	}
	return nil
}

// leadingDotDotOnly reports whether target is clean with ".." elements only
// at its start ("../../x", "x/y", "." are; "x/../y", "./x", "x/" are not).
func leadingDotDotOnly(target string) bool {
	if path.Clean(target) != target {
		return false
	}
	climbing := true
	for _, elem := range strings.Split(target, "/") {
		if elem == ".." && !climbing {
			return false
		}
		climbing = climbing && elem == ".."
	}
	return true
}

// normalizeLinkTarget turns a symlink target read from disk into the form
// checkLinkTarget accepts when that does not change what it points to:
// "./x" and "x//y/" become "x" and "x/y". A ".." after a directory name is
// left alone (and then refused): through a symlinked directory it climbs
// somewhere else than path.Clean assumes.
func normalizeLinkTarget(target string) string {
	if path.IsAbs(target) {
		return target
	}
	climbing := true
	for _, elem := range strings.Split(target, "/") {
		switch elem {
		case "", ".":
			continue
		case "..":
			if !climbing {
				return target
			}
		default:
			climbing = false
		}
	}
	return path.Clean(target)
}
