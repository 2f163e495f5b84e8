package localruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// stopReason says why the runtime stopped a try.
type stopReason int

const (
	stopNone       stopReason = iota
	stopTimeout               // execution_timeout passed
	stopDowngrade             // PrepareDowngrade: the retry waits for the rollback
	stopDowngraded            // a lower runtime became current: retry on it now
	stopShutdown              // the runtime is shutting down
	stopElsewhere             // the try was ended in the store by someone else
)

// waitDelay bounds how long a try's output is read after its shell exits
// (a background process may hold the output open).
const waitDelay = 2 * time.Second

// process is one try being run: a `bash -c` process group.
type process struct {
	ti      *dagdeck.TaskInstance // as created
	task    *dagfile.Task
	version *version // the code it runs; its directory is kept while it runs
	log     *tryLog
	stdout  *lastLine
	logPath string
	pidPath string
	secrets []string // masked in its log and XCom
	cmd     *exec.Cmd
	timer   *time.Timer

	mu     sync.Mutex
	reason stopReason
	exited chan struct{} // closed once the process ended (or never started)
	state  *os.ProcessState
	err    error // why it could not run

	// Owned by the worker goroutine.
	recorded   bool
	uploaded   int64 // log size last stored
	uploadedAt time.Time
	final      *dagdeck.TaskInstance // the outcome to store; nil if it was ended elsewhere
	pushXCom   string                // the return_value to push, when pending
	hasXCom    bool
}

// startTry records try number (prev's + 1, or 1) of task as running on the
// current code and starts its process.
func (w *worker) startTry(ctx context.Context, r *dagdeck.DagRun, dag *dagfile.Dag, task *dagfile.Task, prev *dagdeck.TaskInstance, latest map[string]*dagdeck.TaskInstance) error {
	now, v := w.now(), w.current
	try := 1
	if prev != nil {
		try = prev.TryNumber + 1
	}
	ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: w.id, DagRunID: r.ID, DagID: r.DagID, RunID: r.RunID,
		TaskID: task.ID, TryNumber: try, MaxTries: max(task.Retries+1, try), State: dagdeck.TaskRunning,
		DeployID: v.deploy.ID, RuntimeVersion: v.deploy.RuntimeVersion, StartedAt: &now, RunnerID: w.rt.runnerID}
	if err := w.backend.CreateTaskInstance(ctx, w.id, ti); dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
		return nil // another runtime started it
	} else if err != nil {
		return err
	}
	latest[task.ID] = ti
	if prev != nil {
		prev.State = dagdeck.TaskFailed // the try that failed is over for good
		if err := w.backend.UpdateTaskInstance(ctx, w.id, prev); err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			w.log.Warn("runtime: end the previous try", "taskInstance", prev.ID, "err", err)
		}
	}
	p := &process{ti: ti, task: task, version: v, exited: make(chan struct{}),
		logPath: filepath.Join(w.rt.deploymentDir(w.id), "logs", ti.ID+".log"),
		pidPath: filepath.Join(w.rt.deploymentDir(w.id), "pids", ti.ID), secrets: secretValues(w.dep)}
	w.procs[ti.ID] = p
	if err := w.launch(ctx, r, dag, p); err != nil {
		p.err = err
		close(p.exited)
		w.finish(ctx, p)
		return nil
	}
	w.upload(ctx, p)
	return nil
}

