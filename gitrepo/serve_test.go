package gitrepo

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

func state(n int) map[string]string {
	return map[string]string{
		"Dockerfile":         "FROM dagdeck/runtime:1.0.0\n",
		"dags/a.yaml":        "dag: a\nversion: " + string(rune('0'+n)) + "\n",
		"include/run.sh":     "+x #!/bin/sh\necho " + string(rune('0'+n)) + "\n",
		"include/link.sh":    "->run.sh",
		"include/sub/x.txt":  "same\n",
		"include/sub-y.txt":  "dash sorts before slash\n",
		"include/sub.z/w.md": "dot\n",
	}
}

func TestServe_CloneFetchPull(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			srv := startGitServer(t, newMemHistory(state(1), state(2)))
			dir := t.TempDir()
			work := filepath.Join(dir, "w")
			git(t, proto, dir, "clone", srv.url, work)
			if got, want := readTree(t, work), state(2); !maps.Equal(got, want) {
				t.Fatalf("clone: got %v, want %v", got, want)
			}
			if got := git(t, proto, work, "rev-parse", "HEAD"); got != srv.hist.commits[1].ID.String() {
				t.Fatalf("HEAD = %s, want %s", got, srv.hist.commits[1].ID)
			}
			git(t, proto, work, "fsck", "--strict")
			srv.update(func(h *memHistory) { h.add(state(3)) })
			git(t, proto, work, "pull", "--ff-only")
			if got, want := readTree(t, work), state(3); !maps.Equal(got, want) {
				t.Fatalf("pull: got %v, want %v", got, want)
			}
			if got := git(t, proto, work, "rev-list", "--count", "HEAD"); got != "3" {
				t.Fatalf("history has %s commits, want 3", got)
			}
			if tags := git(t, proto, work, "tag"); !strings.Contains(tags, "deploy-3") {
				t.Fatalf("tags %q lack deploy-3", tags)
			}
		})
	}
}

func TestServe_Shallow(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			srv := startGitServer(t, newMemHistory(state(1), state(2), state(3)))
			dir := t.TempDir()
			work := filepath.Join(dir, "w")
			git(t, proto, dir, "clone", "--depth", "1", srv.url, work)
			if got := git(t, proto, work, "rev-list", "--count", "HEAD"); got != "1" {
				t.Fatalf("shallow clone has %s commits, want 1", got)
			}
			if got, want := readTree(t, work), state(3); !maps.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			srv.update(func(h *memHistory) { h.add(state(4)); h.add(state(5)) })
			git(t, proto, work, "fetch", "--depth", "1", "origin", "main")
			git(t, proto, work, "reset", "--hard", "origin/main")
			if got, want := readTree(t, work), state(5); !maps.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			// Fetching an older commit by id, then --unshallow with no ref changed.
			git(t, proto, work, "fetch", "--depth", "1", "origin", srv.hist.commits[0].ID.String())
			git(t, proto, work, "fetch", "--unshallow")
			if got := git(t, proto, work, "rev-list", "--count", "origin/main"); got != "5" {
				t.Fatalf("unshallowed history has %s commits, want 5", got)
			}
			git(t, proto, work, "fsck")
		})
	}
}

func TestServe_FetchBySHAAndWorktree(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			h := newMemHistory(state(1), state(2), state(3))
			srv := startGitServer(t, h)
			dir := t.TempDir()
			bare := filepath.Join(dir, "bare")
			git(t, proto, dir, "clone", "--bare", srv.url, bare)
			for i, c := range h.commits {
				wt := filepath.Join(dir, "wt", c.ID.String())
				git(t, proto, bare, "worktree", "add", "--detach", wt, c.ID.String())
				if got, want := readTree(t, wt), state(i+1); !maps.Equal(got, want) {
					t.Fatalf("worktree %d: got %v, want %v", i, got, want)
				}
			}
			one := filepath.Join(dir, "one")
			git(t, proto, dir, "init", "-q", one)
			git(t, proto, one, "fetch", "--depth", "1", srv.url, h.commits[1].ID.String())
			git(t, proto, one, "checkout", "-q", "FETCH_HEAD")
			if got, want := readTree(t, one), state(2); !maps.Equal(got, want) {
				t.Fatalf("fetch by SHA: got %v, want %v", got, want)
			}
		})
	}
}

