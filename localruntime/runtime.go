package localruntime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Defaults of Config.
const (
	DefaultPollInterval = 500 * time.Millisecond
	DefaultKeepVersions = 2
	DefaultKillGrace    = 2 * time.Second
)

// Config configures a Runtime.
type Config struct {
	// DataDir is where the runtime keeps its files, under
	// <DataDir>/runtime/<deployment-id>/: version directories, try logs
	// and process ids.
	DataDir string
	// Backend is the control plane.
	Backend dagdeck.RuntimeBackend
	// Deployments are the ids or names of the Deployments to run; empty
	// runs every Deployment, including those created later.
	Deployments []string
	// PollInterval is how often each Deployment's state is read (new runs,
	// deploys seen by a remote runtime, retries due). Default 500ms.
	PollInterval time.Duration
	// KeepVersions is how many version directories besides the current one
	// (and those running tasks use) are kept, so rolling back to a recent
	// deploy needs no copying. Default 2; negative keeps none.
	KeepVersions int
	// KillGrace is how long a stopped task gets between SIGTERM and SIGKILL.
	KillGrace time.Duration
	// BaseEnv is the environment every task starts from, before the
	// Deployment's env vars. Default: PATH, HOME, USER, LOGNAME, SHELL,
	// LANG, LC_ALL, TZ and TMPDIR of this process (never its whole
	// environment: it may hold the runtime's own credentials).
	BaseEnv []string
	// TaskUser, when set, is the user (a name or a numeric id) every task
	// runs as, with no supplementary groups: the runtime must run as root.
	// Each Deployment's tasks get a group of their own (TaskGIDBase, +1, …),
	// the only one that can read the Deployment's code, which no task can
	// change. Empty: tasks run as the runtime's own user.
	TaskUser string
	// CodeDir is where version directories live, under
	// <CodeDir>/<deployment-id>/versions/. Default <DataDir>/runtime. With
	// TaskUser it is required, must be outside DataDir (which tasks must
	// not reach) and reachable by the task user.
	CodeDir string
	// TaskGIDBase is the first group id of Deployments' tasks (default
	// DefaultTaskGIDBase); only used with TaskUser.
	TaskGIDBase uint32
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Backend == nil {
		return errors.New("localruntime: no backend")
	}
	if c.DataDir == "" {
		return errors.New("localruntime: no data directory")
	}
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = dir
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.KeepVersions == 0 {
		c.KeepVersions = DefaultKeepVersions
	}
	if c.KillGrace <= 0 {
		c.KillGrace = DefaultKillGrace
	}
	if c.BaseEnv == nil {
		c.BaseEnv = defaultBaseEnv()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TaskGIDBase == 0 {
		c.TaskGIDBase = DefaultTaskGIDBase
	}
	if c.CodeDir == "" && c.TaskUser == "" {
		c.CodeDir = filepath.Join(c.DataDir, "runtime")
	}
	if c.CodeDir != "" {
		if c.CodeDir, err = filepath.Abs(c.CodeDir); err != nil {
			return err
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TaskUser != "" {
		return c.checkTaskUserConfig()
	}
	return nil
}

// Runtime is the embedded local runtime. It implements dagdeck.Runtime: the
// service tells it about new current deploys (Activate) and runtime
// downgrades (PrepareDowngrade). Create it with New, then Start it.
type Runtime struct {
	cfg Config
	// runnerID identifies this process in the task instances it runs, so a
	// later process can tell its tries from orphans.
	runnerID string

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	workers map[string]*worker // by Deployment id
	// allowed are the ids of Config.Deployments; nil runs every Deployment.
	allowed map[string]bool
	wg      sync.WaitGroup
	closed  bool

	// user is who tasks run as; nil: the runtime's own user.
	user *taskUser
	// gidMu serializes the allocation of task groups (taskGroup).
	gidMu sync.Mutex
}

var _ dagdeck.Runtime = (*Runtime)(nil)

// New returns a Runtime; it runs nothing until Start.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "runtime"), 0o700); err != nil {
		return nil, fmt.Errorf("create runtime directory: %w", err)
	}
	r := &Runtime{cfg: cfg, runnerID: dagdeck.NewID(), workers: make(map[string]*worker)}
	if cfg.TaskUser != "" {
		if err := r.setTaskUser(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// setTaskUser resolves Config.TaskUser and prepares the code directory:
// owned by this process, mode 0711, so tasks reach their own Deployment's
// code but list nothing.
func (r *Runtime) setTaskUser() error {
	u, err := lookupTaskUser(r.cfg.TaskUser)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.cfg.CodeDir, 0o711); err != nil {
		return fmt.Errorf("create code directory: %w", err)
	}
	if err := r.cfg.checkReachable(); err != nil {
		return err
	}
	if err := os.Chown(r.cfg.CodeDir, os.Geteuid(), os.Getegid()); err != nil {
		return fmt.Errorf("code directory: %w", err)
	}
	if err := os.Chmod(r.cfg.CodeDir, 0o711); err != nil {
		return fmt.Errorf("code directory: %w", err)
	}
	r.user = u
	r.cfg.BaseEnv = taskBaseEnv(r.cfg.BaseEnv, u)
	return nil
}

// RunnerID returns the id this runtime records in the task instances it runs.
func (r *Runtime) RunnerID() string { return r.runnerID }

// Start starts one worker per Deployment: each first fails or retries the
// tries a dead runtime left running (orphans), then activates the current
// deploy and schedules. With no Deployments configured it also watches for
// new ones. It returns an error if a configured Deployment does not exist.
func (r *Runtime) Start(ctx context.Context) error {
	var allowed map[string]bool
	if len(r.cfg.Deployments) > 0 {
		allowed = make(map[string]bool)
		for _, name := range r.cfg.Deployments {
			dep, _, err := r.cfg.Backend.Deployment(ctx, name)
			if err != nil {
				return fmt.Errorf("deployment %s: %w", name, err)
			}
			allowed[dep.ID] = true
		}
	}
	r.mu.Lock()
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.allowed = allowed
	r.mu.Unlock()
	if allowed != nil {
		for id := range allowed {
			r.worker(id)
		}
		return nil
	}
	if err := r.discover(ctx); err != nil {
		return err
	}
	r.wg.Add(1)
	go r.watchDeployments()
	return nil
}

// discover starts a worker for every Deployment that has none.
func (r *Runtime) discover(ctx context.Context) error {
	deps, err := r.cfg.Backend.ListDeployments(ctx)
	if err != nil {
		return fmt.Errorf("list Deployments: %w", err)
	}
	for _, d := range deps {
		r.worker(d.ID)
	}
	return nil
}

// watchDeployments starts workers for Deployments created later.
func (r *Runtime) watchDeployments() {
	defer r.wg.Done()
	t := time.NewTicker(4 * r.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			if err := r.discover(r.ctx); err != nil && r.ctx.Err() == nil {
				r.cfg.Logger.Warn("runtime: look for new Deployments", "err", err)
			}
		}
	}
}

// worker returns the worker of a Deployment, starting it if needed; nil
// once the runtime is closed or when the Deployment is not one it runs.
func (r *Runtime) worker(deploymentID string) *worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.workers[deploymentID]; w != nil || r.closed || r.ctx == nil {
		return w
	}
	if r.allowed != nil && !r.allowed[deploymentID] {
		return nil
	}
	w := newWorker(r, deploymentID)
	r.workers[deploymentID] = w
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		w.run(r.ctx)
	}()
	return w
}

