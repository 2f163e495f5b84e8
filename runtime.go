package dagdeck

import (
	"context"
	"time"
)

// Runtime applies a Deployment's current code state and runs its DAGs.
// The embedded local runtime implements it; a Kubernetes target would be
// another package implementing the same interface.
type Runtime interface {
	// Activate makes d, a DEPLOYED deploy that is now current, the code that
	// new tasks of its Deployment run. Tasks already running keep their code.
	Activate(ctx context.Context, d *Deploy) error
	// PrepareDowngrade is called before a rollback that lowers the runtime
	// version becomes current: it stops the Deployment's running tasks at once
	// and fails them; retries they have left must not start before Activate
	// is called with the rollback deploy.
	PrepareDowngrade(ctx context.Context, deploymentID string) error
}

// Preparer is implemented by runtimes that can ready a deploy's code
// before it becomes current, while the control plane commits it, so that
// Activate only switches to it.
type Preparer interface {
	// Prepare readies d's code without changing what runs. An error means
	// only that Activate will do the work, and report what fails.
	Prepare(ctx context.Context, d *Deploy) error
}

// CodeImportFile is the File of the import error by which a runtime
// reports that it could not lay out or read a deploy's code at all: none of
// its DAGs runs, and the deploy's activation has failed.
const CodeImportFile = "(deploy)"

// Waker is implemented by runtimes that can start a manually triggered run
// at once rather than at their next poll.
type Waker interface {
	// Wake tells the runtime that the Deployment has new work.
	Wake(deploymentID string)
}

// Task instance states.
const (
	TaskScheduled      = "scheduled"
	TaskRunning        = "running"
	TaskSuccess        = "success"
	TaskFailed         = "failed"
	TaskSkipped        = "skipped"
	TaskUpForRetry     = "up_for_retry"
	TaskUpstreamFailed = "upstream_failed"
)

// TryEnded reports whether a try in state has ended: its process is done,
// whatever follows (up_for_retry included), so its log is complete.
func TryEnded(state string) bool { return state != TaskScheduled && state != TaskRunning }

// DAG run states.
const (
	RunQueued  = "queued"
	RunRunning = "running"
	RunSuccess = "success"
	RunFailed  = "failed"
)

// Dag is a DAG parsed from the current code of a Deployment.
type Dag struct {
	DeploymentID string     `json:"deploymentId"`
	DagID        string     `json:"dagId"`
	File         string     `json:"file"`
	Schedule     string     `json:"schedule"`
	Description  string     `json:"description"`
	Tags         []string   `json:"tags"`
	DeployID     string     `json:"deployId"`
	NextRunAt    *time.Time `json:"nextRunAt,omitempty"`
}

// ImportError is a DAG file (or one document of it) that failed to load.
type ImportError struct {
	DeploymentID string `json:"deploymentId"`
	File         string `json:"file"`
	Message      string `json:"message"`
	DeployID     string `json:"deployId"`
}

// DagRun is one run of a DAG.
type DagRun struct {
	ID           string     `json:"id"`
	DeploymentID string     `json:"deploymentId"`
	DagID        string     `json:"dagId"`
	RunID        string     `json:"runId"`
	LogicalDate  time.Time  `json:"logicalDate"`
	RunType      string     `json:"runType"` // "scheduled" or "manual"
	State        string     `json:"state"`
	CreatedAt    time.Time  `json:"createdAt"`
	StartedAt    *time.Time `json:"startedAt,omitempty"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
	// Conf is the run's configuration (params overrides), as JSON.
	Conf string `json:"conf,omitempty"`
}

// TaskInstance is one try of one task in a DAG run: every try has its own
// row, so the history of tries (and the deploy each ran on) is kept.
type TaskInstance struct {
	ID             string `json:"id"`
	DeploymentID   string `json:"deploymentId"`
	DagRunID       string `json:"dagRunId"`
	DagID          string `json:"dagId"`
	RunID          string `json:"runId"`
	TaskID         string `json:"taskId"`
	TryNumber      int    `json:"tryNumber"`
	MaxTries       int    `json:"maxTries"`
	State          string `json:"state"`
	DeployID       string `json:"deployId"`
	RuntimeVersion string `json:"runtimeVersion"`
	ExitCode       *int   `json:"exitCode,omitempty"`
	// RetryAt is when an up_for_retry instance may start its next try.
	RetryAt   *time.Time `json:"retryAt,omitempty"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	// RunnerID identifies the runtime process that runs it, to detect orphans.
	RunnerID string `json:"runnerId,omitempty"`
	Note     string `json:"note,omitempty"`
}

// XCom is a value a task pushed (runtime 2.0.0 and later).
type XCom struct {
	DagRunID string `json:"dagRunId"`
	TaskID   string `json:"taskId"`
	Key      string `json:"key"`
	Value    string `json:"value"`
}

// TaskCount is how many task instances (tries) of a Deployment are in a state.
type TaskCount struct {
	DeploymentID string
	State        string
	Count        int64
}

// TaskFilter selects task instances, newest first.
type TaskFilter struct {
	DeploymentID string
	DagRunID     string
	DagID        string
	State        string
	Limit        int
}

// RunFilter selects DAG runs, newest first.
type RunFilter struct {
	DeploymentID string
	DagID        string
	State        string
	Limit        int
}

// RunQuery selects DAG runs for ListRuns.
type RunQuery struct {
	DagID string // "" for every DAG
	State string // "" for every state
	Limit int    // 0 for the default (service.DefaultRuntimePageSize)
}

// TaskQuery selects task instances for ListTaskInstances.
type TaskQuery struct {
	// RunID is a run's id or its run id (manual__…, scheduled__…); "" for every run.
	RunID string
	DagID string // "" for every DAG
	State string // "" for every state
	Limit int    // 0 for the default (service.DefaultRuntimePageSize)
}
