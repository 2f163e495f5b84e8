package localruntime

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// activateRequested handles Activate: it activates the Deployment's current
// deploy (d is only a hint: the service may call in any order), then lifts
// a downgrade's hold and releases the retries it held back.
func (w *worker) activateRequested(ctx context.Context, d *dagdeck.Deploy) error {
	dep, cur, err := w.backend.Deployment(ctx, w.id)
	if err != nil {
		return err
	}
	w.dep = dep
	if cur == nil {
		cur = d
	}
	// The service says cur is current (a rollback committed, or failed and
	// the old code stays current): every held retry may start on it.
	w.held = false
	w.releaseHeldUntil(farFuture)
	if w.current == nil || w.current.deploy.ID != cur.ID {
		return w.activate(ctx, cur)
	}
	return w.settle(ctx)
}

// farFuture releases every held retry.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// releaseHeldUntil asks settle to release the retries a downgrade held
// back whose try ended before t.
func (w *worker) releaseHeldUntil(t time.Time) {
	if w.release == nil || w.release.Before(t) {
		w.release = &t
	}
}

// activate makes d's code the one new tries run: materialize, switch the
// current version, report its DAGs. Tries still running keep their own
// version directory. A try running on a newer runtime than d's is stopped
// and retried on d: after a downgrade nothing runs on the newer runtime.
func (w *worker) activate(ctx context.Context, d *dagdeck.Deploy) error {
	v, err := w.versions.prepare(ctx, d, w.inUse())
	if err != nil {
		w.markBroken(ctx, d, err)
		return fmt.Errorf("activate %s: %w", d, err)
	}
	w.versions.setCurrent(v)
	w.current, w.broken = v, nil
	w.log.Info("runtime: activated deploy", "deploy", d.ID, "runtime", d.RuntimeVersion, "dags", len(v.dags), "importErrors", len(v.errs))
	for _, p := range w.procs {
		if dagdeck.CompareVersions(p.ti.RuntimeVersion, d.RuntimeVersion) > 0 {
			p.stop(stopDowngraded, w.cfg.KillGrace)
		}
	}
	// Retries held back by a downgrade wait for the deploy that follows it:
	// this one (also after a restart between the two) if it became current
	// after they were stopped. A deploy that was current before (this
	// worker lagged behind) does not release them: they wait for the
	// rollback, or for the service's Activate if the rollback failed.
	w.held = false
	at := farFuture
	if d.FinalizedAt != nil {
		at = *d.FinalizedAt
	}
	w.releaseHeldUntil(at)
	return w.settle(ctx)
}

// settle finishes an activation: it reports the current version's DAGs and
// releases held retries, until both succeeded (each tick retries).
func (w *worker) settle(ctx context.Context) error {
	if w.current != nil && !w.current.reported {
		if err := w.reportDags(ctx); err != nil {
			return err
		}
		w.current.reported = true
	}
	if w.release != nil {
		if err := w.releaseHeld(ctx, *w.release); err != nil {
			return err
		}
		w.release = nil
	}
	return nil
}

// reportDags replaces the Deployment's DAGs and import errors with the
// current version's.
func (w *worker) reportDags(ctx context.Context) error {
	v := w.current
	dags := make([]*dagdeck.Dag, 0, len(v.dags))
	for _, d := range v.dags {
		dd := &dagdeck.Dag{DeploymentID: w.id, DagID: d.ID, File: d.File, Schedule: d.Schedule,
			Description: d.Description, Tags: d.Tags, DeployID: v.deploy.ID}
		if t, ok := d.NextRun(w.now()); ok {
			dd.NextRunAt = &t
		}
		dags = append(dags, dd)
	}
	errs := make([]*dagdeck.ImportError, 0, len(v.errs))
	for _, e := range v.errs {
		errs = append(errs, &dagdeck.ImportError{DeploymentID: w.id, File: e.File, Message: importMessage(e), DeployID: v.deploy.ID})
	}
	return w.backend.ReplaceDags(ctx, w.id, dags, errs)
}

// importMessage is an import error without its file name (the File field
// has it): "document 2: task "load": line 12: …".
func importMessage(e *dagfile.ImportError) string {
	return strings.TrimPrefix(e.Error(), e.File+": ")
}

// markBroken records that d's code could not be laid out or loaded: no
// try starts until an activation of it, tried again after brokenRetry, or
// of another deploy succeeds.
func (w *worker) markBroken(ctx context.Context, d *dagdeck.Deploy, err error) {
	w.broken = &brokenDeploy{id: d.ID, err: err, retry: w.now().Add(brokenRetry)}
	w.reportBroken(ctx, d, err)
}

