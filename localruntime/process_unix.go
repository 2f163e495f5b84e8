//go:build unix

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

// setProcessGroup starts cmd in a process group of its own, so stopping a
// try stops everything it started.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// setCredential makes cmd run as uid with group gid and no supplementary
// groups.
func setCredential(cmd *exec.Cmd, uid, gid uint32) {
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}

// exitCode is a try's exit code; a shell-style 128+n when signal n killed
// it; nil if it never ran.
func exitCode(ps *os.ProcessState) *int {
	if ps == nil {
		return nil
	}
	code := ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return &code
}

// processGroup returns the process group of pid.
func processGroup(pid int) (int, error) { return syscall.Getpgid(pid) }