// launch opens the try's log, resolves its command and environment and
// starts `bash -c` in its own process group, in the version directory, as
// the task user when there is one.
func (w *worker) launch(ctx context.Context, r *dagdeck.DagRun, dag *dagfile.Dag, p *process) error {
	var err error
	if p.log, err = createTryLog(p.logPath); err != nil {
		return err
	}
	ti, v := p.ti, p.version
	p.log.printf("dagdeck: %s %s, run %s, try %d of %d, deploy %s (runtime %s)", ti.DagID, ti.TaskID, ti.RunID, ti.TryNumber, ti.MaxTries, ti.DeployID, ti.RuntimeVersion)
	tctx := templateContext(dag, r, ti)
	xcom := func(taskID, key string) (string, error) {
		x, err := w.backend.FindXCom(ctx, w.id, r.ID, taskID, key)
		if err != nil {
			return "", err
		}
		return x.Value, nil
	}
	command, err := p.task.BashCommand.Resolve(tctx, xcom)
	if err != nil {
		return fmt.Errorf("bash_command: %w", err)
	}
	env, err := taskEnv(w.cfg.BaseEnv, w.dep, p.task, tctx, xcom, contextVars(w.id, ti, r))
	if err != nil {
		return err
	}
	dir := filepath.Join(v.dir, filepath.FromSlash(p.task.Cwd))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("cwd %q is not a directory of this deploy's code", p.task.Cwd)
	}
	p.log.printf("dagdeck: $ bash -c %s", shellQuote(command))
	p.stdout = &lastLine{w: p.log}
	cmd := exec.Command("bash", "-c", command)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr, cmd.WaitDelay = dir, env, p.stdout, p.log, waitDelay
	setProcessGroup(cmd)
	if u := w.rt.user; u != nil {
		gid, err := w.taskGroup()
		if err != nil {
			return err
		}
		setCredential(cmd, u.uid, gid)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start bash: %w", err)
	}
	p.cmd = cmd
	writePidFile(p.pidPath, cmd.Process.Pid)
	if t := p.task.ExecutionTimeout; t > 0 {
		p.timer = time.AfterFunc(t, func() { p.stop(stopTimeout, w.cfg.KillGrace) })
	}
	go w.wait(p)
	return nil
}

// wait waits for the process, kills what is left of its group and hands
// the try to the worker goroutine.
func (w *worker) wait(p *process) {
	err := p.cmd.Wait()
	if p.timer != nil {
		p.timer.Stop()
	}
	signalGroup(p.cmd.Process.Pid, sigKill)
	p.mu.Lock()
	p.state = p.cmd.ProcessState
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) && !errors.Is(err, exec.ErrWaitDelay) {
		p.err = err
	}
	close(p.exited)
	p.mu.Unlock()
	select {
	case w.exits <- p:
	case <-w.stopped:
	}
}

// stop asks the process group to end (SIGTERM, then SIGKILL after grace).
// The first reason given is the one recorded; a try that already ended is
// left as it ended.
func (p *process) stop(reason stopReason, grace time.Duration) {
	p.mu.Lock()
	select {
	case <-p.exited:
		p.mu.Unlock()
		return
	default:
	}
	if p.reason != stopNone || p.cmd == nil {
		p.mu.Unlock()
		return
	}
	p.reason = reason
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	signalGroup(pid, sigTerm)
	go func() {
		select {
		case <-p.exited:
		case <-time.After(grace):
			signalGroup(pid, sigKill)
		}
	}()
}

// finish records how a try ended: its state, exit code, retry time, the
// end of its log and, on runtime 2.0.0+, its XCom return_value. What
// cannot be stored now is retried on the next ticks.
func (w *worker) finish(ctx context.Context, p *process) {
	if p.recorded {
		return
	}
	p.recorded = true
	delete(w.procs, p.ti.ID)
	removePidFile(p.pidPath)
	final, msg := w.outcome(p)
	p.final = final
	if p.log != nil {
		p.log.printf("dagdeck: %s", msg)
		p.log.close()
	}
	if final != nil && final.State == dagdeck.TaskSuccess && dagdeck.HasFeature(p.ti.RuntimeVersion, dagdeck.FeatureXCom) {
		p.pushXCom, p.hasXCom = mask(p.stdout.String(), p.secrets), true
	}
	if err := w.save(ctx, p); err != nil {
		w.log.Warn("runtime: store the end of a try; retrying", "taskInstance", p.ti.ID, "err", err)
		w.unsaved = append(w.unsaved, p)
	}
}

