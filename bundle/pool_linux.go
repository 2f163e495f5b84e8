//go:build linux

package bundle

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// poolEntryOf returns what the pool records of a file: everything a change
// of its content, mode or owner changes, except the change time, which
// every new hard link moves too.
func poolEntryOf(fi fs.FileInfo) poolEntry {
	e := poolEntry{fileStamp: fileStamp{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, Mode: uint32(fi.Mode())}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Ino, e.UID, e.GID = st.Ino, st.Uid, st.Gid
	}
	return e
}

// links returns a file's number of hard links.
func links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// syncFS makes the files just written under dir durable: one syncfs(2) of
// the file system, rather than an fsync per file.
func syncFS(root *os.Root, dir string, _ []string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
