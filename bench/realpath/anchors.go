package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// anchors are the tools dagdeck is measured against; a missing one is nil.
type anchors struct {
	tar, restic, git bool
}

func findAnchors() anchors {
	var a anchors
	for _, t := range []struct {
		name string
		p    *bool
	}{{"tar", &a.tar}, {"restic", &a.restic}, {"git", &a.git}} {
		if _, err := exec.LookPath(t.name); err != nil {
			log.Printf("%s is not installed: its anchor is skipped", t.name)
			continue
		}
		*t.p = true
	}
	return a
}

// anchorRepos are one round's tar output, restic repository and git
// directory, all outside the project.
type anchorRepos struct {
	dir string
	env []string
}

func newAnchorRepos(dir string) (*anchorRepos, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "RESTIC_PASSWORD=bench", "RESTIC_REPOSITORY="+filepath.Join(dir, "restic"),
		"RESTIC_CACHE_DIR="+filepath.Join(dir, "restic-cache"), "GIT_DIR="+filepath.Join(dir, "git"),
		"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@127.0.0.1", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@127.0.0.1",
		"HOME="+dir)
	return &anchorRepos{dir: dir, env: env}, nil
}

// tarczf times `tar czf` of the project.
func (r *anchorRepos) tarczf(project string) (time.Duration, error) {
	out := filepath.Join(r.dir, "project.tgz")
	defer os.Remove(out)
	return run(project, r.env, "tar", "czf", out, "-C", project, ".")
}

// resticBackup times one `restic backup` of the project, initializing the
// repository first (not timed) if needed.
func (r *anchorRepos) resticBackup(project string) (time.Duration, error) {
	if _, err := os.Stat(filepath.Join(r.dir, "restic", "config")); err != nil {
		if _, err := run(project, r.env, "restic", "init", "--quiet"); err != nil {
			return 0, err
		}
	}
	return run(project, r.env, "restic", "backup", "--quiet", "--host", "bench", ".")
}

// gitCommit times `git add -A` plus `git commit` of the project, with the
// repository kept outside it.
func (r *anchorRepos) gitCommit(project string, n int) (time.Duration, error) {
	gitDir := filepath.Join(r.dir, "git")
	if _, err := os.Stat(gitDir); err != nil {
		if _, err := run(project, r.env, "git", "init", "--quiet", gitDir); err != nil {
			return 0, err
		}
	}
	env := append(r.env, "GIT_WORK_TREE="+project)
	add, err := run(project, env, "git", "add", "-A")
	if err != nil {
		return 0, err
	}
	commit, err := run(project, env, "git", "commit", "--quiet", "--no-verify", "-m", fmt.Sprint("deploy ", n))
	return add + commit, err
}

// resticSize is the restic repository's disk usage.
func (r *anchorRepos) resticSize() int64 { return diskUsage(filepath.Join(r.dir, "restic")) }

// gitSizeAfterGC runs git gc and returns the repository's disk usage.
func (r *anchorRepos) gitSizeAfterGC(project string) (int64, error) {
	env := append(r.env, "GIT_WORK_TREE="+project)
	if _, err := run(project, env, "git", "gc", "--quiet"); err != nil {
		return 0, err
	}
	return diskUsage(filepath.Join(r.dir, "git")), nil
}
