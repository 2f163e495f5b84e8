package localruntime_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/localruntime"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func as(role dagdeck.Role, name string) context.Context {
	return dagdeck.NewContextWithActor(context.Background(), &dagdeck.Actor{ID: "id-" + name, Kind: dagdeck.ActorToken, Name: name, Role: role})
}

var (
	admin    = as(dagdeck.RoleAdmin, "alice")
	deployer = as(dagdeck.RoleDeployer, "ci")
	viewer   = as(dagdeck.RoleViewer, "vera")
)

// env is a service on real SQLite and file stores with the local runtime
// running one Deployment ("etl") in process, as `dagdeck server` does.
type env struct {
	svc     *service.Service
	store   dagdeck.Store
	rt      *localruntime.Runtime
	config  localruntime.Config
	files   *file.Store
	dataDir string
	dep     *dagdeck.Deployment
	// shared is a scratch directory tasks reach through $SHARED.
	shared string
	// spy is the runtime's backend.
	spy *spyBackend
	// external: the service relays to the runtime through the store only.
	external bool
}

type envOption func(*localruntime.Config, *[]service.Option)

// withoutRuntime builds the env without starting a runtime (start one
// later with startRuntime(t, e.config)).
func withoutRuntime() envOption {
	return func(c *localruntime.Config, _ *[]service.Option) { c.Deployments = []string{"-"} }
}

func withClock(now func() time.Time) envOption {
	return func(c *localruntime.Config, _ *[]service.Option) { c.Now = now }
}

func withKeepVersions(n int) envOption {
	return func(c *localruntime.Config, _ *[]service.Option) { c.KeepVersions = n }
}

func withServiceOptions(opts ...service.Option) envOption {
	return func(_ *localruntime.Config, o *[]service.Option) { *o = append(*o, opts...) }
}

// spyBackend is the in-process backend with hooks: it records the logs
// the runtime stores, and runs afterDeployment (once) after a Deployment
// read.
type spyBackend struct {
	*service.RuntimeBackend
	mu              sync.Mutex
	logs            map[string][]string // task instance id → logs stored
	afterDeployment func()
	opens           int // blobs opened
	// gates hold back or fail the opening of blobs, by digest.
	gates map[string]func() error
}

func (b *spyBackend) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	b.mu.Lock()
	b.opens++
	gate := b.gates[digest]
	b.mu.Unlock()
	if gate != nil {
		if err := gate(); err != nil {
			return nil, err
		}
	}
	return b.RuntimeBackend.OpenBlob(ctx, digest)
}

// gate runs fn before each opening of the blob of content, which fails
// with fn's error: fn may block to hold the opening back.
func (b *spyBackend) gate(content string, fn func() error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gates == nil {
		b.gates = map[string]func() error{}
	}
	b.gates[dagdeck.DigestOf([]byte(content))] = fn
}

// blobsOpened returns how many blobs the runtime opened so far.
func (b *spyBackend) blobsOpened() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens
}

func (b *spyBackend) PutTaskLog(ctx context.Context, deploymentID, taskInstanceID string, log []byte) error {
	b.mu.Lock()
	if b.logs == nil {
		b.logs = make(map[string][]string)
	}
	b.logs[taskInstanceID] = append(b.logs[taskInstanceID], string(log))
	b.mu.Unlock()
	return b.RuntimeBackend.PutTaskLog(ctx, deploymentID, taskInstanceID, log)
}

func (b *spyBackend) Deployment(ctx context.Context, idOrName string) (*dagdeck.Deployment, *dagdeck.Deploy, error) {
	dep, cur, err := b.RuntimeBackend.Deployment(ctx, idOrName)
	b.mu.Lock()
	hook := b.afterDeployment
	b.afterDeployment = nil
	b.mu.Unlock()
	if hook != nil {
		hook()
	}
	return dep, cur, err
}

// storedLogs returns the logs the runtime stored for a task instance.
func (b *spyBackend) storedLogs(id string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.logs[id])
}

// setAfterDeployment arms the hook run after the next Deployment read.
func (b *spyBackend) setAfterDeployment(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.afterDeployment = fn
}

// withExternalRuntime wires the service to service.ExternalRuntime, as
// `dagdeck server --runtime=none` does: the runtime learns of deploys and
// downgrades from the store only, as `dagdeck runtime` does.
func withExternalRuntime() envOption {
	return func(c *localruntime.Config, _ *[]service.Option) { c.Deployments = []string{"external"} }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e := &env{store: db, files: fs, dataDir: filepath.Join(t.TempDir(), "data"), shared: t.TempDir()}
	cfg := localruntime.Config{DataDir: e.dataDir, PollInterval: 50 * time.Millisecond, KillGrace: time.Second, Logger: logger}
	svcOpts := []service.Option{service.WithLogger(logger), service.WithGCGrace(0)}
	for _, o := range opts {
		o(&cfg, &svcOpts)
	}
	e.svc = service.New(db, fs, svcOpts...)
	e.spy = &spyBackend{RuntimeBackend: e.svc.LocalRuntimeBackend()}
	cfg.Backend = e.spy
	start := cfg.Deployments == nil
	e.external = slices.Equal(cfg.Deployments, []string{"external"})
	cfg.Deployments = nil
	e.config = cfg
	if start || e.external {
		e.rt = e.startRuntime(t, cfg)
	}
	var err error
	e.dep, err = e.svc.CreateDeployment(admin, dagdeck.DeploymentCreate{Name: "etl"})
	if err != nil {
		t.Fatal(err)
	}
	e.setEnv(t, "SHARED", e.shared, false)
	return e
}

