package gitrepo

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// gitOut runs git with stdin in a fresh repository and returns its output.
func gitOut(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestHashObject_MatchesGit(t *testing.T) {
	dir := t.TempDir()
	gitOut(t, dir, "", "init", "-q")
	for _, content := range []string{"", "hello\n", strings.Repeat("x", 100_000)} {
		want := gitOut(t, dir, content, "hash-object", "--stdin")
		if got := HashObject(TypeBlob, []byte(content)).String(); got != want {
			t.Errorf("blob of %d bytes: got %s, want %s", len(content), got, want)
		}
	}
}

func TestBuildTree_MatchesGitMktree(t *testing.T) {
	dir := t.TempDir()
	gitOut(t, dir, "", "init", "-q")
	h := newMemHistory()
	files := h.files(state(1))
	tree, err := BuildTree(files)
	if err != nil {
		t.Fatal(err)
	}
	// Write every blob, then every tree, into git and let mktree hash them.
	for _, f := range files {
		content := f.Target
		if f.Mode != ModeSymlink {
			content = string(h.blobs[f.Digest])
		}
		if got := gitOut(t, dir, content, "hash-object", "-w", "--stdin"); got != f.Blob.String() {
			t.Fatalf("%s: blob %s, git says %s", f.Path, f.Blob, got)
		}
	}
	for _, o := range tree.Trees {
		var ls strings.Builder
		for _, e := range parseTree(t, o.Data) {
			kind := "blob"
			if e.mode == ModeTree {
				kind = "tree"
			}
			ls.WriteString(modeString(e.mode) + " " + kind + " " + e.id.String() + "\t" + e.name + "\n")
		}
		if got := gitOut(t, dir, ls.String(), "mktree"); got != o.ID.String() {
			t.Fatalf("tree %s: git mktree says %s", o.ID, got)
		}
	}
	if got := tree.Trees[len(tree.Trees)-1].ID; got != tree.Root {
		t.Fatalf("root %s is not the last tree %s", tree.Root, got)
	}
}

func modeString(m uint32) string {
	return fmt.Sprintf("%06o", m)
}

func parseTree(t *testing.T, data []byte) []treeEntry {
	t.Helper()
	var out []treeEntry
	for len(data) > 0 {
		sp := strings.IndexByte(string(data), ' ')
		nul := strings.IndexByte(string(data), 0)
		var e treeEntry
		for _, c := range string(data[:sp]) {
			e.mode = e.mode*8 + uint32(c-'0')
		}
		e.name = string(data[sp+1 : nul])
		copy(e.id[:], data[nul+1:nul+21])
		out = append(out, e)
		data = data[nul+21:]
	}
	return out
}

func TestCommitEncode_MatchesGit(t *testing.T) {
	dir := t.TempDir()
	gitOut(t, dir, "", "init", "-q")
	c := &Commit{
		Tree:    HashObject(TypeTree, nil),
		Parent:  HashObject(TypeBlob, []byte("parent")),
		Author:  Signature{Name: "Ada <L>", Email: "ada@example.invalid", When: time.Date(2026, 11, 26, 14, 5, 9, 0, time.UTC)},
		Message: "Fix it\n\nDagdeck-Deploy: x\n",
	}
	o := c.Encode()
	if got := gitOut(t, dir, string(o.Data), "hash-object", "-t", "commit", "--stdin"); got != o.ID.String() {
		t.Fatalf("commit: got %s, git says %s", o.ID, got)
	}
	wantAuthor := fmt.Sprintf("author Ada L <ada@example.invalid> %d +0000\n", c.Author.When.Unix())
	if !strings.Contains(string(o.Data), wantAuthor) {
		t.Fatalf("unexpected author line in %q", o.Data)
	}
	if tree, err := ParseCommitTree(o.Data); err != nil || tree != c.Tree {
		t.Fatalf("ParseCommitTree = %s, %v", tree, err)
	}
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		want uint32
	}{{0o644, ModeFile}, {0o755, ModeExecutable}, {0o744, ModeExecutable}, {os.ModeSymlink | 0o777, ModeSymlink}} {
		if got := ModeOf(tc.mode); got != tc.want {
			t.Errorf("ModeOf(%v) = %o, want %o", tc.mode, got, tc.want)
		}
	}
}
