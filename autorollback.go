package dagdeck

import (
	"context"
	"time"
)

// AutoRollbackPolicy is a Deployment's automatic rollback on pipeline
// health, off by default. During Watch after a deploy goes live, if its
// code has import errors the previous code did not have (OnImportErrors),
// or at least MinTries task tries ran on it and the share of them that
// failed reaches MaxFailedShare, dagdeck quarantines the deploy and rolls
// back to the last good one. It acts at most once per deploy, never watches
// its own rollbacks, and never downgrades the runtime on its own.
type AutoRollbackPolicy struct {
	Enabled        bool    `json:"enabled"`
	WatchSeconds   int64   `json:"watchSeconds"`
	MaxFailedShare float64 `json:"maxFailedShare"`
	MinTries       int     `json:"minTries"`
	OnImportErrors bool    `json:"onImportErrors"`
}

// DefaultAutoRollbackPolicy is the policy of a Deployment that has none: off,
// and when turned on, 15 minutes, half the tries failed out of at least 5,
// new import errors count.
var DefaultAutoRollbackPolicy = AutoRollbackPolicy{WatchSeconds: 15 * 60, MaxFailedShare: 0.5, MinTries: 5, OnImportErrors: true}

// Watch is the policy's watch window.
func (p AutoRollbackPolicy) Watch() time.Duration { return time.Duration(p.WatchSeconds) * time.Second }

// Validate returns EINVALID for a policy out of range.
func (p AutoRollbackPolicy) Validate() error {
	switch {
	case p.WatchSeconds < 60 || p.WatchSeconds > 7*24*3600:
		return Errorf(EINVALID, "auto-rollback watch %s: want 1m to 168h", p.Watch())
	case p.MaxFailedShare <= 0 || p.MaxFailedShare > 1:
		return Errorf(EINVALID, "max failed share %g: want more than 0 and at most 1", p.MaxFailedShare)
	case p.MinTries < 1 || p.MinTries > 100000:
		return Errorf(EINVALID, "min tries %d: want 1 to 100000", p.MinTries)
	}
	return nil
}

// AutoRollbackUpdate changes some fields of a policy; nil leaves a field alone.
type AutoRollbackUpdate struct {
	Enabled        *bool    `json:"enabled,omitempty"`
	WatchSeconds   *int64   `json:"watchSeconds,omitempty"`
	MaxFailedShare *float64 `json:"maxFailedShare,omitempty"`
	MinTries       *int     `json:"minTries,omitempty"`
	OnImportErrors *bool    `json:"onImportErrors,omitempty"`
}

// Apply returns p with u's fields set.
func (u *AutoRollbackUpdate) Apply(p AutoRollbackPolicy) AutoRollbackPolicy {
	if u.Enabled != nil {
		p.Enabled = *u.Enabled
	}
	if u.WatchSeconds != nil {
		p.WatchSeconds = *u.WatchSeconds
	}
	if u.MaxFailedShare != nil {
		p.MaxFailedShare = *u.MaxFailedShare
	}
	if u.MinTries != nil {
		p.MinTries = *u.MinTries
	}
	if u.OnImportErrors != nil {
		p.OnImportErrors = *u.OnImportErrors
	}
	return p
}

// AutoRollbackDecision is what the automatic rollback decided about a deploy.
type AutoRollbackDecision struct {
	DeployID     string
	DeploymentID string
	At           time.Time
	// Outcome: "rolled_back", "no_target" or "needs_human" (a downgrade).
	Outcome string
	Reason  string
	// RollbackID is the rollback deploy, when there is one.
	RollbackID string
}

// Outcomes of an AutoRollbackDecision.
const (
	AutoRolledBack = "rolled_back"
	AutoNoTarget   = "no_target"
	AutoNeedsHuman = "needs_human"
)

// AutoRollbackActorName names dagdeck when it rolls back on its own.
const AutoRollbackActorName = "dagdeck (automatic rollback)"

// TryCounts counts a deploy's ended task tries.
type TryCounts struct {
	Failed int // failed, or failed and waiting for a retry
	Ended  int // success, skipped, failed, up_for_retry
}

// AutoRollbackTx persists automatic rollback policies and what they need.
type AutoRollbackTx interface {
	// AutoRollbackPolicy returns a Deployment's policy. ENOTFOUND if it has none.
	AutoRollbackPolicy(ctx context.Context, deploymentID string) (*AutoRollbackPolicy, error)
	// PutAutoRollbackPolicy sets a Deployment's policy.
	PutAutoRollbackPolicy(ctx context.Context, deploymentID string, p *AutoRollbackPolicy) error
	// EnabledAutoRollbacks returns the Deployments whose policy is on, by id.
	EnabledAutoRollbacks(ctx context.Context) (map[string]*AutoRollbackPolicy, error)
	// PutImportErrorFiles records the files that failed to import in a
	// deploy's code, replacing what was recorded for it.
	PutImportErrorFiles(ctx context.Context, deployID string, files []string) error
	// ImportErrorFiles returns the files recorded for a deploy, sorted.
	ImportErrorFiles(ctx context.Context, deployID string) ([]string, error)
	// CountTries counts the ended task tries that ran on a deploy.
	CountTries(ctx context.Context, deployID string) (TryCounts, error)
	// RecordAutoRollback records a decision. ECONFLICT if the deploy has one.
	RecordAutoRollback(ctx context.Context, d *AutoRollbackDecision) error
	// AutoRollbackDecided reports whether a deploy has a decision.
	AutoRollbackDecided(ctx context.Context, deployID string) (bool, error)
}
