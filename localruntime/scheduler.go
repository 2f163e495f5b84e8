package localruntime

import (
	"context"
	"slices"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// Run types.
const (
	RunTypeScheduled = "scheduled"
	RunTypeManual    = "manual"
)

// ScheduledRunID is the run id of the scheduled run of a logical date, as
// Airflow names it: scheduled__2026-01-05T02:30:00+00:00.
func ScheduledRunID(logicalDate time.Time) string {
	return RunTypeScheduled + "__" + logicalDate.UTC().Format("2006-01-02T15:04:05+00:00")
}

// scheduleCache remembers the logical date of each DAG's latest scheduled
// run, so the store is asked once per DAG.
type scheduleCache struct {
	last map[string]*time.Time // nil value: the DAG has no scheduled run yet
}

func newScheduleCache() *scheduleCache { return &scheduleCache{last: make(map[string]*time.Time)} }

// activeRuns returns the queued and running runs, oldest first.
func (w *worker) activeRuns(ctx context.Context) ([]*dagdeck.DagRun, error) {
	var runs []*dagdeck.DagRun
	for _, state := range []string{dagdeck.RunRunning, dagdeck.RunQueued} {
		rs, err := w.backend.ListRuns(ctx, w.id, dagdeck.RunFilter{State: state})
		if err != nil {
			return nil, err
		}
		runs = append(runs, rs...)
	}
	slices.SortStableFunc(runs, func(a, b *dagdeck.DagRun) int { return a.LogicalDate.Compare(b.LogicalDate) })
	return runs, nil
}

// scheduleRuns creates the runs the current DAGs' schedules make due
// (dagfile.Dag.DueRuns: cron and presets, catchup, start and end dates).
func (w *worker) scheduleRuns(ctx context.Context) ([]*dagdeck.DagRun, error) {
	var created []*dagdeck.DagRun
	now := w.now()
	for _, dag := range w.current.dags {
		if dag.Schedule == "" {
			continue
		}
		last, err := w.lastScheduled(ctx, dag.ID)
		if err != nil {
			return created, err
		}
		for _, t := range dag.DueRuns(last, now) {
			r := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: w.id, DagID: dag.ID, RunID: ScheduledRunID(t),
				LogicalDate: t, RunType: RunTypeScheduled, State: dagdeck.RunQueued, CreatedAt: now}
			err := w.backend.CreateRun(ctx, w.id, r)
			if err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
				return created, err
			}
			if err == nil {
				created = append(created, r)
			}
			w.sched.last[dag.ID] = &t
		}
	}
	if len(created) > 0 && w.current.reported {
		w.current.reported = false // next run times moved
	}
	return created, nil
}

func (w *worker) lastScheduled(ctx context.Context, dagID string) (*time.Time, error) {
	if t, ok := w.sched.last[dagID]; ok {
		return t, nil
	}
	r, err := w.backend.LatestScheduledRun(ctx, w.id, dagID)
	switch {
	case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
		w.sched.last[dagID] = nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	w.sched.last[dagID] = &r.LogicalDate
	return &r.LogicalDate, nil
}

// runTasks reads the task instances of the running runs whose DAG the
// current code has (the others wait, see advance), by run id. Queued runs
// have none yet.
func (w *worker) runTasks(ctx context.Context, runs []*dagdeck.DagRun) (map[string][]*dagdeck.TaskInstance, error) {
	out := make(map[string][]*dagdeck.TaskInstance)
	for _, r := range runs {
		if r.State != dagdeck.RunRunning || (w.current != nil && w.current.dag(r.DagID) == nil) {
			continue
		}
		tis, err := w.backend.ListTaskInstances(ctx, w.id, dagdeck.TaskFilter{DagRunID: r.ID})
		if err != nil {
			return nil, err
		}
		out[r.ID] = tis
	}
	return out, nil
}

// advance moves one run forward on the current code: it starts the tasks
// whose upstream tasks succeeded, marks those whose upstream failed or was
// skipped, starts retries that are due, and ends the run when every task
// has ended. tis are the run's task instances, read before the Deployment
// (read is false for a running run they were not read for: it waits for
// the next tick). running counts the running runs per DAG, kept up to date here. A
// run whose DAG the current code lacks waits: a later deploy or rollback
// may bring the DAG back.
func (w *worker) advance(ctx context.Context, r *dagdeck.DagRun, tis []*dagdeck.TaskInstance, read bool, running map[string]int) error {
	dag := w.current.dag(r.DagID)
	if dag == nil {
		return nil
	}
	now := w.now()
	switch {
	case r.State == dagdeck.RunQueued:
		if running[r.DagID] >= dag.MaxActiveRuns {
			return nil
		}
		r.State, r.StartedAt = dagdeck.RunRunning, &now
		if err := w.backend.UpdateRun(ctx, w.id, r); err != nil {
			return err
		}
		running[r.DagID]++
	case !read:
		return nil
	}
	latest := latestTries(tis)
	for _, task := range dag.Tasks {
		if err := w.advanceTask(ctx, r, dag, task, latest, now); err != nil {
			return err
		}
	}
	if err := w.failVanishedRetries(ctx, dag, latest, now); err != nil {
		return err
	}
	if state := runOutcome(dag, latest); state != "" {
		r.State, r.EndedAt = state, &now
		if err := w.backend.UpdateRun(ctx, w.id, r); err != nil {
			return err
		}
		running[r.DagID]--
	}
	return nil
}

// advanceTask acts on one task of a run; latest (task id → latest try) is
// updated with what it creates.
func (w *worker) advanceTask(ctx context.Context, r *dagdeck.DagRun, dag *dagfile.Dag, task *dagfile.Task, latest map[string]*dagdeck.TaskInstance, now time.Time) error {
	ti := latest[task.ID]
	switch {
	case ti == nil:
		switch upstreamOf(task, latest) {
		case upstreamFailed:
			return w.markNotRun(ctx, r, task, dagdeck.TaskUpstreamFailed, latest)
		case upstreamSkipped:
			return w.markNotRun(ctx, r, task, dagdeck.TaskSkipped, latest)
		case upstreamSucceeded:
			if len(w.procs) < w.concurrency() {
				return w.startTry(ctx, r, dag, task, nil, latest)
			}
		}
	case ti.State == dagdeck.TaskUpForRetry && retryDue(ti, now):
		if len(w.procs) < w.concurrency() && !w.stillRunning(r.ID, task.ID) {
			return w.startTry(ctx, r, dag, task, ti, latest)
		}
	}
	return nil
}

// retryDue reports whether an up_for_retry try's next try may start: its
// retry time has come, or a downgrade held it back (no retry time) longer
// than holdTimeout ago and no deploy released it (the rollback failed and
// the service could not say so).
func retryDue(ti *dagdeck.TaskInstance, now time.Time) bool {
	if ti.RetryAt != nil {
		return !ti.RetryAt.After(now)
	}
	return ti.EndedAt != nil && now.Sub(*ti.EndedAt) > holdTimeout
}

// stillRunning reports whether a process of the task in the run has not
// ended yet (a stopped try being killed): its retry waits for it.
func (w *worker) stillRunning(dagRunID, taskID string) bool {
	for _, p := range w.procs {
		if p.ti.DagRunID == dagRunID && p.ti.TaskID == taskID {
			return true
		}
	}
	return false
}

// markNotRun records a task that will not run in this run.
func (w *worker) markNotRun(ctx context.Context, r *dagdeck.DagRun, task *dagfile.Task, state string, latest map[string]*dagdeck.TaskInstance) error {
	now := w.now()
	ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: w.id, DagRunID: r.ID, DagID: r.DagID, RunID: r.RunID,
		TaskID: task.ID, TryNumber: 1, MaxTries: task.Retries + 1, State: state, EndedAt: &now}
	if err := w.backend.CreateTaskInstance(ctx, w.id, ti); err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
		return err
	}
	latest[task.ID] = ti
	return nil
}

