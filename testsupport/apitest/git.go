package apitest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Git runs the git client in dir, with no system or global configuration
// and no prompts, and returns its trimmed output; it fails the test on
// error. Set the protocol with "-c", "protocol.version=N" in args.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := GitTry(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// GitTry is Git returning git's combined output and error.
func GitTry(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", "SSH_ASKPASS=", "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.invalid")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// WithToken returns a git URL carrying a dagdeck token as its Basic auth
// password.
func WithToken(gitURL, token string) string {
	scheme, rest, _ := strings.Cut(gitURL, "://")
	return scheme + "://git:" + token + "@" + rest
}
