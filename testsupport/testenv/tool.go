package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Tool returns the path of the command name a test needs. If it is
// missing, Tool skips the test, or fails it when the environment variable
// CI is "true"; install says how to get it.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s not found (%v); install it with: %s", name, err, install)
	}
	return path
}

// missing skips t for something it needs and cannot have, or fails it when
// the environment variable CI is "true": CI never passes without running
// every test.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "true" {
		t.Skip(fmt.Sprintf(format, args...))
	}
	t.Fatalf(format, args...)
}
