package dagdeck

import "time"

// Outcomes of a deploy, as an Observer hears them.
const (
	OutcomeDeployed  = "deployed"  // it became DEPLOYED and current
	OutcomeFailed    = "failed"    // FAILED by the server (abandoned upload) or, for a rollback, an internal error
	OutcomeCancelled = "cancelled" // FAILED because a user or the CLI cancelled it
	OutcomeRefused   = "refused"   // a rollback the service refused (Code says why)
)

// DeployEvent is a deploy that finished: DEPLOYED, or FAILED (failed or
// cancelled).
type DeployEvent struct {
	// Deployment is the Deployment's name (its id if the name could not be read).
	Deployment string
	Deploy     *Deploy
	// Outcome is OutcomeDeployed, OutcomeFailed or OutcomeCancelled.
	Outcome string
}

// RollbackEvent is a rollback request (not a dry run) that ended.
type RollbackEvent struct {
	// Outcome is OutcomeDeployed, OutcomeRefused (Code is the error code)
	// or OutcomeFailed (an internal error).
	Outcome string
	Code    string
	// Duration is the wall-clock time the request took in the service.
	Duration time.Duration
}

// Observer is told, after the fact, what the service did. The metrics
// package implements it. Methods are called synchronously from request and
// housekeeping paths, so they must be quick and must not block.
type Observer interface {
	// DeployFinished is called once per deploy that becomes DEPLOYED or
	// FAILED; rollbacks are reported by RollbackFinished instead.
	DeployFinished(e DeployEvent)
	// RollbackFinished is called once per rollback request that is not a dry run.
	RollbackFinished(e RollbackEvent)
	// BlobUploaded is called for every file stored by an upload, with its size.
	BlobUploaded(size int64)
	// BlobsDeduplicated is called when a deploy is created, with the bytes
	// of the files its manifests reference that were already stored (and
	// so need no upload).
	BlobsDeduplicated(size int64)
	// GarbageCollected is called after every successful garbage collection.
	GarbageCollected(res *GCResult, duration time.Duration)
}

// NopObserver is an Observer that ignores everything.
type NopObserver struct{}

// DeployFinished implements Observer.
func (NopObserver) DeployFinished(DeployEvent) {}

// RollbackFinished implements Observer.
func (NopObserver) RollbackFinished(RollbackEvent) {}

// BlobUploaded implements Observer.
func (NopObserver) BlobUploaded(int64) {}

// BlobsDeduplicated implements Observer.
func (NopObserver) BlobsDeduplicated(int64) {}

// GarbageCollected implements Observer.
func (NopObserver) GarbageCollected(*GCResult, time.Duration) {}
