package gitrepo

import (
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
