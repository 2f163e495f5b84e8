package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// Process is a long-running dagdeck command other than the server, such
// as `dagdeck runtime`. It is stopped (SIGTERM) when the test ends.
type Process struct {
	Args []string
	cmd  *exec.Cmd
	out  *testenv.Buffer
	done chan struct{}
}

// StartProcess starts `dagdeck <args>` with the server's environment and
// waits until its output contains ready.
func StartProcess(t *testing.T, s *Server, ready string, args ...string) *Process {
	t.Helper()
	p := &Process{Args: args, out: &testenv.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = s.Env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.Stop(t) })
	WaitFor(t, 30*time.Second, "dagdeck "+strings.Join(args, " ")+" to start", func() bool {
		select {
		case <-p.done:
			t.Fatalf("dagdeck %s exited:\n%s", strings.Join(args, " "), p.out)
		default:
		}
		return strings.Contains(p.out.String(), ready)
	})
	return p
}

// Stop stops the process gracefully (SIGTERM) and waits for it.
func (p *Process) Stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("dagdeck %s did not stop on SIGTERM; output:\n%s", strings.Join(p.Args, " "), p.out)
	}
}

// Output returns what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// AdminToken returns the admin token a server printed on its first start.
func AdminToken(t *testing.T, s *Server) string {
	t.Helper()
	token := tokenRE.FindString(s.Output())
	if token == "" {
		t.Fatalf("the server printed no admin token:\n%s", s.Output())
	}
	return token
}

// RuntimeToken creates a token with the runtime role for a Deployment, the
// one `dagdeck runtime` needs, and returns its secret.
func RuntimeToken(t *testing.T, s *Server, dir, deployment string) string {
	t.Helper()
	var tok struct {
		Secret string `json:"secret"`
	}
	s.JSON(t, dir, &tok, "token", "create", "--name", "rt-"+dagdeck.NewID()[:8], "--role", string(dagdeck.RoleRuntime), "--deployment", deployment)
	if tok.Secret == "" {
		t.Fatal("token create returned no secret")
	}
	return tok.Secret
}

// TaskInstances lists a run's task instances with `dagdeck tasks list -o json`.
func TaskInstances(t *testing.T, s *Server, dir, deployment, runID string) []*dagdeck.TaskInstance {
	t.Helper()
	var out struct {
		TaskInstances []*dagdeck.TaskInstance `json:"taskInstances"`
	}
	s.JSON(t, dir, &out, "tasks", "list", "--deployment", deployment, "--run", runID)
	return out.TaskInstances
}

// Try returns try n of a task from a list of task instances, or nil.
func Try(tis []*dagdeck.TaskInstance, taskID string, n int) *dagdeck.TaskInstance {
	for _, ti := range tis {
		if ti.TaskID == taskID && ti.TryNumber == n {
			return ti
		}
	}
	return nil
}

// WaitForTry waits until try n of a task in a run is in one of the states.
func WaitForTry(t *testing.T, s *Server, dir, deployment, runID, taskID string, n int, states ...string) *dagdeck.TaskInstance {
	t.Helper()
	var ti *dagdeck.TaskInstance
	WaitFor(t, 60*time.Second, taskID+" try "+strings.Join(states, "/"), func() bool {
		ti = Try(TaskInstances(t, s, dir, deployment, runID), taskID, n)
		for _, st := range states {
			if ti != nil && ti.State == st {
				return true
			}
		}
		return false
	})
	return ti
}

// WaitForRun waits until a run has ended and returns its state.
func WaitForRun(t *testing.T, s *Server, dir, deployment string, run *dagdeck.DagRun) string {
	t.Helper()
	state := ""
	WaitFor(t, 60*time.Second, "run "+run.RunID+" to end", func() bool {
		var out struct {
			Runs []*dagdeck.DagRun `json:"runs"`
		}
		s.JSON(t, dir, &out, "runs", "list", "--deployment", deployment, "--dag", run.DagID)
		for _, r := range out.Runs {
			if r.ID == run.ID {
				state = r.State
			}
		}
		return state == dagdeck.RunSuccess || state == dagdeck.RunFailed
	})
	return state
}

// Touch creates an empty file.
func Touch(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// CopyDir copies the files under src into dst, keeping their modes.
func CopyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
