//go:build !linux

package bundle

import (
	"io/fs"
	"os"
	"path"
)

// poolEntryOf returns what the pool records of a file: size, modification
// time and mode (inodes and owners need a per-OS stat field; only Linux is
// wired).
func poolEntryOf(fi fs.FileInfo) poolEntry {
	return poolEntry{fileStamp: stampOf(fi), Mode: uint32(fi.Mode())}
}

// links returns a file's number of hard links, unknown here: the pool is
// never pruned.
func links(fs.FileInfo) uint64 { return 2 }

// linker returns a function that hard-links the pool file name to path in
// the tree tmp, both under root.
func linker(root *os.Root, tmp string) (link func(name, path string) error, done func(), err error) {
	link = func(name, p string) error { return root.Link(path.Join(poolDir, name), path.Join(tmp, p)) }
	return link, func() {}, nil
}

// sysStamp adds nothing where the system's stat is not known.
func sysStamp(fs.FileInfo) string { return "" }

// sys adds nothing to a pool file's stamp line, as sysStamp.
func (poolEntry) sys() string { return "" }
