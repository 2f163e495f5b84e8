package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// runEnv is Server.Run with extra environment variables.
func runEnv(t *testing.T, s *Server, dir string, env []string, args ...string) Result {
	t.Helper()
	saved := s.Env
	s.Env = append(slices.Clone(s.Env), env...)
	defer func() { s.Env = saved }()
	return s.Run(t, dir, args...)
}

// buildInfo reads what `go version -m` says about a binary: the main
// module's version and the vcs settings.
func buildInfo(t *testing.T, bin string) (version, revision, modified string) {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			version = f[2]
		case len(f) >= 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) >= 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.modified="):
			modified = strings.TrimPrefix(f[1], "vcs.modified=")
		}
	}
	return version, revision, modified
}

type versionJSON struct {
	Version, Commit, GoVersion string
}

func runVersion(t *testing.T, name string, arg ...string) versionJSON {
	t.Helper()
	out, err := exec.Command(name, append(arg, "version", "-o", "json")...).Output()
	if err != nil {
		t.Fatalf("%s %q version: %v", name, arg, err)
	}
	var v versionJSON
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	return v
}

// TestE2E_Version checks `dagdeck version` against what the Go toolchain
// reads from the same binary, for a plain build, a build with a version
// linked in, and `go run`.
func TestE2E_Version(t *testing.T) {
	t.Parallel()
	modVersion, revision, modified := buildInfo(t, binary)
	want := versionJSON{Version: modVersion, Commit: revision, GoVersion: runtime.Version()}
	if want.Version == "(devel)" {
		want.Version = "devel"
	}
	if modified == "true" {
		want.Commit += "-dirty"
	}
	if got := runVersion(t, binary); got != want {
		t.Fatalf("version -o json = %+v, want %+v (from go version -m)", got, want)
	}
	out, err := exec.Command(binary, "--version").Output()
	commit := want.Commit
	if commit == "" {
		commit = "unknown"
	}
	if line := "dagdeck " + want.Version + " (commit " + commit + ", " + want.GoVersion + ")\n"; err != nil || string(out) != line {
		t.Fatalf("--version = %q, %v; want %q", out, err, line)
	}

	linked := filepath.Join(t.TempDir(), "dagdeck")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7", "-o", linked, "github.com/dagdeck/dagdeck/cmd/dagdeck")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if got := runVersion(t, linked); got.Version != "v9.8.7" || got.GoVersion != runtime.Version() {
		t.Fatalf("linked version: %+v", got)
	}

	got := runVersion(t, "go", "run", "github.com/dagdeck/dagdeck/cmd/dagdeck")
	if got.Version != "devel" || got.GoVersion != runtime.Version() || !regexp.MustCompile(`^([0-9a-f]{40}(-dirty)?)?$`).MatchString(got.Commit) {
		t.Fatalf("go run: %+v", got)
	}
}