// codeReady reports whether the current version's directory is there for
// tries to start in (see versionSet.use): built, or checked unchanged. A
// directory the check found changed is rebuilt. When its build failed, the
// deploy is broken (markBroken) and the worker has no current version
// until an activation succeeds.
func (w *worker) codeReady(ctx context.Context) bool {
	v := w.current
	b := v.build
	if b == nil {
		return true
	}
	if !b.finished() {
		return false // the build wakes the worker when it is done
	}
	w.versions.reap()
	v.build = nil
	err := b.err
	if b.changed {
		w.log.Warn("runtime: the code folder changed since it was built; building it again from the artifacts", "deploy", v.deploy.ID, "folder", v.key)
		if v.build, err = w.versions.rebuild(ctx, v.deploy, w.inUse()); err == nil {
			return false
		}
	}
	if err != nil { // markBroken reports it
		w.current = nil
		w.markBroken(ctx, v.deploy, err)
		return false
	}
	w.versions.setCurrent(v)
	return true
}

// reportBroken tells the user, as an import error of the deploy, that its
// code could not be loaded at all. Tasks do not start meanwhile.
func (w *worker) reportBroken(ctx context.Context, d *dagdeck.Deploy, cause error) {
	msg := "the runtime could not load this deploy's code: " + cause.Error()
	errs := []*dagdeck.ImportError{{DeploymentID: w.id, File: dagdeck.CodeImportFile, Message: msg, DeployID: d.ID}}
	if err := w.backend.ReplaceDags(ctx, w.id, nil, errs); err != nil {
		w.log.Warn("runtime: report a deploy that cannot be loaded", "deploy", d.ID, "err", err)
	}
}

// releaseHeld lets the retries a downgrade held back, whose try ended
// before until, start now on the current code; a try whose task the
// current code lacks fails instead (see failGone).
func (w *worker) releaseHeld(ctx context.Context, until time.Time) error {
	tis, err := w.backend.ListTaskInstances(ctx, w.id, dagdeck.TaskFilter{State: dagdeck.TaskUpForRetry})
	if err != nil {
		return err
	}
	now := w.now()
	for _, ti := range tis {
		if ti.RetryAt != nil || (ti.EndedAt != nil && !ti.EndedAt.Before(until)) {
			continue
		}
		if w.current != nil && w.current.task(ti.DagID, ti.TaskID) == nil {
			if err := w.failGone(ctx, ti); err != nil {
				return err
			}
			continue
		}
		ti.RetryAt = &now
		if err := w.backend.UpdateTaskInstance(ctx, w.id, ti); err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			return err
		}
	}
	return nil
}

// failGone ends a held retry whose task the current code (the code a
// rollback restored) does not have: the try fails, its log says why,
// naming the deploy, and a run whose DAG is gone ends once none of its
// tries is left to run (a run whose DAG remains ends as usual, see
// advance).
func (w *worker) failGone(ctx context.Context, ti *dagdeck.TaskInstance) error {
	cur := w.current.deploy
	kind := "deploy"
	if cur.RollbackFromID != "" {
		kind = "rollback deploy"
	}
	reason := fmt.Sprintf("dagdeck: not retried: the current code, %s #%d, has no task %s in DAG %s; failed\n", kind, cur.Sequence, ti.TaskID, ti.DagID)
	w.log.Info("runtime: "+strings.TrimSpace(strings.TrimPrefix(reason, "dagdeck: ")), "taskInstance", ti.ID)
	if err := w.appendLog(ctx, ti.ID, reason); err != nil {
		return err
	}
	ti.State = dagdeck.TaskFailed
	if err := w.backend.UpdateTaskInstance(ctx, w.id, ti); err != nil && dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
		return err
	}
	if w.current.dag(ti.DagID) != nil {
		return nil
	}
	return w.endOrphanedRun(ctx, ti.DagID, ti.DagRunID)
}

// appendLog adds a line to a try's stored log.
func (w *worker) appendLog(ctx context.Context, taskInstanceID, line string) error {
	log, err := w.backend.TaskLog(ctx, w.id, taskInstanceID)
	if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return err
	}
	return w.backend.PutTaskLog(ctx, w.id, taskInstanceID, append(log, line...))
}

// endOrphanedRun fails a running run of a DAG the current code lacks once
// every try of it has ended: nothing of it can run any more.
func (w *worker) endOrphanedRun(ctx context.Context, dagID, dagRunID string) error {
	tis, err := w.backend.ListTaskInstances(ctx, w.id, dagdeck.TaskFilter{DagRunID: dagRunID})
	if err != nil {
		return err
	}
	for _, ti := range latestTries(tis) {
		if !ended(ti.State) {
			return nil
		}
	}
	runs, err := w.backend.ListRuns(ctx, w.id, dagdeck.RunFilter{DagID: dagID, State: dagdeck.RunRunning})
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.ID == dagRunID {
			now := w.now()
			r.State, r.EndedAt = dagdeck.RunFailed, &now
			return w.backend.UpdateRun(ctx, w.id, r)
		}
	}
	return nil
}
