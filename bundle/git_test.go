package bundle

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestReadGit(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git", "apt-get install -y git")
	ctx := context.Background()
	read := func(t *testing.T, dir string) *GitState {
		t.Helper()
		g, err := ReadGit(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	t.Run("NotARepo", func(t *testing.T) {
		t.Parallel()
		if g := read(t, t.TempDir()); *g != (GitState{}) {
			t.Fatalf("ReadGit = %+v, want zero", g)
		}
	})

	t.Run("NoCommits", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		gitCmd(t, dir, "init", "-q", "-b", "main")
		if g := read(t, dir); *g != (GitState{IsRepo: true}) {
			t.Fatalf("ReadGit = %+v, want a clean repo without commit", g)
		}
	})

	t.Run("Checkout", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		gitCmd(t, dir, "init", "-q", "-b", "main")
		writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM quay.io/dagdeck/runtime:1.1.0\n")
		gitCmd(t, dir, "add", ".")
		gitCmd(t, dir, "commit", "-q", "-m", "Add the report DAG")
		gitCmd(t, dir, "remote", "add", "origin", "https://deploy:s3cret@example.com/team/pipelines.git")
		commit := gitCmd(t, dir, "rev-parse", "HEAD")[:40]

		want := GitState{IsRepo: true, Commit: commit, Subject: "Add the report DAG", Branch: "main", RemoteURL: "https://example.com/team/pipelines.git"}
		if g := read(t, dir); *g != want {
			t.Fatalf("ReadGit = %+v, want %+v", g, want)
		}
		if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(commit) {
			t.Fatalf("commit %q", commit)
		}
		// From a subdirectory too.
		writeFile(t, filepath.Join(dir, "dags", "a.yaml"), "dag_id: a\n")
		g := read(t, filepath.Join(dir, "dags"))
		if !g.IsRepo || !g.Dirty || g.Commit != commit {
			t.Fatalf("with an untracked file, from dags/: %+v, want dirty at %s", g, commit)
		}

		gitCmd(t, dir, "checkout", "-q", "--detach")
		if g := read(t, dir); g.Branch != "" || g.Commit != commit {
			t.Fatalf("detached: %+v, want no branch", g)
		}
	})
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://token@github.com/org/repo.git":     "https://github.com/org/repo.git",
		"https://u:p@github.com/org/repo.git":       "https://github.com/org/repo.git",
		"https://github.com/org/repo.git":           "https://github.com/org/repo.git",
		"ssh://git@github.com/org/repo.git":         "ssh://git@github.com/org/repo.git",
		"ssh://git:secret@example.com/org/repo.git": "ssh://git@example.com/org/repo.git",
		"git@github.com:org/repo.git":               "git@github.com:org/repo.git",
		"/srv/git/repo.git":                         "/srv/git/repo.git",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
