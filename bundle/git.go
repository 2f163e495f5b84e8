package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
)

// GitState describes the git checkout a project is deployed from.
type GitState struct {
	IsRepo    bool   // dir is inside a git work tree
	Dirty     bool   // `git status --porcelain` lists anything, untracked files included
	Commit    string // HEAD's SHA; "" before the first commit
	Subject   string // HEAD's subject line
	Branch    string // the current branch; "" when HEAD is detached
	RemoteURL string // origin's URL without credentials; "" when there is no origin
}

// ReadGit describes the git checkout around dir by running the git command
// (`git -C dir …`). IsRepo is false, with no error, when dir is not inside
// a work tree or git is not installed.
func ReadGit(ctx context.Context, dir string) (*GitState, error) {
	inside, err := runGit(ctx, dir, "rev-parse", "--is-inside-work-tree")
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var exit *exec.ExitError
	if errors.Is(err, exec.ErrNotFound) || errors.As(err, &exit) || inside != "true" {
		return &GitState{}, nil
	} else if err != nil {
		return nil, err
	}
	g := &GitState{IsRepo: true}
	if g.Commit, err = runGit(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD"); err != nil {
		if errors.As(err, &exit) {
			g.Commit = "" // no commit yet
		} else {
			return nil, err
		}
	}
	if g.Commit != "" {
		if g.Subject, err = runGit(ctx, dir, "log", "-1", "--format=%s"); err != nil {
			return nil, err
		}
		if g.Branch, err = runGit(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD"); err != nil {
			return nil, err
		}
		if g.Branch == "HEAD" {
			g.Branch = "" // detached
		}
	}
	if remote, err := runGit(ctx, dir, "remote", "get-url", "origin"); err == nil {
		g.RemoteURL = redactURL(remote)
	} else if !errors.As(err, &exit) {
		return nil, err
	}
	status, err := runGit(ctx, dir, "status", "--porcelain")
	if err != nil {
		return nil, err
	}
	g.Dirty = status != ""
	return g, nil
}

// runGit runs git -C dir args… and returns its trimmed standard output.
// Failures of git itself are *exec.ExitError (wrapped), with its message.
func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// redactURL removes credentials from a remote URL: the user info of an
// http(s) URL ("https://token@host/…"), and any password elsewhere.
func redactURL(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil || u.Scheme == "" {
		return remote // scp-like "git@host:org/repo.git" carries no secret
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		u.User = nil
	} else if _, ok := u.User.Password(); ok {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}
