package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// build compiles ./cmd/dagdeck of this module to path.
func build(path string) error {
	cmd := exec.Command("go", "build", "-o", path, "./cmd/dagdeck")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build dagdeck: %w", err)
	}
	return nil
}

var tokenRE = regexp.MustCompile(`ddk_[A-Za-z0-9_-]+`)

// server is a running `dagdeck server` with its own data and home folders.
type server struct {
	bin     string
	dataDir string
	// codeDir holds the runtime's version folders (--code-dir): in dataDir
	// unless tasks run as a task user (the server runs as root).
	codeDir string
	home    string
	url     string
	token   string
	cmd     *exec.Cmd
	out     *testenv.Buffer
	// background is how long the server worked on after its last deploy
	// returned (see quiesce).
	background time.Duration
}

// startServer starts bin's server on a free 127.0.0.1 port with data in dir.
func startServer(bin, dir string) (*server, error) {
	s := &server{bin: bin, dataDir: filepath.Join(dir, "data"), codeDir: filepath.Join(dir, "code"), home: filepath.Join(dir, "home")}
	if err := os.MkdirAll(s.home, 0o755); err != nil {
		return nil, err
	}
	return s, s.start()
}

func (s *server) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	s.url = "http://" + addr
	s.out = &testenv.Buffer{}
	s.cmd = exec.Command(s.bin, "server", "--addr", addr, "--data-dir", s.dataDir)
	if os.Geteuid() == 0 {
		s.cmd.Args = append(s.cmd.Args, "--code-dir", s.codeDir)
	}
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if t := tokenRE.FindString(s.out.String()); t != "" {
				s.token = t
			}
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("server did not answer:\n%s", s.out)
}

// env is the environment of the server and of CLI commands against it.
func (s *server) env() []string {
	return append(os.Environ(), "HOME="+s.home, "XDG_CONFIG_HOME="+filepath.Join(s.home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(s.home, ".local"), "DAGDECK_SERVER="+s.url, "DAGDECK_TOKEN="+s.token, "DAGDECK_CONFIG=")
}

// stop ends the server with SIGTERM and waits for it.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

func (s *server) client() *client.Client { return client.New(s.url, s.token) }

// cli runs a dagdeck command against the server and returns its wall time
// and peak RSS in bytes.
func (s *server) cli(ctx context.Context, args ...string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = s.env()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr // stdout to /dev/null: listings stream there
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, 0, fmt.Errorf("dagdeck %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return d, maxRSS(cmd.ProcessState), nil
}

// maxRSS returns a finished process's peak resident set in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// rss returns the server's current and peak resident set in bytes.
func (s *server) rss() (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = n * 1024
		case "VmHWM:":
			peak = n * 1024
		}
	}
	return cur, peak
}

// quiesce waits for the server's background work after a deploy: until its
// artifact folder holds no blob still waiting to be compressed (at most
// 2 minutes), then until it settles. It returns how long it waited, so
// background work is reported, and never lands on what is measured next.
func (s *server) quiesce() time.Duration {
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	for time.Now().Before(deadline) && s.uncompressed() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	s.settle()
	return time.Since(start)
}

// uncompressed counts the blobs stored plain in the server's artifact
// folder: those its compressor has yet to replace.
func (s *server) uncompressed() int {
	shards, _ := filepath.Glob(filepath.Join(s.dataDir, "artifacts", "blobs", "sha256", "??"))
	n := 0
	for _, shard := range shards {
		entries, _ := os.ReadDir(shard)
		for _, e := range entries {
			if len(e.Name()) == 64 { // <hex>; compressed ones are <hex>.zst
				n++
			}
		}
	}
	return n
}

// settle waits until the server has used less than 5 % of a core for half
// a second (at most 30 s), so that its start-up work (the runtime
// activating the current deploy) is not part of what is measured next.
func (s *server) settle() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		before := s.cpu()
		time.Sleep(500 * time.Millisecond)
		if s.cpu()-before < 25*time.Millisecond {
			return
		}
	}
}

// cpu returns the CPU time the server has used (user and system), in
// clock ticks of 10 ms.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	text := string(b)
	f := strings.Fields(text[strings.LastIndexByte(text, ')')+2:]) // after "pid (comm) "
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// diskUsage returns the bytes the files under root occupy on disk (512-byte
// blocks, as du counts), counting a hard-linked file once.
func diskUsage(roots ...string) int64 {
	seen := map[uint64]bool{}
	var n int64
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			st, ok := info.Sys().(*syscall.Stat_t)
			if !ok || seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
			n += st.Blocks * 512
			return nil
		})
	}
	return n
}

// run runs a command, returning its wall time.
func run(dir string, env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out.String())
	}
	return time.Since(start), nil
}