// failVanishedRetries fails the retries of tasks the current DAG no longer has.
func (w *worker) failVanishedRetries(ctx context.Context, dag *dagfile.Dag, latest map[string]*dagdeck.TaskInstance, now time.Time) error {
	for id, ti := range latest {
		if dag.Task(id) != nil || ti.State != dagdeck.TaskUpForRetry {
			continue
		}
		ti.State = dagdeck.TaskFailed
		if err := w.backend.UpdateTaskInstance(ctx, w.id, ti); err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			return err
		}
	}
	return nil
}

// runningPerDag counts the running runs of each DAG.
func runningPerDag(runs []*dagdeck.DagRun) map[string]int {
	n := make(map[string]int)
	for _, r := range runs {
		if r.State == dagdeck.RunRunning {
			n[r.DagID]++
		}
	}
	return n
}

// latestTries maps each task id to its try with the highest number.
func latestTries(tis []*dagdeck.TaskInstance) map[string]*dagdeck.TaskInstance {
	latest := make(map[string]*dagdeck.TaskInstance)
	for _, ti := range tis {
		if cur := latest[ti.TaskID]; cur == nil || ti.TryNumber > cur.TryNumber {
			latest[ti.TaskID] = ti
		}
	}
	return latest
}

type upstream int

const (
	upstreamPending upstream = iota
	upstreamSucceeded
	upstreamFailed
	upstreamSkipped
)

// upstreamOf applies the all_success trigger rule, as Airflow does: a
// failed upstream task fails the task, else a skipped one skips it, else it
// runs once all succeeded.
func upstreamOf(task *dagfile.Task, latest map[string]*dagdeck.TaskInstance) upstream {
	failed, skipped, pending := false, false, false
	for _, id := range task.Needs {
		ti := latest[id]
		switch {
		case ti == nil:
			pending = true
		case ti.State == dagdeck.TaskFailed || ti.State == dagdeck.TaskUpstreamFailed:
			failed = true
		case ti.State == dagdeck.TaskSkipped:
			skipped = true
		case ti.State != dagdeck.TaskSuccess:
			pending = true
		}
	}
	switch {
	case failed:
		return upstreamFailed
	case skipped:
		return upstreamSkipped
	case pending:
		return upstreamPending
	}
	return upstreamSucceeded
}

// runOutcome is the run's final state once every task of the DAG has
// ended: failed if any try ended failed, else success; "" while not done.
func runOutcome(dag *dagfile.Dag, latest map[string]*dagdeck.TaskInstance) string {
	for _, task := range dag.Tasks {
		if ti := latest[task.ID]; ti == nil || !ended(ti.State) {
			return ""
		}
	}
	for _, ti := range latest {
		if ti.State == dagdeck.TaskFailed || ti.State == dagdeck.TaskUpstreamFailed {
			return dagdeck.RunFailed
		}
	}
	return dagdeck.RunSuccess
}

// ended reports whether a try's state is final.
func ended(state string) bool {
	switch state {
	case dagdeck.TaskSuccess, dagdeck.TaskFailed, dagdeck.TaskSkipped, dagdeck.TaskUpstreamFailed:
		return true
	}
	return false
}
