package dagdeck

import (
	"context"
	"time"
)

// Activation states: whether a Deployment's runtime runs its current
// deploy's code yet.
const (
	ActivationActive  = "active"  // the runtime switched to the deploy
	ActivationPending = "pending" // the deploy is current; the runtime has not reported it yet
	ActivationFailed  = "failed"  // the runtime could not switch; Error says why
)

// Activation is what the runtime did with a Deployment's current deploy. A
// deploy or rollback is recorded and current before the runtime switches to
// it; until it has, the history and the web UI say so.
type Activation struct {
	DeployID string    `json:"deployId"`
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at"`
}

// DeferredActivation is implemented by runtimes whose Activate only hands
// the deploy over (a separate `dagdeck runtime` process): the deploy is
// active once that runtime reports the DAGs of its code.
type DeferredActivation interface {
	ActivatesLater() bool
}

// ActivationTx persists activations.
type ActivationTx interface {
	// PutActivation records the activation of a Deployment's current deploy.
	PutActivation(ctx context.Context, deploymentID string, a *Activation) error
	// FindActivation returns a Deployment's activation. ENOTFOUND if none.
	FindActivation(ctx context.Context, deploymentID string) (*Activation, error)
}