// TestE2E_Completion completes Deployment names and deploys from a real
// server, and offers nothing, quickly and silently, once it is gone.
func TestE2E_Completion(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl", "--description", "nightly ETL")
	proj := filepath.Join(dir, "proj")
	WriteProject(t, proj, project("1.1.0", "v1"))
	var d dagdeck.Deploy
	s.JSON(t, dir, &d, "deploy", proj, "-d", "etl", "--description", "first")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deploys", "list", "--deployment", ""}, "etl\tnightly ETL\n"},
		{[]string{"rollback", "-d", "etl", "#"}, "#1\tDEPLOYED "},
		{[]string{"deploys", "inspect", "-d", "etl", d.ID[:3]}, d.ID + "\t#1 DEPLOYED "},
		{[]string{"deploys", "download", "#1", "--part", ""}, "all\ndags\nimage\n"},
	} {
		res := s.Run(t, dir, append([]string{"__complete"}, tt.args...)...)
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, tt.want) {
			t.Fatalf("__complete %q: exit %d, stdout %q, want it to start with %q", tt.args, res.Code, res.Stdout, tt.want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if out := s.MustRun(t, dir, "completion", shell); !strings.Contains(out, "__complete") {
			t.Fatalf("completion %s does not call __complete:\n%.300s", shell, out)
		}
	}

	s.Stop(t)
	res := s.Run(t, dir, "__complete", "deploys", "list", "-d", "")
	if res.Code != 0 || res.Stdout != ":4\n" || strings.Contains(res.Stderr, "Error") {
		t.Fatalf("completion against a stopped server: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
}

// TestE2E_DefaultDeployment: `deployment use` saves a default per server;
// $DAGDECK_DEPLOYMENT beats it; --deployment beats both.
func TestE2E_DefaultDeployment(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	s.MustRun(t, dir, "deployment", "create", "--name", "other")
	proj := filepath.Join(dir, "proj")
	WriteProject(t, proj, project("1.1.0", "v1"))

	if res := s.Run(t, dir, "deploys", "list"); res.Code != 2 || !strings.Contains(res.Stderr, "--deployment is required") {
		t.Fatalf("without a default: exit %d, stderr %q", res.Code, res.Stderr)
	}
	s.MustRun(t, dir, "deployment", "use", "etl")
	res := s.Run(t, dir, "deploy", proj, "--description", "to the default")
	if res.Code != 0 || !strings.Contains(res.Stderr, "Using Deployment etl (from dagdeck deployment use).") {
		t.Fatalf("deploy: exit %d, stderr %q", res.Code, res.Stderr)
	}
	count := func(env []string, args ...string) int {
		t.Helper()
		res := runEnv(t, s, dir, env, append([]string{"deploys", "list", "-o", "json"}, args...)...)
		var h history
		if res.Code != 0 || json.Unmarshal([]byte(res.Stdout), &h) != nil {
			t.Fatalf("deploys list %q: exit %d\n%s%s", args, res.Code, res.Stdout, res.Stderr)
		}
		return len(h.Deploys)
	}
	if n := count(nil); n != 1 {
		t.Fatalf("the default etl has %d deploys, want 1", n)
	}
	if n := count([]string{"DAGDECK_DEPLOYMENT=other"}); n != 0 {
		t.Fatalf("$DAGDECK_DEPLOYMENT=other: %d deploys, want 0", n)
	}
	if n := count([]string{"DAGDECK_DEPLOYMENT=other"}, "-d", "etl"); n != 1 {
		t.Fatalf("--deployment etl: %d deploys, want 1", n)
	}
	if out := s.MustRun(t, dir, "deployment", "use"); out != "etl (from dagdeck deployment use)\n" {
		t.Fatalf("deployment use: %q", out)
	}

	// Saved beside the token, owner-only, per server.
	path := filepath.Join(s.Home, ".config", "dagdeck", "credentials.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	var creds struct {
		Servers map[string]struct{ Token, Deployment string }
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &creds); err != nil || creds.Servers[s.URL].Deployment != "etl" || creds.Servers[s.URL].Token == "" {
		t.Fatalf("credentials %s: %v", b, err)
	}
	s.MustRun(t, dir, "deployment", "use", "--clear")
	if res := s.Run(t, dir, "deploys", "list"); res.Code != 2 {
		t.Fatalf("after --clear: exit %d", res.Code)
	}
}

// TestE2E_ExitCodes: 2 for usage and invalid requests, 3 for refusals by a
// rule, 4 for authentication and authorization, 1 for the rest.
func TestE2E_ExitCodes(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	v2 := filepath.Join(dir, "v2")
	WriteProject(t, v2, project("2.0.0", "v2"))
	older := filepath.Join(dir, "older")
	WriteProject(t, older, project("1.1.0", "v1"))
	var first dagdeck.Deploy
	s.JSON(t, dir, &first, "deploy", older, "-d", "etl", "--description", "v1")
	s.MustRun(t, dir, "deploy", v2, "-d", "etl", "--description", "v2")
	var viewer struct{ Secret string }
	s.JSON(t, dir, &viewer, "token", "create", "--name", "ro", "--role", "viewer")

	tests := []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"ok", nil, []string{"deploys", "list", "-d", "etl"}, 0},
		{"unknown flag", nil, []string{"deploys", "list", "--nope"}, 2},
		{"missing argument", nil, []string{"deploys", "inspect"}, 2},
		{"invalid request", nil, []string{"deploy", older, "-d", "etl", "--description", "older runtime"}, 2},
		{"not found", nil, []string{"deploys", "inspect", "#99", "-d", "etl"}, 1},
		{"downgrade not confirmed", nil, []string{"rollback", first.ID, "-d", "etl", "--description", "back", "--yes"}, 3},
		{"bad token", []string{"DAGDECK_TOKEN=ddk_wrong"}, []string{"deploys", "list", "-d", "etl"}, 4},
		{"forbidden", []string{"DAGDECK_TOKEN=" + viewer.Secret}, []string{"deploy", v2, "-d", "etl", "--description", "x"}, 4},
	}
	for _, tt := range tests {
		res := runEnv(t, s, dir, tt.env, tt.args...)
		if res.Code != tt.want {
			t.Errorf("%s: exit %d, want %d; stderr %q", tt.name, res.Code, tt.want, res.Stderr)
		}
	}
	if help := s.MustRun(t, dir, "help"); !strings.Contains(help, "Exit codes:") || !strings.Contains(help, "3  refused by a rule") {
		t.Fatalf("dagdeck help does not document the exit codes:\n%s", help)
	}
}

