package testenv

import "syscall"

// pgSysProcAttr runs a PostgreSQL program as u (nil: as ourselves) and
// makes the kernel kill it when the test binary dies.
func pgSysProcAttr(u *pgUser) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if u != nil {
		attr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID}
	}
	return attr
}
