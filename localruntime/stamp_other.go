//go:build !linux

package localruntime

import "io/fs"

// sysStamp adds nothing where the system's stat is not known.
func sysStamp(fs.FileInfo) string { return "" }
