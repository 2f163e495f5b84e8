package localruntime

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/dagdeck/dagdeck"
)

// worker runs one Deployment. One goroutine (run) owns all of its state:
// requests from the service (Activate, PrepareDowngrade) and the ends of
// task processes reach it through channels, so nothing here needs a lock.
type worker struct {
	rt      *Runtime
	id      string // Deployment id
	backend dagdeck.RuntimeBackend
	cfg     *Config
	log     *slog.Logger

	calls   chan workerCall
	exits   chan *process
	wake    chan struct{}
	stopped chan struct{} // closed when run returns

	// Owned by the run goroutine.
	dep     *dagdeck.Deployment // as last read: settings and env
	current *version            // the code new tries run; nil before the first deploy
	broken  *brokenDeploy       // the current deploy, when it could not be activated
	held    bool                // a downgrade is under way: start nothing until Activate
	// heldUntil is when a hold that no Activate followed is lifted.
	heldUntil time.Time
	// release is set while retries held by a downgrade are still to be
	// released: those whose try ended before it.
	release  *time.Time
	orphaned bool                // the orphan pass is still to be done
	procs    map[string]*process // running tries, by task instance id
	unsaved  []*process          // ended tries whose outcome is not stored yet
	versions *versionSet
	sched    *scheduleCache
	lastErr  loggedError
	gid      *uint32 // the tasks' group, with a task user; see taskGroup
}

// brokenDeploy is a deploy whose code could not be materialized or read.
type brokenDeploy struct {
	id    string
	err   error
	retry time.Time
}

// brokenRetry is how long a deploy that failed to activate waits before
// the next attempt.
const brokenRetry = 10 * time.Second

type workerCall struct {
	fn   func(context.Context) error
	done chan error
}

func newWorker(rt *Runtime, deploymentID string) *worker {
	vs := newVersionSet(filepath.Join(rt.cfg.CodeDir, deploymentID), rt.deploymentDir(deploymentID), rt.cfg.Backend, rt.cfg.KeepVersions)
	w := &worker{
		rt:       rt,
		id:       deploymentID,
		backend:  rt.cfg.Backend,
		cfg:      &rt.cfg,
		log:      rt.cfg.Logger.With("deployment", deploymentID),
		calls:    make(chan workerCall),
		exits:    make(chan *process, 16),
		wake:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		orphaned: true,
		procs:    make(map[string]*process),
		versions: vs,
		sched:    newScheduleCache(),
	}
	if rt.user != nil {
		vs.group = w.taskGroup
	}
	vs.background = func(f func()) { rt.wg.Go(f) }
	vs.spawn = func(f func()) { rt.wg.Go(f) }
	vs.wake, vs.log = w.nudge, w.log
	return w
}

// taskGroup returns the group id the Deployment's tasks run with (only
// when they run as Config.TaskUser), allocated once.
func (w *worker) taskGroup() (uint32, error) {
	if w.gid == nil {
		gid, err := w.rt.taskGroup(w.id)
		if err != nil {
			return 0, err
		}
		w.gid = &gid
	}
	return *w.gid, nil
}

// call runs fn on the worker goroutine and returns its error.
func (w *worker) call(ctx context.Context, fn func(context.Context) error) error {
	c := workerCall{fn: fn, done: make(chan error, 1)}
	select {
	case w.calls <- c:
	case <-w.stopped:
		return errors.New("the runtime of this Deployment is stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.done:
		return err
	case <-w.stopped:
		return errors.New("the runtime of this Deployment stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nudge asks for a tick as soon as possible.
func (w *worker) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) now() time.Time { return w.cfg.Now().UTC().Truncate(time.Microsecond) }

// run is the worker's loop: a tick every PollInterval, and at once after a
// request or a task's end.
func (w *worker) run(ctx context.Context) {
	defer close(w.stopped)
	w.tick(ctx)
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.shutdown()
			return
		case c := <-w.calls:
			c.done <- c.fn(ctx)
			w.nudge()
		case p := <-w.exits:
			w.finish(ctx, p)
			w.nudge()
		case <-w.wake:
			w.tick(ctx)
		case <-t.C:
			w.tick(ctx)
		}
	}
}

// tick brings the Deployment forward once, logging (without flooding) what fails.
func (w *worker) tick(ctx context.Context) {
	err := w.step(ctx)
	if err != nil && ctx.Err() == nil {
		w.lastErr.log(w.log, "runtime: tick failed; retrying", err)
	} else if err == nil {
		w.lastErr.clear()
	}
}

// step reads the Deployment's state and acts on it. The task instances of
// the active runs are read before the Deployment: a retry a rollback
// released is then seen only by a tick that also sees the rollback as
// current, and never starts on the code from before it.
func (w *worker) step(ctx context.Context) error {
	w.saveUnsaved(ctx)
	w.versions.reap()
	if w.orphaned {
		// Orphans' logs are masked with the Deployment's secrets: read it first.
		if w.dep == nil {
			dep, _, err := w.backend.Deployment(ctx, w.id)
			if err != nil {
				return err
			}
			w.dep = dep
		}
		if err := w.recoverOrphans(ctx); err != nil {
			return err
		}
		w.orphaned = false
	}
	if err := w.checkEndedElsewhere(ctx); err != nil {
		return err
	}
	runs, err := w.activeRuns(ctx)
	if err != nil {
		return err
	}
	tis, err := w.runTasks(ctx, runs)
	if err != nil {
		return err
	}
	if err := w.refresh(ctx); err != nil {
		return err
	}
	w.expireHold()
	if err := w.settle(ctx); err != nil {
		return err
	}
	w.flushLogs(ctx)
	if w.held || w.current == nil || w.broken != nil || !w.codeReady(ctx) {
		return nil
	}
	created, err := w.scheduleRuns(ctx)
	if err != nil {
		return err
	}
	runs = append(runs, created...)
	running := runningPerDag(runs)
	for _, r := range runs {
		rtis, read := tis[r.ID]
		if err := w.advance(ctx, r, rtis, read, running); err != nil {
			return err
		}
	}
	w.versions.collect(w.inUse())
	return nil
}

// refresh reads the Deployment and activates its current deploy if it
// changed (a remote runtime learns of deploys this way).
func (w *worker) refresh(ctx context.Context) error {
	dep, cur, err := w.backend.Deployment(ctx, w.id)
	if err != nil {
		return err
	}
	w.dep = dep
	if cur == nil || (w.current != nil && w.current.deploy.ID == cur.ID) {
		return nil
	}
	if w.broken != nil && w.broken.id == cur.ID && w.now().Before(w.broken.retry) {
		return nil
	}
	return w.activate(ctx, cur)
}

// inUse counts the running tries per version key.
func (w *worker) inUse() map[string]int {
	use := make(map[string]int)
	for _, p := range w.procs {
		use[p.version.key]++
	}
	return use
}

// concurrency is how many tries of the Deployment may run at once.
func (w *worker) concurrency() int {
	if w.dep != nil && w.dep.WorkerConcurrency > 0 {
		return w.dep.WorkerConcurrency
	}
	return 4
}

// loggedError logs a repeating error once, then again every minute.
type loggedError struct {
	msg string
	at  time.Time
}

func (l *loggedError) log(logger *slog.Logger, what string, err error) {
	if err.Error() == l.msg && time.Since(l.at) < time.Minute {
		return
	}
	l.msg, l.at = err.Error(), time.Now()
	logger.Warn(what, "err", err)
}

func (l *loggedError) clear() { l.msg = "" }
