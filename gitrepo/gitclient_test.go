package gitrepo

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// gitServer serves a memHistory at <url>/repo.git on 127.0.0.1.
type gitServer struct {
	mu   sync.Mutex
	hist *memHistory
	url  string
}

func startGitServer(t *testing.T, h *memHistory) *gitServer {
	t.Helper()
	s := &gitServer{hist: h}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := strings.CutPrefix(r.URL.Path, "/repo.git")
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		repo := s.hist.repo()
		s.mu.Unlock()
		if err := Serve(w, r, repo, op); err != nil {
			t.Logf("serve: %v", err)
		}
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/repo.git"
	return s
}

func (s *gitServer) update(fn func(h *memHistory)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.hist)
}

// git runs git in dir with the given protocol version ("0" or "2") and
// returns its combined output; it fails the test on error.
func git(t *testing.T, proto, dir string, args ...string) string {
	t.Helper()
	out, err := gitTry(proto, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func gitTry(proto, dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-c", "protocol.version=" + proto}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			if info.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".git":
			return nil
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "->" + target
			return err
		default:
			b, err := os.ReadFile(p)
			prefix := ""
			if info.Mode()&0o111 != 0 {
				prefix = "+x "
			}
			out[rel] = prefix + string(b)
			return err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