// tarFiles returns the regular files of a tar.gz, path → content.
func tarFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		} else if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			files[h.Name] = string(c)
		}
	}
}

// TestE2E_DownloadAll downloads a deploy's whole code, image and DAGs
// merged as the runtime runs them, under a name without colons; --part
// narrows it.
func TestE2E_DownloadAll(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	proj := filepath.Join(dir, "proj")
	files := project("1.1.0", "v1")
	WriteProject(t, proj, files)
	s.MustRun(t, dir, "deploy", proj, "-d", "etl", "--description", "v1")
	delete(files, "scratch.tmp") // ignored by .dagdeckignore
	// A DAG-only deploy: its code is the first image (v1's include/) with
	// the new DAGs.
	v2 := project("1.1.0", "v2")
	v2["dags/report.yaml"] += "# v2\n"
	v2["dags/extra.yaml"] = "# not a DAG yet\n"
	for p, c := range v2 {
		if strings.HasPrefix(p, "dags/") {
			files[p] = c
		}
	}
	WriteProject(t, proj, v2)
	var d dagdeck.Deploy
	s.JSON(t, dir, &d, "deploy", proj, "-d", "etl", "--dags", "--description", "v2 DAGs")

	res := s.Run(t, dir, "deploys", "download", "#2", "-d", "etl")
	name := "etl-2-" + d.ID[:8] + ".tar.gz"
	if res.Code != 0 || !strings.Contains(res.Stderr, "Wrote "+name) {
		t.Fatalf("download: exit %d, stderr %q, want %s", res.Code, res.Stderr, name)
	}
	if got := tarFiles(t, filepath.Join(dir, name)); !maps.Equal(got, files) {
		t.Fatalf("whole code %v\nwant %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(files)))
	}
	s.MustRun(t, dir, "deploys", "download", d.ID, "--part", "dags")
	got := tarFiles(t, filepath.Join(dir, "etl-2-"+d.ID[:8]+"-dags.tar.gz"))
	for p := range got {
		if !strings.HasPrefix(p, "dags/") || got[p] != files[p] {
			t.Fatalf("--part dags has %s", p)
		}
	}
}

// TestE2E_TasksLogsFollow follows a running try: its first line arrives
// while it still runs, and the command ends by itself when the try does.
func TestE2E_TasksLogsFollow(t *testing.T) {
	t.Parallel()
	s, dir, shared := runtimeSetup(t)
	deployProject(t, s, dir, pipeProject("1.1.0", "v1"), "v1")
	run := trigger(t, s, dir, "pipe")
	ti := WaitForTry(t, s, dir, "etl", run.RunID, "first", 1, dagdeck.TaskRunning)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "tasks", "logs", ti.ID, "-d", "etl", "--follow")
	cmd.Env, cmd.Dir = s.Env, dir
	out, stderr := &testenv.Buffer{}, &testenv.Buffer{}
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	WaitFor(t, 30*time.Second, "the running try's first line", func() bool {
		return strings.Contains(out.String(), "first v1 try 1\n")
	})
	select {
	case err := <-done:
		t.Fatalf("--follow ended while the try runs: %v\n%s", err, stderr)
	default:
	}
	Touch(t, shared, "go-1")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("--follow: %v\n%s", err, stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("--follow did not end after the try")
	}
	if got, want := out.String(), taskLog(t, s, dir, ti); got != want {
		t.Fatalf("followed %q, stored log %q", got, want)
	}
	var l struct{ TaskInstanceID, State, Log string }
	s.JSON(t, dir, &l, "tasks", "logs", ti.ID, "-d", "etl")
	if l.TaskInstanceID != ti.ID || l.State != dagdeck.TaskSuccess || l.Log != out.String() {
		t.Fatalf("tasks logs -o json: %+v", l)
	}
}