func TestServe_PrunedHistoryIsShallow(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			h := newMemHistory(state(1), state(2), state(3))
			srv := startGitServer(t, h)
			dir := t.TempDir()
			old := filepath.Join(dir, "old")
			git(t, proto, dir, "clone", srv.url, old)
			srv.update(func(h *memHistory) { h.add(state(4)); h.pruned = 2 })
			fresh := filepath.Join(dir, "fresh")
			git(t, proto, dir, "clone", srv.url, fresh)
			if got := git(t, proto, fresh, "rev-list", "--count", "HEAD"); got != "2" {
				t.Fatalf("fresh clone has %s commits, want 2 (shallow at the oldest buildable)", got)
			}
			if got, want := readTree(t, fresh), state(4); !maps.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			git(t, proto, old, "pull", "--ff-only")
			if got := git(t, proto, old, "rev-list", "--count", "HEAD"); got != "4" {
				t.Fatalf("old clone has %s commits after pull, want 4", got)
			}
		})
	}
}

func TestServe_PushRefused(t *testing.T) {
	srv := startGitServer(t, newMemHistory(state(1)))
	dir := t.TempDir()
	work := filepath.Join(dir, "w")
	git(t, "2", dir, "clone", srv.url, work)
	git(t, "2", work, "commit", "-q", "--allow-empty", "-m", "x")
	out, err := gitTry("2", work, "push", "origin", "HEAD:main")
	if err == nil || !strings.Contains(out, "dagdeck deploy") {
		t.Fatalf("push: err %v, output %q; want a refusal naming dagdeck deploy", err, out)
	}
}

func TestServe_EmptyRepository(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			srv := startGitServer(t, newMemHistory())
			dir := t.TempDir()
			out := git(t, proto, dir, "clone", srv.url, filepath.Join(dir, "w"))
			if !strings.Contains(out, "empty repository") {
				t.Fatalf("clone of an empty repository: %s", out)
			}
			srv.update(func(h *memHistory) { h.add(state(1)) })
			git(t, proto, filepath.Join(dir, "w"), "pull", "-q", "origin", "main")
			if got, want := readTree(t, filepath.Join(dir, "w")), state(1); !maps.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestServe_NegotiationRounds: a client whose newest commits the server
// does not know needs several rounds of haves before a common commit.
func TestServe_NegotiationRounds(t *testing.T) {
	for _, proto := range []string{"0", "2"} {
		t.Run("v"+proto, func(t *testing.T) {
			t.Parallel()
			srv := startGitServer(t, newMemHistory(state(1), state(2)))
			dir := t.TempDir()
			work := filepath.Join(dir, "w")
			git(t, proto, dir, "clone", "-q", srv.url, work)
			for i := 0; i < 70; i++ {
				git(t, proto, work, "commit", "-q", "--allow-empty", "-m", "local")
			}
			srv.update(func(h *memHistory) { h.add(state(3)) })
			git(t, proto, work, "fetch", "-q", "origin")
			if got := git(t, proto, work, "rev-parse", "origin/main"); got != srv.hist.commits[2].ID.String() {
				t.Fatalf("origin/main = %s", got)
			}
			git(t, proto, work, "fsck")
		})
	}
}

// TestServe_LargeAndManyBlobs: blobs above maxBufferedBlob are streamed,
// the others compressed ahead in parallel; the order must hold either way.
func TestServe_LargeAndManyBlobs(t *testing.T) {
	s := state(1)
	s["include/big.bin"] = strings.Repeat("0123456789abcdef", (maxBufferedBlob+1000)/16)
	for i := 0; i < 300; i++ {
		s[fmt.Sprintf("include/many/f%03d.txt", i)] = strings.Repeat(fmt.Sprint(i), 100+i)
	}
	srv := startGitServer(t, newMemHistory(s))
	dir := t.TempDir()
	work := filepath.Join(dir, "w")
	git(t, "2", dir, "clone", "-q", srv.url, work)
	if got := readTree(t, work); !maps.Equal(got, s) {
		t.Fatal("the clone differs from the recorded files")
	}
	git(t, "2", work, "fsck", "--strict")
}
