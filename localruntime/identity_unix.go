//go:build unix

package localruntime

import (
	"os"
	"syscall"
)

// groupOf returns the group id owning path.
func groupOf(path string) (uint32, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Gid, true
}
