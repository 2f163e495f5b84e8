package bundle

import "strings"

// Results of wildmatch. The two abort results prune the search: no later
// position of an enclosing "*" (or "**") can match either.
const (
	wmNoMatch = iota
	wmMatch
	wmAbortAll
	wmAbortToStarStar
)

// wildmatch matches text against a gitignore glob the way git's wildmatch
// does with WM_PATHNAME: "*", "?" and classes never match "/", "**" between
// slashes (or at either end) matches any number of directories, "\" escapes
// the next character, and classes support ranges, negation with "!" or "^"
// and POSIX names such as [:digit:].
func wildmatch(p, text string) int {
	ti := 0
	for pi := 0; pi < len(p); pi, ti = pi+1, ti+1 {
		pch := p[pi]
		if ti >= len(text) && pch != '*' {
			return wmAbortAll
		}
		var tch byte
		if ti < len(text) {
			tch = text[ti]
		}
		switch pch {
		case '\\':
			pi++
			if pi >= len(p) || tch != p[pi] {
				return wmNoMatch
			}
		case '?':
			if tch == '/' {
				return wmNoMatch
			}
		case '*':
			return matchStar(p, pi, text, ti)
		case '[':
			next, ok, r := matchClass(p, pi, tch)
			if !ok {
				return r
			}
			pi = next
		default:
			if tch != pch {
				return wmNoMatch
			}
		}
	}
	if ti < len(text) {
		return wmNoMatch
	}
	return wmMatch
}

// matchStar matches text[ti:] against p[pi:], where p[pi] is a '*'.
func matchStar(p string, pi int, text string, ti int) int {
	matchSlash := false
	start := pi
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	if pi-start >= 2 {
		boundaryBefore := start == 0 || p[start-1] == '/'
		boundaryAfter := pi == len(p) || p[pi] == '/' ||
			(p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == '/')
		if boundaryBefore && boundaryAfter {
			// "**/" may match no directory at all: try the rest right here.
			if pi < len(p) && p[pi] == '/' && wildmatch(p[pi+1:], text[ti:]) == wmMatch {
				return wmMatch
			}
			matchSlash = true
		}
	}
	if pi == len(p) {
		// A trailing "**" matches everything; a trailing "*" only up to a slash.
		if !matchSlash && strings.IndexByte(text[ti:], '/') >= 0 {
			return wmNoMatch
		}
		return wmMatch
	}
	if !matchSlash && p[pi] == '/' {
		// "*/" matches exactly the next directory name.
		slash := strings.IndexByte(text[ti:], '/')
		if slash < 0 {
			return wmNoMatch
		}
		return wildmatch(p[pi+1:], text[ti+slash+1:])
	}
	for ti < len(text) {
		if !isGlobSpecial(p[pi]) {
			// Skip ahead to the next occurrence of the literal that follows.
			for ti < len(text) && (matchSlash || text[ti] != '/') && text[ti] != p[pi] {
				ti++
			}
			// Return what trying each skipped position would have returned.
			if ti >= len(text) {
				return wmAbortAll
			}
			if text[ti] != p[pi] {
				return wmAbortToStarStar // stopped at a slash
			}
		}
		r := wildmatch(p[pi:], text[ti:])
		if r != wmNoMatch {
			if !matchSlash || r != wmAbortToStarStar {
				return r
			}
		} else if !matchSlash && text[ti] == '/' {
			return wmAbortToStarStar
		}
		ti++
	}
	return wmAbortAll
}

// matchClass matches tch against the class starting at p[pi] == '['. It
// returns the index of the closing ']' and ok when tch is in the class;
// otherwise ok is false and r is the result to return.
func matchClass(p string, pi int, tch byte) (next int, ok bool, r int) {
	pi++
	negated := false
	if pi < len(p) && (p[pi] == '!' || p[pi] == '^') {
		negated = true
		pi++
	}
	var prev byte
	matched := false
	for first := true; ; first = false {
		if pi >= len(p) {
			return 0, false, wmAbortAll
		}
		pch := p[pi]
		if pch == ']' && !first {
			break
		}
		switch {
		case pch == '\\':
			pi++
			if pi >= len(p) {
				return 0, false, wmAbortAll
			}
			pch = p[pi]
			matched = matched || tch == pch
		case pch == '-' && prev != 0 && pi+1 < len(p) && p[pi+1] != ']':
			pi++
			hi := p[pi]
			if hi == '\\' {
				pi++
				if pi >= len(p) {
					return 0, false, wmAbortAll
				}
				hi = p[pi]
			}
			matched = matched || (tch >= prev && tch <= hi)
			pch = 0 // a range cannot start a range
		case pch == '[' && pi+1 < len(p) && p[pi+1] == ':':
			end := strings.IndexByte(p[pi+2:], ']')
			if end < 0 {
				return 0, false, wmAbortAll
			}
			name := p[pi+2 : pi+2+end]
			if !strings.HasSuffix(name, ":") {
				// Not "[:name:]": a plain '['.
				matched = matched || tch == '['
				break
			}
			in, known := inPOSIXClass(strings.TrimSuffix(name, ":"), tch)
			if !known {
				return 0, false, wmAbortAll
			}
			matched = matched || in
			pi += 2 + end
			pch = 0
		default:
			matched = matched || tch == pch
		}
		prev = pch
		pi++
	}
	if matched == negated || tch == '/' {
		return 0, false, wmNoMatch
	}
	return pi, true, 0
}

// inPOSIXClass reports whether c is in the named POSIX class (ASCII only);
// known is false for an unknown name.
func inPOSIXClass(name string, c byte) (in, known bool) {
	lower, upper, digit := c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
	switch name {
	case "alnum":
		return lower || upper || digit, true
	case "alpha":
		return lower || upper, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < 0x20 || c == 0x7f, true
	case "digit":
		return digit, true
	case "graph":
		return c > 0x20 && c < 0x7f, true
	case "lower":
		return lower, true
	case "print":
		return c >= 0x20 && c < 0x7f, true
	case "punct":
		return c > 0x20 && c < 0x7f && !lower && !upper && !digit, true
	case "space":
		return c == ' ' || (c >= '\t' && c <= '\r'), true
	case "upper":
		return upper, true
	case "xdigit":
		return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'), true
	}
	return false, false
}

// isGlobSpecial reports whether c has a meaning in a glob.
func isGlobSpecial(c byte) bool {
	return c == '*' || c == '?' || c == '[' || c == '\\'
}
