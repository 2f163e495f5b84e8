//go:build linux

package bundle

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// poolEntryOf returns what the pool records of a file: everything a change
// of its content, mode or owner changes, except the change time, which
// every new hard link moves too.
func poolEntryOf(fi fs.FileInfo) poolEntry {
	e := poolEntry{fileStamp: stampOf(fi), Mode: uint32(fi.Mode())}
	e.Ctime = 0
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = st.Uid, st.Gid
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

// linker returns a function that hard-links the pool file name to path in
// the tree tmp (both under root), with linkat(2) between the two open
// folders: one system call per file, where os.Root walks every path. Safe
// because the tree is new and holds only the folders Materialize made
// (symlinks come after the links).
func linker(root *os.Root, tmp string) (link func(name, path string) error, done func(), err error) {
	pool, err := root.Open(poolDir)
	if err != nil {
		return nil, nil, err
	}
	tree, err := root.Open(tmp)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	link = func(name, path string) error {
		if err := unix.Linkat(int(pool.Fd()), name, int(tree.Fd()), path, 0); err != nil {
			return &os.LinkError{Op: "link", Old: name, New: path, Err: err}
		}
		return nil
	}
	return link, func() { pool.Close(); tree.Close() }, nil
}

// sysStamp is the part of an entry's tree stamp only the system knows:
// owner, group and inode.
func sysStamp(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return entrySys(st.Uid, st.Gid, uint64(st.Ino))
}

// entrySys is the part of a pool file's tree stamp line that sysStamp
// gives: from the pool's record of it.
func (e poolEntry) sys() string { return entrySys(e.UID, e.GID, e.Ino) }

func entrySys(uid, gid uint32, ino uint64) string { return fmt.Sprintf("%d:%d %d", uid, gid, ino) }
