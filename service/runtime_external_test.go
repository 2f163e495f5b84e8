package service_test

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// TestExternalRuntime: PrepareDowngrade fails the running tries, holding
// the retries; a runtime cannot revive them; Activate with the deploy that
// stayed current (the rollback failed) releases the held retries.
func TestExternalRuntime(t *testing.T) {
	f := newRuntimeFixture(t, "2.0.0")
	retried := f.try(t, "retried", 1, 2, dagdeck.TaskRunning)
	last := f.try(t, "last", 2, 2, dagdeck.TaskRunning)
	done := f.try(t, "done", 1, 1, dagdeck.TaskSuccess)
	ext := f.svc.ExternalRuntime()
	f.clock.Add(time.Minute) // the tries are stopped after the current deploy became current
	if err := ext.PrepareDowngrade(bg, f.dep.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.find(t, retried.ID); got.State != dagdeck.TaskUpForRetry || got.RetryAt != nil || got.EndedAt == nil {
		t.Fatalf("try with retries left = %+v, want held for retry", got)
	}
	if got := f.find(t, last.ID); got.State != dagdeck.TaskFailed {
		t.Fatalf("last try = %+v, want failed", got)
	}
	if got := f.find(t, done.ID); got.State != dagdeck.TaskSuccess {
		t.Fatalf("ended try = %+v, want untouched", got)
	}
	// The runtime running the try cannot revive it.
	retried.State = dagdeck.TaskSuccess
	apitest.WantCode(t, f.svc.LocalRuntimeBackend().UpdateTaskInstance(bg, f.dep.ID, retried), dagdeck.ECONFLICT)

	f.clock.Add(time.Second)
	if err := ext.Activate(bg, latestDeploy(t, f.env, "etl")); err != nil {
		t.Fatal(err)
	}
	if got := f.find(t, retried.ID); got.RetryAt == nil || !got.RetryAt.Equal(f.clock.Now()) {
		t.Fatalf("held retry not released: %+v", got)
	}
}

// TestExternalRuntime_RollbackReleasedByRuntime: Activate with a deploy
// that became current after the tries were stopped (the rollback
// committed) leaves the held retries to the runtime, which releases them
// once it runs that deploy.
func TestExternalRuntime_RollbackReleasedByRuntime(t *testing.T) {
	f := newRuntimeFixture(t, "2.0.0")
	retried := f.try(t, "retried", 1, 2, dagdeck.TaskRunning)
	ext := f.svc.ExternalRuntime()
	f.clock.Add(time.Minute)
	if err := ext.PrepareDowngrade(bg, f.dep.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
	rollback := *latestDeploy(t, f.env, "etl")
	at := f.clock.Now()
	rollback.ID, rollback.FinalizedAt = dagdeck.NewID(), &at
	if err := ext.Activate(bg, &rollback); err != nil {
		t.Fatal(err)
	}
	if got := f.find(t, retried.ID); got.State != dagdeck.TaskUpForRetry || got.RetryAt != nil {
		t.Fatalf("the server released a held retry before the runtime ran the rollback: %+v", got)
	}
}
