package testenv

import (
	"bytes"
	"os/exec"
	"testing"
)

// promtoolInstallCommand installs promtool (Debian's prometheus package).
const promtoolInstallCommand = "apt-get install -y prometheus"

// CheckMetrics runs `promtool check metrics` on a scrape in the Prometheus
// text format and fails the test with promtool's complaints. If promtool is
// missing it skips the test, or fails it when the environment variable CI
// is "true".
func CheckMetrics(t testing.TB, scrape []byte) {
	t.Helper()
	path := Tool(t, "promtool", promtoolInstallCommand)
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