// outcome is the try's final row (nil when it was ended elsewhere) and a
// line for its log.
func (w *worker) outcome(p *process) (*dagdeck.TaskInstance, string) {
	ti := *p.ti
	now := w.now()
	ti.EndedAt = &now
	ti.ExitCode = exitCode(p.state)
	later := now.Add(p.task.RetryDelay)
	retry := func(at *time.Time, why string) string {
		if ti.TryNumber < ti.MaxTries {
			ti.State, ti.RetryAt = dagdeck.TaskUpForRetry, at
			if at == nil {
				return why + "; up for retry once the rollback is deployed"
			}
			return why + "; up for retry at " + at.Format(time.RFC3339)
		}
		ti.State = dagdeck.TaskFailed
		return why + "; failed, no retries left"
	}
	switch p.reason {
	case stopElsewhere:
		return nil, "stopped: this try was ended by the server (runtime downgrade)"
	case stopDowngrade:
		return &ti, retry(nil, "stopped: a rollback is downgrading the runtime")
	case stopDowngraded:
		return &ti, retry(&now, "stopped: the Deployment's runtime was downgraded")
	case stopShutdown:
		return &ti, retry(&now, "stopped: the runtime shut down")
	case stopTimeout:
		return &ti, retry(&later, fmt.Sprintf("timed out after %s (execution_timeout)", p.task.ExecutionTimeout))
	}
	switch {
	case p.err != nil:
		return &ti, retry(&later, "could not run: "+p.err.Error())
	case ti.ExitCode == nil:
		return &ti, retry(&later, "ended without an exit status")
	case *ti.ExitCode == 0:
		ti.State = dagdeck.TaskSuccess
		return &ti, "exit code 0; success"
	case slices.Contains(p.task.SkipOnExitCode, *ti.ExitCode):
		ti.State = dagdeck.TaskSkipped
		return &ti, fmt.Sprintf("exit code %d; skipped (skip_on_exit_code)", *ti.ExitCode)
	}
	return &ti, retry(&later, fmt.Sprintf("exit code %d", *ti.ExitCode))
}

// save stores what finish decided: XCom first (downstream tasks read it as
// soon as the try is a success), then the whole log, then the state.
func (w *worker) save(ctx context.Context, p *process) error {
	if p.hasXCom {
		x := &dagdeck.XCom{DagRunID: p.ti.DagRunID, TaskID: p.ti.TaskID, Key: dagfile.DefaultXComKey, Value: p.pushXCom}
		err := w.backend.PutXCom(ctx, w.id, x)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTIMPLEMENTED {
			w.log.Info("runtime: XCom not stored: the runtime was downgraded", "taskInstance", p.ti.ID)
		} else if err != nil {
			return err
		}
		p.hasXCom = false
	}
	if p.log != nil {
		if err := w.putLog(ctx, p); err != nil {
			return err
		}
	}
	if p.final != nil {
		err := w.backend.UpdateTaskInstance(ctx, w.id, p.final)
		if dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
			w.log.Info("runtime: a try was ended elsewhere; keeping that", "taskInstance", p.ti.ID, "err", err)
		} else if err != nil {
			return err
		}
	}
	_ = os.Remove(p.logPath)
	return nil
}

// saveUnsaved retries storing the ends of tries.
func (w *worker) saveUnsaved(ctx context.Context) {
	pending := w.unsaved
	w.unsaved = nil
	for _, p := range pending {
		if err := w.save(ctx, p); err != nil {
			w.unsaved = append(w.unsaved, p)
		}
	}
}

// stopAll stops every running try for reason and records each.
func (w *worker) stopAll(ctx context.Context, reason stopReason) {
	procs := make([]*process, 0, len(w.procs))
	for _, p := range w.procs {
		procs = append(procs, p)
		p.stop(reason, w.cfg.KillGrace)
	}
	for _, p := range procs {
		select {
		case <-p.exited:
		case <-ctx.Done():
			return
		}
		w.finish(ctx, p)
	}
}

// checkEndedElsewhere stops the processes of tries that are no longer
// running in the store: the server failed them (a downgrade of a
// Deployment whose runtime runs in another process).
func (w *worker) checkEndedElsewhere(ctx context.Context) error {
	if len(w.procs) == 0 {
		return nil
	}
	tis, err := w.backend.ListTaskInstances(ctx, w.id, dagdeck.TaskFilter{State: dagdeck.TaskRunning})
	if err != nil {
		return err
	}
	running := make(map[string]bool, len(tis))
	for _, ti := range tis {
		running[ti.ID] = true
	}
	for id, p := range w.procs {
		if !running[id] {
			p.stop(stopElsewhere, w.cfg.KillGrace)
		}
	}
	return nil
}

// shutdown stops every try as the runtime stops, and stores their ends.
func (w *worker) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.KillGrace+waitDelay+10*time.Second)
	defer cancel()
	w.stopAll(ctx, stopShutdown)
	w.saveUnsaved(ctx)
}

// shellQuote quotes s for the log line showing the command.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
