package localruntime

import "context"

// prepareDowngrade handles PrepareDowngrade, called before a rollback that
// lowers the runtime version is committed: every running try of the
// Deployment is stopped now and recorded as failed — up for retry with no
// retry time (held) when retries remain — and nothing starts until
// Activate, which the service calls once the rollback is current (or, if
// the rollback failed, with the deploy that stays current). Activate then
// releases the held retries, so they run the rolled-back code on the older
// runtime.
func (w *worker) prepareDowngrade(ctx context.Context) error {
	w.held = true
	if len(w.procs) > 0 {
		w.log.Info("runtime: stopping running tasks for a runtime downgrade", "tries", len(w.procs))
	}
	w.stopAll(ctx, stopDowngrade)
	return nil
}
