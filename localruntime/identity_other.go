//go:build !unix

package localruntime

// groupOf is not available: tasks cannot change user here.
func groupOf(path string) (uint32, bool) { return 0, false }
