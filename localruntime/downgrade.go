package localruntime

import (
	"context"
	"time"
)

// holdTimeout bounds a downgrade's hold: the service calls Activate right
// after the rollback commits (or fails), so a hold this old means the call
// never came (the request was cancelled in between); the worker then
// resumes on the code that is current.
const holdTimeout = time.Minute

// prepareDowngrade handles PrepareDowngrade, called before a rollback that
// lowers the runtime version is committed: every running try of the
// Deployment is stopped now and recorded as failed — up for retry with no
// retry time (held) when retries remain — and nothing starts until
// Activate, which the service calls once the rollback is current (or, if
// the rollback failed, with the deploy that stays current). Activate then
// releases the held retries, so they run the rolled-back code on the older
// runtime.
func (w *worker) prepareDowngrade(ctx context.Context) error {
	w.held, w.heldUntil = true, w.now().Add(holdTimeout)
	if len(w.procs) > 0 {
		w.log.Info("runtime: stopping running tasks for a runtime downgrade", "tries", len(w.procs))
	}
	w.stopAll(ctx, stopDowngrade)
	return nil
}

// expireHold lifts a hold that no Activate followed.
func (w *worker) expireHold() {
	if w.held && w.now().After(w.heldUntil) {
		w.log.Warn("runtime: no deploy followed the preparation of a downgrade; resuming on the current code")
		w.held = false
		w.releaseHeldUntil(farFuture)
	}
}
