//go:build !linux

package testenv

import "syscall"

// s3SysProcAttr returns nil: only Linux can tie versitygw's life to the
// test binary's, so call StopS3 from TestMain.
func s3SysProcAttr() *syscall.SysProcAttr { return nil }
