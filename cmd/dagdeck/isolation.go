package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/dagdeck/dagdeck/credentials"
)

// taskFlags choose who the runtime's tasks run as, for `dagdeck server`
// and `dagdeck runtime`.
type taskFlags struct {
	TaskUser string
	CodeDir  string
	// taskUserSet is true when --task-user was given: then it must be
	// honoured (the process must be root).
	taskUserSet bool
}

func (t *taskFlags) register(f *pflag.FlagSet) {
	f.StringVar(&t.TaskUser, "task-user", "nobody", `user the tasks run as when this process runs as root ("" runs them as root, with its access)`)
	f.StringVar(&t.CodeDir, "code-dir", "", "with a task user: where the tasks' code is materialized, outside the data directory (default /var/lib/dagdeck/code/<id of the data directory>)")
}

// isolation returns the task user and code directory for
// localruntime.Config. Tasks run as the task user only when this process
// is root; otherwise they run as this process's user (a warning says so),
// unless --task-user was given, which is an error then. With a task user,
// everything tasks must not read (privatePaths) must be private to this
// process's user.
func (t *taskFlags) isolation(dataDir string, private []string, logger *slog.Logger) (user, codeDir string, err error) {
	if t.TaskUser == "" {
		logger.Warn("tasks run as root, with the server's access to its data and credentials (--task-user \"\")")
		return "", "", nil
	}
	if os.Geteuid() != 0 {
		if t.taskUserSet {
			return "", "", fmt.Errorf("--task-user %s: tasks can change user only when dagdeck runs as root", t.TaskUser)
		}
		logger.Info("tasks run as this process's user; run as root to run them as an unprivileged --task-user")
		return "", "", nil
	}
	for _, p := range private {
		if err := checkPrivate(p, t.TaskUser); err != nil {
			return "", "", err
		}
	}
	codeDir = t.CodeDir
	if codeDir == "" {
		codeDir = defaultCodeDir(dataDir)
	}
	return t.TaskUser, codeDir, nil
}

// defaultCodeDir is /var/lib/dagdeck/code/<12 hex digits of the data
// directory's absolute path>: a place tasks can reach, distinct per data
// directory.
func defaultCodeDir(dataDir string) string {
	abs, _ := filepath.Abs(dataDir)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join("/var/lib/dagdeck/code", hex.EncodeToString(sum[:6]))
}

// checkPrivate returns an error if path exists and others can reach it:
// neither it nor a folder above it is private to this process's user
// (owned by it, no access for group or others).
func checkPrivate(path, taskUser string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	for p := path; ; p = filepath.Dir(p) {
		if closed(p) {
			return nil
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	return fmt.Errorf("%s (mode %s) is not private to uid %d, nor is a folder above it: tasks running as %s could read it; run chown %d %s && chmod go-rwx %s",
		path, fi.Mode().Perm(), os.Geteuid(), taskUser, os.Geteuid(), path, path)
}

// closed reports whether path is owned by this process's user with no
// access for group or others.
func closed(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		return false
	}
	uid, ok := ownerOf(fi)
	return ok && uid == os.Geteuid()
}

// privatePaths lists what tasks must not read: the data directory, the
// folders of a SQLite database and a file artifact store, and the
// credentials file with its folder.
func privatePaths(dataDir, databaseURL, artifactsURL string) []string {
	paths := []string{dataDir}
	for _, raw := range []string{databaseURL, artifactsURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Path == "" {
			continue
		}
		switch u.Scheme {
		case "sqlite":
			paths = append(paths, filepath.Dir(u.Path))
		case "file":
			paths = append(paths, u.Path)
		}
	}
	if p, err := credentials.Path(); err == nil {
		paths = append(paths, p, filepath.Dir(p))
	}
	return dedupe(paths)
}

// dedupe returns the distinct absolute forms of paths, in order.
func dedupe(paths []string) []string {
	seen := make(map[string]bool)
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err == nil && !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	return out
}