// startRuntime starts a runtime and wires it into the service.
func (e *env) startRuntime(t *testing.T, cfg localruntime.Config) *localruntime.Runtime {
	t.Helper()
	rt, err := localruntime.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	if e.external {
		e.svc.SetRuntime(e.svc.ExternalRuntime())
	} else {
		e.svc.SetRuntime(rt)
	}
	return rt
}

func (e *env) setEnv(t *testing.T, key, value string, secret bool) {
	t.Helper()
	upd := dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: key, Value: &value, IsSecret: secret}}}
	if _, err := e.svc.UpdateDeployment(admin, e.dep.ID, upd); err != nil {
		t.Fatal(err)
	}
}

// deploy deploys a project (create, upload what is missing, finalize).
func (e *env) deploy(t *testing.T, p apitest.Files, runtime string) *dagdeck.Deploy {
	t.Helper()
	return e.deployTo(t, e.dep.ID, p, runtime)
}

// deployTo deploys a project to a Deployment.
func (e *env) deployTo(t *testing.T, deploymentID string, p apitest.Files, runtime string) *dagdeck.Deploy {
	t.Helper()
	d, err := e.svc.FinalizeDeploy(deployer, deploymentID, e.upload(t, deploymentID, p, runtime).ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// upload creates a deploy of a project and uploads its files: the deploy
// is INITIALIZED, ready to be finalized.
func (e *env) upload(t *testing.T, deploymentID string, p apitest.Files, runtime string) *dagdeck.Deploy {
	t.Helper()
	created, err := e.svc.CreateDeploy(deployer, deploymentID, p.Request(runtime, "deploy "+runtime))
	if err != nil {
		t.Fatal(err)
	}
	byDigest := map[string]string{}
	for _, content := range p {
		byDigest[dagdeck.DigestOf([]byte(content))] = content
	}
	for _, d := range created.Missing {
		c := byDigest[d]
		if err := e.svc.PutBlob(deployer, d, strings.NewReader(c), int64(len(c))); err != nil {
			t.Fatal(err)
		}
	}
	return created.Deploy
}

func (e *env) trigger(t *testing.T, dagID string) *dagdeck.DagRun {
	t.Helper()
	r, err := e.svc.TriggerDag(deployer, e.dep.ID, dagID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tries returns the tries of a task in a run, oldest first.
func (e *env) tries(t *testing.T, r *dagdeck.DagRun, taskID string) []*dagdeck.TaskInstance {
	t.Helper()
	tis, err := e.svc.ListTaskInstances(viewer, e.dep.ID, dagdeck.TaskQuery{RunID: r.ID, Limit: service.MaxRuntimePageSize})
	if err != nil {
		t.Fatal(err)
	}
	var out []*dagdeck.TaskInstance
	for i := len(tis) - 1; i >= 0; i-- {
		if tis[i].TaskID == taskID {
			out = append(out, tis[i])
		}
	}
	return out
}

// waitTry waits until try n of a task is in one of the states and returns it.
func (e *env) waitTry(t *testing.T, r *dagdeck.DagRun, taskID string, n int, states ...string) *dagdeck.TaskInstance {
	t.Helper()
	var got *dagdeck.TaskInstance
	waitFor(t, fmt.Sprintf("%s try %d to be %v", taskID, n, states), func() bool {
		tries := e.tries(t, r, taskID)
		if len(tries) < n {
			return false
		}
		got = tries[n-1]
		for _, s := range states {
			if got.State == s {
				return true
			}
		}
		return false
	})
	return got
}

// waitRun waits until the run ended and returns it.
func (e *env) waitRun(t *testing.T, r *dagdeck.DagRun) *dagdeck.DagRun {
	t.Helper()
	var got *dagdeck.DagRun
	waitFor(t, "run "+r.RunID+" to end", func() bool {
		runs, err := e.svc.ListRuns(viewer, e.dep.ID, dagdeck.RunQuery{DagID: r.DagID})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range runs {
			if x.ID == r.ID {
				got = x
			}
		}
		return got != nil && (got.State == dagdeck.RunSuccess || got.State == dagdeck.RunFailed)
	})
	return got
}

func (e *env) log(t *testing.T, ti *dagdeck.TaskInstance) string {
	t.Helper()
	b, err := e.svc.TaskLog(viewer, e.dep.ID, ti.ID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return "" // not stored yet: callers poll or compare content
	} else if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// release creates the file a waiting task polls for.
func (e *env) release(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.shared, name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	apitest.WaitFor(t, 30*time.Second, what, cond)
}

// waitScript is a shell snippet that waits (at most a minute) for
// $SHARED/<name>, so a task runs until the test lets it end.
func waitScript(name string) string {
	return fmt.Sprintf(`for i in $(seq 600); do [ -e "$SHARED/%s" ] && exit 0; sleep 0.1; done; exit 1`, name)
}

// dag returns a YAML DAG file with the given tasks (YAML list items).
func dag(id string, tasks ...string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: %s\nschedule: null\ntasks:\n", id)
	for _, task := range tasks {
		b.WriteString(task)
	}
	return b.String()
}

// bashTask is a BashOperator task; extra is more YAML under the task (indented 4).
func bashTask(id, command string, extra ...string) string {
	s := fmt.Sprintf("  - id: %s\n    uses: airflow.providers.standard.operators.bash.BashOperator\n", id)
	for _, x := range extra {
		s += "    " + x + "\n"
	}
	return s + fmt.Sprintf("    with:\n      bash_command: %q\n", command)
}

// project is a project whose Dockerfile asks for the runtime version.
func project(runtime string, files map[string]string) apitest.Files {
	p := apitest.Files{"Dockerfile": "FROM quay.io/dagdeck/runtime:" + runtime + "\n"}
	for k, v := range files {
		p[k] = v
	}
	return p
}
