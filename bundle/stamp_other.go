//go:build !linux

package bundle

import "io/fs"

// stampOf returns what identifies this version of a file's content without
// reading it: size and modification time (change times need a per-OS
// stat field; only Linux is wired).
func stampOf(info fs.FileInfo) fileStamp {
	return fileStamp{Size: info.Size(), Mtime: info.ModTime().UnixNano()}
}
