package dagdeck

import (
	"context"
	"time"
)

// Kinds of DeployMark.
const (
	MarkPin        = "pin"
	MarkQuarantine = "quarantine"
)

// ReasonQuarantined: the deploy is quarantined, so not a rollback target.
const ReasonQuarantined = "QUARANTINED"

// DeployMark is a pin or a quarantine of a deploy. A pin keeps the deploy's
// artifacts (and its eligibility as a rollback target) past the retention
// window until Until, or until it is removed. A quarantine marks a deploy
// as bad: it is no rollback target and `previous` and automatic rollbacks
// skip it; a quarantined current deploy keeps running.
type DeployMark struct {
	DeployID     string     `json:"-"`
	DeploymentID string     `json:"-"`
	Kind         string     `json:"-"`
	Reason       string     `json:"reason"`
	By           Actor      `json:"by"`
	At           time.Time  `json:"at"`
	Until        *time.Time `json:"until,omitempty"`
}

// Active reports whether the mark is in force at now (nil is never).
func (m *DeployMark) Active(now time.Time) bool {
	return m != nil && (m.Until == nil || now.Before(*m.Until))
}

// MarkTx persists deploy marks.
type MarkTx interface {
	// PutMark inserts m, replacing the deploy's mark of the same kind.
	PutMark(ctx context.Context, m *DeployMark) error
	// DeleteMark removes a deploy's mark of a kind. ENOTFOUND if none.
	DeleteMark(ctx context.Context, deployID, kind string) error
	// ListMarks returns the marks of a Deployment's deploys, or of every
	// Deployment's when deploymentID is "".
	ListMarks(ctx context.Context, deploymentID string) ([]*DeployMark, error)
}
