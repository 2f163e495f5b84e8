package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
	"github.com/dagdeck/dagdeck/credentials"
	"github.com/dagdeck/dagdeck/registry"
)

// testIO is a factory wired to buffers, with its output.
type testIO struct {
	f      *factory
	out    *bytes.Buffer
	errOut *bytes.Buffer
}

// newTestFactory returns a factory that talks to serverURL, reads stdin
// from stdin, sees no environment or credentials file, and packs a
// project with a Dockerfile, one DAG and one include file.
func newTestFactory(t *testing.T, serverURL, stdin string) *testIO {
	t.Helper()
	tio := &testIO{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}}
	proj := newFakeProject(t, "1.1.0", map[string]string{
		"Dockerfile":        "FROM dagdeck/runtime:1.1.0\n",
		"dags/weather.yaml": "weather:\n  schedule: '@daily'\n",
		"include/query.sql": "select 1;\n",
	})
	tio.f = &factory{
		version:        "test",
		build:          versionInfo{Version: "test", Commit: "0123abc-dirty", GoVersion: "go1.26.8"},
		in:             strings.NewReader(stdin),
		out:            tio.out,
		errOut:         tio.errOut,
		stdinTTY:       func() bool { return false },
		stdoutTTY:      func() bool { return false },
		stderrTTY:      func() bool { return false },
		readPassword:   func() (string, error) { return "", nil },
		getenv:         func(k string) string { return map[string]string{"DAGDECK_SERVER": serverURL}[k] },
		defaultServer:  func() string { return "" },
		loadToken:      func(string) (string, error) { return "", credentials.ErrNotFound },
		loadDeployment: func(string) (string, error) { return "", credentials.ErrNotFound },
		saveDeployment: func(string, string) error { return errors.New("no credentials file in tests") },
		now:            func() time.Time { return testTime.Add(3 * time.Hour) },
		pack:           func(context.Context, string) (project, error) { return proj, nil },
		readGit:        func(context.Context, string) (*bundle.GitState, error) { return &bundle.GitState{}, nil },
		// A real resolver without credentials: tests never read the Docker
		// config of whoever runs them.
		resolveImage:      (&registry.Resolver{Keychain: authn.NewMultiKeychain()}).Resolve,
		pollInterval:      time.Millisecond,
		completionTimeout: 300 * time.Millisecond,
		leaseRenewal:      time.Millisecond,
	}
	return tio
}

// run executes the root command with args and returns the exit code.
func (tio *testIO) run(args ...string) int {
	return tio.runContext(context.Background(), args...)
}

// runContext is run with a context, cancelled as Ctrl-C cancels the CLI's.
func (tio *testIO) runContext(ctx context.Context, args ...string) int {
	root := newRootCmd(tio.f)
	root.SetArgs(args)
	return Execute(ctx, root)
}

// fakeProject is a packed project backed by files in a temporary directory.
type fakeProject struct {
	runtime string
	dir     string
	files   []dagdeck.ManifestFile
}

func newFakeProject(t *testing.T, runtime string, files map[string]string) *fakeProject {
	p := &fakeProject{runtime: runtime, dir: t.TempDir()}
	for path, content := range files {
		full := filepath.Join(p.dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, dagdeck.ManifestFile{Path: path, Mode: 0o644, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))})
	}
	sort.Slice(p.files, func(i, j int) bool { return p.files[i].Path < p.files[j].Path })
	return p
}

func (p *fakeProject) Runtime() string { return p.runtime }

func (p *fakeProject) Image(dagDeploy bool) *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: dagdeck.ManifestImage}
	for _, f := range p.files {
		if !dagDeploy || !strings.HasPrefix(f.Path, "dags/") {
			m.Files = append(m.Files, f)
		}
	}
	return m
}

func (p *fakeProject) DAGs() *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs}
	for _, f := range p.files {
		if strings.HasPrefix(f.Path, "dags/") {
			m.Files = append(m.Files, f)
		}
	}
	return m
}

func (p *fakeProject) Open(digest string) (*os.File, error) {
	for _, f := range p.files {
		if f.Digest == digest {
			return os.Open(filepath.Join(p.dir, filepath.FromSlash(f.Path)))
		}
	}
	return nil, os.ErrNotExist
}

func (p *fakeProject) Size(digests []string) int64 {
	want := map[string]bool{}
	for _, d := range digests {
		want[d] = true
	}
	var n int64
	for _, f := range p.files {
		if want[f.Digest] {
			n += f.Size
			delete(want, f.Digest)
		}
	}
	return n
}

// digestOf returns the digest of a file of the default test project.
func digestOf(content string) string { return dagdeck.DigestOf([]byte(content)) }
