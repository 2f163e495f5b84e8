package dagdeck

// Readiness is whether the server can serve requests: every dependency it
// needs answered. Load balancers read it from GET /readyz.
type Readiness struct {
	// Status is ReadyOK when every check passed, ReadyUnavailable otherwise.
	Status string `json:"status"`
	// Checks are the dependencies, in a fixed order: "database", "artifacts".
	Checks []DependencyCheck `json:"checks"`
}

// DependencyCheck is the state of one dependency.
type DependencyCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ReadyOK or ReadyUnavailable
	// Error says briefly why it is unavailable ("did not answer within
	// 2s", "failed"); details go to the server's log only.
	Error string `json:"error,omitempty"`
}

// Readiness states.
const (
	ReadyOK          = "ok"
	ReadyUnavailable = "unavailable"
)
