//go:build linux

package localruntime

import (
	"fmt"
	"io/fs"
	"syscall"
)

// sysStamp is the part of an entry's stamp only the system knows: owner,
// group, inode and change time.
func sysStamp(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d %d %d.%d", st.Uid, st.Gid, st.Ino, st.Ctim.Sec, st.Ctim.Nsec)
}
