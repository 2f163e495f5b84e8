package ui

import "testing"

func TestCommitURL(t *testing.T) {
	sha := "4f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f607"
	for _, tt := range []struct{ remote, want string }{
		{"git@github.com:acme/pipelines.git", "https://github.com/acme/pipelines/commit/" + sha},
		{"https://github.com/acme/pipelines", "https://github.com/acme/pipelines/commit/" + sha},
		{"ssh://git@gitlab.com/acme/data/pipelines.git", "https://gitlab.com/acme/data/pipelines/-/commit/" + sha},
		{"https://bitbucket.org/acme/pipelines.git", "https://bitbucket.org/acme/pipelines/commits/" + sha},
		{"https://git.internal.example/acme/pipelines.git", ""},
		{"/srv/git/pipelines.git", ""},
		{"https://github.com/acme", ""},
	} {
		if got := commitURL(tt.remote, sha); got != tt.want {
			t.Errorf("commitURL(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
	if got := commitURL("https://github.com/acme/p", "javascript:alert(1)"); got != "" {
		t.Errorf("a non-SHA makes a link: %q", got)
	}
}
