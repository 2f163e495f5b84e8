// Package e2e tests dagdeck end to end: it builds the real binary, starts
// `dagdeck server` processes on free 127.0.0.1 ports with temporary data
// directories, and drives them with the CLI, as a user would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// binary is the dagdeck binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dagdeck-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dagdeck")
	build := exec.Command("go", "build", "-o", binary, "github.com/dagdeck/dagdeck/cmd/dagdeck")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dagdeck:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopPostgres()
	testenv.StopS3()
	testenv.StopRegistries()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Server is a running `dagdeck server` process and the environment its CLI
// calls use (its own config dir, so the saved admin token is found).
type Server struct {
	URL     string
	DataDir string
	Home    string
	Args    []string
	Env     []string
	cmd     *exec.Cmd
	out     *testenv.Buffer
	done    chan struct{} // closed when the process has exited
}

// StartServer starts `dagdeck server` with extra args on a free port and
// waits until it answers. It is stopped when the test ends.
func StartServer(t *testing.T, extra ...string) *Server {
	t.Helper()
	s := NewServer(t, extra...)
	s.Start(t)
	return s
}

// NewServer prepares a server like StartServer, without starting it, so a
// test can adjust its environment first.
func NewServer(t *testing.T, extra ...string) *Server {
	t.Helper()
	home := t.TempDir()
	s := &Server{DataDir: filepath.Join(home, "data"), Home: home}
	addr := freeAddr(t)
	s.URL = "http://" + addr
	// Tasks run as the test's user: they share scratch directories private
	// to the test. TestE2E_TaskUser runs them as nobody.
	s.Args = append([]string{"server", "--addr", addr, "--data-dir", s.DataDir, "--task-user="}, extra...)
	s.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "DAGDECK_SERVER="+s.URL, "DAGDECK_TOKEN=", "DAGDECK_CONFIG=")
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Start (re)starts the server process with the same arguments.
func (s *Server) Start(t *testing.T) {
	t.Helper()
	s.out = &testenv.Buffer{}
	s.cmd = exec.Command(binary, s.Args...)
	s.cmd.Env = s.Env
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	WaitFor(t, 30*time.Second, "server to answer", func() bool {
		if s.exited() {
			t.Fatalf("dagdeck %s exited:\n%s", strings.Join(s.Args, " "), s.out)
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
}

// exited reports whether the server process has ended.
func (s *Server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop stops the server gracefully (SIGTERM) and waits for it.
func (s *Server) Stop(t *testing.T) {
	if s.cmd == nil || s.exited() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("server did not stop on SIGTERM; output:\n%s", s.out)
	}
}

// Kill kills the server with SIGKILL, as a crash would.
func (s *Server) Kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// Output returns what the server printed so far.
func (s *Server) Output() string { return s.out.String() }

// Result is the outcome of one CLI call.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs the CLI against the server and returns its output and exit code.
func (s *Server) Run(t *testing.T, dir string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env, cmd.Dir = s.Env, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		res.Code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("dagdeck %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// MustRun runs the CLI and fails the test unless it exits 0.
func (s *Server) MustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	res := s.Run(t, dir, args...)
	if res.Code != 0 {
		t.Fatalf("dagdeck %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

// JSON runs the CLI with -o json and decodes its output into v.
func (s *Server) JSON(t *testing.T, dir string, v any, args ...string) {
	t.Helper()
	out := s.MustRun(t, dir, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("dagdeck %s -o json printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// WaitFor polls cond until it holds or the deadline passes.
var WaitFor = apitest.WaitFor

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WriteProject writes files (path → content) under dir.
func WriteProject(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}
