package bundle

import (
	"bytes"
	"path"
	"strings"
)

// IgnoreFile is the name of the file, at a project's root, that lists paths
// to leave out of a deploy in gitignore syntax.
const IgnoreFile = ".dagdeckignore"

// ignorePattern is one parsed line of an ignore file.
type ignorePattern struct {
	glob     string // the pattern, without "!", trailing "/" or leading "/"
	negate   bool   // "!pattern": re-include what earlier patterns excluded
	dirOnly  bool   // "pattern/": matches directories only
	basename bool   // no slash in the pattern: matches the last path element at any depth
}

// ignoreMatcher decides which project paths an ignore file excludes, with
// gitignore semantics: the last matching pattern wins, and nothing inside an
// excluded directory can be re-included.
type ignoreMatcher struct {
	patterns []ignorePattern
}

// parseIgnore parses the content of a gitignore-syntax file.
func parseIgnore(data []byte) *ignoreMatcher {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	m := &ignoreMatcher{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if p, ok := parseIgnoreLine(line); ok {
			m.patterns = append(m.patterns, p)
		}
	}
	return m
}

// parseIgnoreLine parses one line; ok is false for blank lines and comments.
func parseIgnoreLine(line string) (p ignorePattern, ok bool) {
	if strings.HasPrefix(line, "#") {
		return p, false
	}
	line = trimTrailingSpaces(line)
	if strings.HasPrefix(line, "!") {
		p.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = strings.TrimSuffix(line, "/")
	}
	if line == "" {
		return p, false
	}
	p.basename = !strings.Contains(line, "/")
	p.glob = strings.TrimPrefix(line, "/")
	return p, p.glob != ""
}

// trimTrailingSpaces removes trailing spaces unless escaped with a backslash.
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		// Count the backslashes before this space: an odd count escapes it.
		n := 0
		for i := end - 2; i >= 0 && s[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 {
			break
		}
		end--
	}
	return s[:end]
}

// match reports whether the last pattern matching rel (a clean slash path)
// excludes it. It ignores rel's parent directories; see ignored.
func (m *ignoreMatcher) match(rel string, isDir bool) bool {
	base := path.Base(rel)
	for i := len(m.patterns) - 1; i >= 0; i-- {
		p := m.patterns[i]
		if p.dirOnly && !isDir {
			continue
		}
		subject := rel
		if p.basename {
			subject = base
		}
		if wildmatch(p.glob, subject) == wmMatch {
			return !p.negate
		}
	}
	return false
}

// ignored reports whether rel is excluded, either itself or because one of
// its parent directories is.
func (m *ignoreMatcher) ignored(rel string, isDir bool) bool {
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && m.match(rel[:i], true) {
			return true
		}
	}
	return m.match(rel, isDir)
}
