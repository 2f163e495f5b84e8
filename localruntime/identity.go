package localruntime

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultTaskGIDBase is the first group id given to a Deployment's tasks
// when they run as Config.TaskUser: Deployments get DefaultTaskGIDBase,
// +1, +2, … in the order the runtime first sees them (see taskGroup).
const DefaultTaskGIDBase = 1_900_000_000

// taskUser is who tasks run as when the runtime, running as root, drops
// privileges (Config.TaskUser).
type taskUser struct {
	name string
	uid  uint32
	home string
}

// lookupTaskUser resolves a user name or numeric id.
func lookupTaskUser(name string) (*taskUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.ParseUint(name, 10, 32); numErr != nil {
			return nil, fmt.Errorf("task user %q: %w", name, err)
		}
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("task user %q: %w", name, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil || uid == 0 {
		return nil, fmt.Errorf("task user %q: uid %s: tasks must not run as root", name, u.Uid)
	}
	return &taskUser{name: u.Username, uid: uint32(uid), home: u.HomeDir}, nil
}

// checkTaskUserConfig checks what dropping privileges needs: a runtime
// running as root, and a code directory outside the data directory.
func (c *Config) checkTaskUserConfig() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("localruntime: tasks can run as %s only when the runtime runs as root", c.TaskUser)
	}
	if c.CodeDir == "" {
		return errors.New("localruntime: a task user needs a code directory outside the data directory (CodeDir)")
	}
	if rel, err := filepath.Rel(c.DataDir, c.CodeDir); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("localruntime: the code directory %s is inside the data directory %s, which tasks must not reach", c.CodeDir, c.DataDir)
	}
	return nil
}

// checkReachable returns an error unless the task user can reach the code
// directory: search permission for others on every parent.
func (c *Config) checkReachable() error {
	for dir := filepath.Dir(c.CodeDir); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("localruntime: code directory: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("localruntime: tasks running as %s cannot reach the code directory %s: %s has mode %s; allow others to search it (chmod o+x) or choose another code directory", c.TaskUser, c.CodeDir, dir, fi.Mode().Perm())
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// taskBaseEnv sets HOME, USER and LOGNAME of base to the task user's.
func taskBaseEnv(base []string, u *taskUser) []string {
	out := make([]string, 0, len(base)+3)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k != "HOME" && k != "USER" && k != "LOGNAME" {
			out = append(out, kv)
		}
	}
	return append(out, "HOME="+u.home, "USER="+u.name, "LOGNAME="+u.name)
}

// taskGroup returns the group id of a Deployment's tasks, allocating the
// next free one (from the task GID base) the first time: it is recorded as
// the group of the Deployment's code directory, <CodeDir>/<id>, which it
// creates (mode 0750, owned by root). Only tasks of that Deployment can
// then read its code; others cannot even list it.
func (r *Runtime) taskGroup(deploymentID string) (uint32, error) {
	r.gidMu.Lock()
	defer r.gidMu.Unlock()
	dir := filepath.Join(r.cfg.CodeDir, deploymentID)
	if gid, ok := groupOf(dir); ok && gid >= r.cfg.TaskGIDBase {
		return gid, nil
	}
	used := make(map[uint32]bool)
	entries, err := os.ReadDir(r.cfg.CodeDir)
	if err != nil {
		return 0, fmt.Errorf("allocate a task group: %w", err)
	}
	for _, e := range entries {
		if gid, ok := groupOf(filepath.Join(r.cfg.CodeDir, e.Name())); ok {
			used[gid] = true
		}
	}
	gid := r.cfg.TaskGIDBase
	for used[gid] {
		gid++
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("allocate a task group: %w", err)
	}
	if err := lockDownDir(dir, gid); err != nil {
		return 0, fmt.Errorf("allocate a task group: %w", err)
	}
	return gid, nil
}

// lockDownDir makes dir owned by this process's user and group gid, mode
// 0750: the tasks of that group read it, nobody else but root.
func lockDownDir(dir string, gid uint32) error {
	if err := os.Chown(dir, os.Geteuid(), int(gid)); err != nil {
		return err
	}
	return os.Chmod(dir, 0o750)
}
