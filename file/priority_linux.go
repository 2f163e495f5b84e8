package file

import "syscall"

// lowerPriority gives the calling thread a nice value of 10. Errors are
// ignored: at the usual priority compression only competes harder.
func lowerPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}