// Activate makes d's code the code new tasks of its Deployment run, and
// releases the retries a downgrade held back. It returns once the version
// directory is in place and the DAGs are reported, so tasks that start
// after a deploy or rollback returns run its code. It implements
// dagdeck.Runtime.
func (r *Runtime) Activate(ctx context.Context, d *dagdeck.Deploy) error {
	w := r.worker(d.DeploymentID)
	if w == nil {
		return nil
	}
	return w.call(ctx, func(ctx context.Context) error { return w.activateRequested(ctx, d) })
}

// Prepare builds d's version directory ahead of its activation, changing
// nothing that runs: a deploy's code is laid out while the control plane
// commits it, and its Dag files are parsed as they are copied. A directory
// that exists is left to Activate, which checks it. The build runs beside
// the Deployment's worker, which goes on meanwhile: an Activate that comes
// first need not wait for it. It implements dagdeck.Preparer.
func (r *Runtime) Prepare(ctx context.Context, d *dagdeck.Deploy) error {
	w := r.worker(d.DeploymentID)
	if w == nil {
		return nil
	}
	var b *build
	err := w.call(ctx, func(ctx context.Context) (err error) {
		b, err = w.versions.prepareAhead(ctx, d)
		return err
	})
	if err != nil || b == nil {
		return err
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PrepareDowngrade stops the Deployment's running tasks at once (SIGTERM,
// then SIGKILL after KillGrace), records their tries as failed — up for
// retry, held, when retries remain — and starts no task until the next
// Activate. It implements dagdeck.Runtime.
func (r *Runtime) PrepareDowngrade(ctx context.Context, deploymentID string) error {
	w := r.worker(deploymentID)
	if w == nil {
		return nil
	}
	return w.call(ctx, w.prepareDowngrade)
}

// Wake makes the Deployment's worker look for work now (a DAG was triggered).
func (r *Runtime) Wake(deploymentID string) {
	if w := r.worker(deploymentID); w != nil {
		w.nudge()
	}
}

// Close stops every worker: running tasks are stopped and recorded as
// failed (up for retry when retries remain), and their logs are stored.
func (r *Runtime) Close() error {
	r.mu.Lock()
	r.closed = true
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
	return nil
}

// deploymentDir is <DataDir>/runtime/<deployment-id>.
func (r *Runtime) deploymentDir(deploymentID string) string {
	return filepath.Join(r.cfg.DataDir, "runtime", deploymentID)
}
