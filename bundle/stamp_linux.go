//go:build linux

package bundle

import (
	"io/fs"
	"syscall"
)

// stampOf returns what identifies this version of a file's content without
// reading it: size, inode, and modification and change times.
func stampOf(info fs.FileInfo) fileStamp {
	s := fileStamp{Size: info.Size(), Mtime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.Ino = uint64(st.Ino)
		s.Ctime = int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec)
	}
	return s
}
