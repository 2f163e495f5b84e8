package testenv

import "syscall"

// s3SysProcAttr makes the kernel kill versitygw when the test binary dies.
func s3SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
