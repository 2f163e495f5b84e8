package bundle

import "testing"

// Cases taken from git's t/t3070-wildmatch.sh (the WM_PATHNAME column).
func TestWildmatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, pattern string
		want          bool
	}{
		{"foo", "foo", true},
		{"foo", "bar", false},
		{"foo", "???", true},
		{"foo", "??", false},
		{"foo", "*", true},
		{"foo", "f*", true},
		{"foo", "*f", false},
		{"foo", "*foo*", true},
		{"foobar", "*ob*a*r*", true},
		{"aaaaaaabababab", "*ab", true},
		{"foo*", `foo\*`, true},
		{"foobar", `foo\*bar`, false},
		{`f\oo`, `f\\oo`, true},
		{"ball", "*[al]?", true},
		{"ten", "[ten]", false},
		{"ten", "**[!te]", true},
		{"ten", "**[!ten]", false},
		{"ten", "t[a-g]n", true},
		{"ten", "t[!a-g]n", false},
		{"ton", "t[!a-g]n", true},
		{"ton", "t[^a-g]n", true},
		{"a]b", "a[]]b", true},
		{"a-b", "a[]-]b", true},
		{"a]b", "a[]-]b", true},
		{"aab", "a[]-]b", false},
		{"aab", "a[]a-]b", true},
		{"]", "]", true},
		{"foo/baz/bar", "foo*bar", false},
		{"foo/baz/bar", "foo**bar", false},
		{"foobazbar", "foo**bar", true},
		{"foo/baz/bar", "foo/**/bar", true},
		{"foo/baz/bar", "foo/**/**/bar", true},
		{"foo/b/a/z/bar", "foo/**/bar", true},
		{"foo/b/a/z/bar", "foo/**/**/bar", true},
		{"foo/bar", "foo/**/bar", true},
		{"foo/bar", "foo/**/**/bar", true},
		{"foo/bar", "foo?bar", false},
		{"foo/bar", "foo[/]bar", false},
		{"foo/bar", "foo[^a-z]bar", false},
		{"foo/bar", "f[^eiu][^eiu][^eiu][^eiu][^eiu]r", false},
		{"foo-bar", "f[^eiu][^eiu][^eiu][^eiu][^eiu]r", true},
		{"foo", "**/foo", true},
		{"XXX/foo", "**/foo", true},
		{"bar/baz/foo", "**/foo", true},
		{"bar/baz/foo", "*/foo", false},
		{"foo/bar/baz", "**/bar*", false},
		{"deep/foo/bar/baz", "**/bar/*", true},
		{"deep/foo/bar/baz/", "**/bar/*", false},
		{"deep/foo/bar/baz/", "**/bar/**", true},
		{"deep/foo/bar", "**/bar/*", false},
		{"deep/foo/bar/", "**/bar/**", true},
		{"foo/bar/baz", "**/bar**", false},
		{"foo/bar/baz/x", "*/bar/**", true},
		{"deep/foo/bar/baz/x", "*/bar/**", false},
		{"deep/foo/bar/baz/x", "**/bar/*/*", true},
		{"a1b", "a[[:digit:]]b", true},
		{"aXb", "a[[:digit:]]b", false},
		{"aXb", "a[[:upper:][:digit:]]b", true},
		{"a:b", "a[[:]b", true}, // "[:" without ":]" is a plain "["
		{"[ab", `\[ab`, true},
		{"abc", "[[:nope:]]bc", false},
		{"abc", "abc[", false},
		{"x.txt", "*.txt", true},
		{"a/x.txt", "*.txt", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", false},
	}
	for _, tt := range tests {
		if got := wildmatch(tt.pattern, tt.text) == wmMatch; got != tt.want {
			t.Errorf("wildmatch(%q, %q) = %v, want %v", tt.pattern, tt.text, got, tt.want)
		}
	}
}
