package bundle

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// ignoreTests is checked against the matcher and, when git is installed,
// against `git check-ignore` itself, so the expectations are gitignore's.
var ignoreTests = []struct {
	name     string
	patterns string
	path     string
	dir      bool
	want     bool
}{
	{"ext", "*.pyc\n", "a.pyc", false, true},
	{"ext/deep", "*.pyc\n", "dags/sub/b.pyc", false, true},
	{"ext/other", "*.pyc\n", "a.py", false, false},
	{"dirOnly/dir", "tmp/\n", "tmp", true, true},
	{"dirOnly/file", "tmp/\n", "tmp", false, false},
	{"dirOnly/nested", "tmp/\n", "a/tmp", true, true},
	{"dirOnly/inside", "tmp/\n", "tmp/x.txt", false, true},
	{"anchored/root", "/build\n", "build", false, true},
	{"anchored/sub", "/build\n", "sub/build", false, false},
	{"middleSlash/root", "doc/frotz\n", "doc/frotz", false, true},
	{"middleSlash/sub", "doc/frotz\n", "a/doc/frotz", false, false},
	{"anchoredGlob/root", "/*.txt\n", "a.txt", false, true},
	{"anchoredGlob/sub", "/*.txt\n", "d/a.txt", false, false},
	{"leadingStarStar/root", "**/logs\n", "logs", true, true},
	{"leadingStarStar/deep", "**/logs\n", "a/b/logs", true, true},
	{"leadingStarStar/file", "**/logs/debug.log\n", "build/logs/debug.log", false, true},
	{"leadingStarStar/order", "**/logs/debug.log\n", "logs/build/debug.log", false, false},
	{"middleStarStar/zero", "logs/**/debug.log\n", "logs/debug.log", false, true},
	{"middleStarStar/many", "logs/**/debug.log\n", "logs/a/b/debug.log", false, true},
	{"trailingStarStar/inside", "abc/**\n", "abc/d/e", false, true},
	{"trailingStarStar/self", "abc/**\n", "abc", true, false},
	{"slashStar/one", "a/*/b\n", "a/x/b", false, true},
	{"slashStar/two", "a/*/b\n", "a/x/y/b", false, false},
	{"negate", "*.log\n!important.log\n", "important.log", false, false},
	{"negate/deep", "*.log\n!important.log\n", "a/important.log", false, false},
	{"negate/other", "*.log\n!important.log\n", "x.log", false, true},
	{"negate/lastWins", "!a.log\n*.log\n", "a.log", false, true},
	{"negate/excludedParent", "build/\n!build/keep.txt\n", "build/keep.txt", false, true},
	{"negate/starParent", "build/*\n!build/keep.txt\n", "build/keep.txt", false, false},
	{"negate/starParentOther", "build/*\n!build/keep.txt\n", "build/other", false, true},
	{"comment", "# a.txt\n", "# a.txt", false, false},
	{"escapedHash", "\\#file\n", "#file", false, true},
	{"escapedBang", "\\!bang\n", "!bang", false, true},
	{"trailingSpace", "trailing  \n", "trailing", false, true},
	{"escapedSpace", "space\\ \n", "space ", false, true},
	{"escapedSpace/not", "space\\ \n", "space", false, false},
	{"question", "debug?.log\n", "debug1.log", false, true},
	{"question/two", "debug?.log\n", "debug10.log", false, false},
	{"range", "debug[0-9].log\n", "debug1.log", false, true},
	{"range/not", "debug[0-9].log\n", "debuga.log", false, false},
	{"negClass", "debug[!01].log\n", "debug2.log", false, true},
	{"negClass/not", "debug[!01].log\n", "debug1.log", false, false},
	{"posixClass", "[[:digit:]]*.csv\n", "9x.csv", false, true},
	{"posixClass/not", "[[:digit:]]*.csv\n", "x.csv", false, false},
	{"crlf", "*.tmp\r\n", "x.tmp", false, true},
	{"bangOnly", "!\n", "!", false, false},
	{"blankLines", "\n\n*.bak\n\n", "a.bak", false, true},
	{"starDir", "dags/*\n!dags/keep.yaml\n", "dags/keep.yaml", false, false},
	{"escapedStar", "a\\*\n", "ab", false, false},
}

func TestIgnoreMatcher(t *testing.T) {
	t.Parallel()
	for _, tt := range ignoreTests {
		got := parseIgnore([]byte(tt.patterns)).ignored(tt.path, tt.dir)
		if got != tt.want {
			t.Errorf("%s: patterns %q, path %q (dir %v): ignored = %v, want %v", tt.name, tt.patterns, tt.path, tt.dir, got, tt.want)
		}
	}
}

// TestIgnoreTable_Git checks the expectations of ignoreTests against git.
func TestIgnoreTable_Git(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "git", "apt-get install -y git")
	for _, tt := range ignoreTests {
		repo := t.TempDir()
		gitCmd(t, repo, "init", "-q")
		writeFile(t, filepath.Join(repo, ".gitignore"), tt.patterns)
		p := filepath.Join(repo, filepath.FromSlash(tt.path))
		if tt.dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else {
			writeFile(t, p, "x")
		}
		cmd := exec.Command("git", "-C", repo, "check-ignore", "-q", "--no-index", "--", tt.path)
		cmd.Env = gitEnv(t)
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			if !tt.want {
				t.Errorf("%s: git ignores %q, table says it should not", tt.name, tt.path)
			}
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			if tt.want {
				t.Errorf("%s: git does not ignore %q, table says it should", tt.name, tt.path)
			}
		default:
			t.Fatalf("%s: git check-ignore: %v", tt.name, err)
		}
	}
}
