//go:build !unix

package localruntime

import (
	"os"
	"os/exec"
	"syscall"
)

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// setProcessGroup does nothing here: only the shell itself is stopped.
func setProcessGroup(cmd *exec.Cmd) {}

// setCredential does nothing here: New refuses a task user (not root).
func setCredential(cmd *exec.Cmd, uid, gid uint32) {}

// signalGroup kills the process pid.
func signalGroup(pid int, sig syscall.Signal) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// exitCode is a try's exit code; nil if it never ran.
func exitCode(ps *os.ProcessState) *int {
	if ps == nil {
		return nil
	}
	code := ps.ExitCode()
	return &code
}

// processGroup returns pid itself: there are no process groups here.
func processGroup(pid int) (int, error) { return pid, nil }
