//go:build !linux

package testenv

import "syscall"

// pgSysProcAttr returns nil: switching users and tying the server's life
// to the test binary's are Linux-only here, so run the tests as an
// unprivileged user and call StopPostgres from TestMain.
func pgSysProcAttr(u *pgUser) *syscall.SysProcAttr { return nil }
