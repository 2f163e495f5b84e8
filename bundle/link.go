package bundle

import (
	"path"
	"strings"
)

// normalizeLinkTarget turns a symlink target read from disk into the form
// dagdeck.ValidateLinkTarget accepts when that does not change what it points to:
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
