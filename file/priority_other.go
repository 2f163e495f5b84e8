//go:build !linux

package file

// lowerPriority does nothing where threads have no priority of their own.
func lowerPriority() {}
