//go:build linux

package localruntime

import (
	"fmt"
	"io/fs"
	"syscall"
)

// sysStamp is the part of an entry's stamp only the system knows: owner,
// group and inode. Not the change time: a version's files are hard links
// to the pool's, and linking one into another version moves it.
func sysStamp(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d %d", st.Uid, st.Gid, st.Ino)
}
