package dagdeck

import (
	"context"
	"time"
)

// Store is the metadata store. Implementations: sqlite (default) and
// postgres; both pass the conformance suite in storetest.
//
// Business rules do not live here: the service package decides, the store
// persists. Every method of Tx translates "no row" into ENOTFOUND and a
// uniqueness violation into ECONFLICT; it never returns nil, nil.
type Store interface {
	// Update runs fn in a read-write transaction, committed if fn returns
	// nil and rolled back otherwise; fn's error is returned as it is.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// Tx is a metadata store transaction. Times are stored with at least
// microsecond precision and returned in UTC.
type Tx interface {
	DeploymentTx
	DeployTx
	AuthTx
	RuntimeTx
	AuditTx
	WebhookTx
	MarkTx
	AutoRollbackTx
	ActivationTx
	GitTx
	RollbackTurnTx

	// LockDeployment takes the Deployment's row lock until the transaction
	// ends, serializing deploys and rollbacks of one Deployment across server
	// replicas. ENOTFOUND if it does not exist.
	LockDeployment(ctx context.Context, id string) error
	// LockGC takes the garbage-collection lock until the transaction ends:
	// exclusive for the collector, shared for deploy creation and
	// finalization, so the collector never deletes a blob that a deploy has
	// just referenced.
	LockGC(ctx context.Context, exclusive bool) error
}

// DeploymentTx persists Deployments.
type DeploymentTx interface {
	// CreateDeployment inserts d (ID, Name and times set by the caller),
	// including d.Env. ECONFLICT if the name or id is taken.
	CreateDeployment(ctx context.Context, d *Deployment) error
	// FindDeployment returns the Deployment with that id. ENOTFOUND if none.
	FindDeployment(ctx context.Context, id string) (*Deployment, error)
	// FindDeploymentByName returns the Deployment with that name. ENOTFOUND if none.
	FindDeploymentByName(ctx context.Context, name string) (*Deployment, error)
	// ListDeployments returns every Deployment, ordered by name.
	ListDeployments(ctx context.Context) ([]*Deployment, error)
	// UpdateDeployment writes every field of d, replacing its Env.
	// ENOTFOUND if it does not exist, ECONFLICT if the new name is taken.
	UpdateDeployment(ctx context.Context, d *Deployment) error
	// RecordEnvChange notes that key was set, changed or deleted at t.
	RecordEnvChange(ctx context.Context, deploymentID, key string, t time.Time) error
	// EnvKeysChangedSince returns the distinct keys changed after t, sorted.
	EnvKeysChangedSince(ctx context.Context, deploymentID string, t time.Time) ([]string, error)
}

// DeployTx persists deploys.
type DeployTx interface {
	// CreateDeploy inserts d and sets d.Sequence to one more than the
	// highest sequence of its Deployment. ECONFLICT if the id is taken.
	CreateDeploy(ctx context.Context, d *Deploy) error
	// FindDeploy returns the deploy with that id. ENOTFOUND if none.
	FindDeploy(ctx context.Context, id string) (*Deploy, error)
	// ListDeploys returns the deploys matching f, highest sequence first
	// (with DeploymentID "", across Deployments, newest first). Limit 0 means no limit.
	ListDeploys(ctx context.Context, f DeployFilter) ([]*Deploy, error)
	// UpdateDeploy writes every mutable field of d (status, finalized time,
	// failure reason, description, artifact fields, artifacts-pruned flag).
	// ENOTFOUND if it does not exist.
	UpdateDeploy(ctx context.Context, d *Deploy) error
	// LatestDeploy returns the Deployment's deploy with the highest sequence
	// and the given status ("" for any). ENOTFOUND if none.
	LatestDeploy(ctx context.Context, deploymentID string, status DeployStatus) (*Deploy, error)
	// ImageTagTaken reports whether a non-rollback deploy of the Deployment has that image tag.
	ImageTagTaken(ctx context.Context, deploymentID, tag string) (bool, error)
	// PruneCandidateManifests returns the manifest digests (each once, ""
	// left out, in no order) of a Deployment's DEPLOYED deploys created
	// before createdBefore and not yet flagged ArtifactsPruned: the garbage
	// collector walks ListPruneCandidates only when one of them is gone.
	PruneCandidateManifests(ctx context.Context, deploymentID string, createdBefore time.Time) ([]string, error)
	// ListPruneCandidates returns what the garbage collector checks of a
	// Deployment's DEPLOYED deploys created before createdBefore and not yet
	// flagged ArtifactsPruned: up to limit of them, highest sequence first,
	// those below belowSequence when it is positive. It reads no other
	// column, so a history of any length is cheap to walk.
	ListPruneCandidates(ctx context.Context, deploymentID string, createdBefore time.Time, belowSequence int64, limit int) ([]PruneCandidate, error)
	// SetArtifactsPruned flags a deploy ArtifactsPruned, touching nothing
	// else, and reports whether it was not flagged yet. ENOTFOUND if the
	// deploy does not exist.
	SetArtifactsPruned(ctx context.Context, id string) (bool, error)
	// RetainedManifests returns the manifest digests (image and DAG bundle,
	// each once, "" left out, in no order) of the deploys whose artifacts
	// must be kept: DEPLOYED ones created at or after since, every
	// Deployment's current deploy, INITIALIZED ones, and those a scheduled,
	// running or up_for_retry task instance uses. It reads only the digest
	// columns.
	RetainedManifests(ctx context.Context, since time.Time) ([]string, error)
}

// GitTx persists what the git endpoint needs besides deploys.
type GitTx interface {
	// GitBlobIDs returns the git blob ids (40 hex digits) recorded for
	// those file digests; digests without one are absent from the map.
	GitBlobIDs(ctx context.Context, digests []string) (map[string]string, error)
	// PutGitBlobIDs records digest → git blob id pairs; a digest already
	// recorded keeps its id.
	PutGitBlobIDs(ctx context.Context, ids map[string]string) error
	// FindDeploysByCommit returns up to limit deploys whose bundle commit
	// starts with prefix (lowercase hex), of one Deployment or, with
	// deploymentID "", of any; oldest first.
	FindDeploysByCommit(ctx context.Context, deploymentID, prefix string, limit int) ([]*Deploy, error)
}

// AuthTx persists tokens, users and sessions.
type AuthTx interface {
	// CreateToken inserts t. ECONFLICT if its id or hash is taken.
	CreateToken(ctx context.Context, t *Token) error
	// FindTokenByHash returns the token with that hash. ENOTFOUND if none.
	FindTokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns all tokens, oldest first.
	ListTokens(ctx context.Context) ([]*Token, error)
	// DeleteToken removes a token and the web sessions opened with it. ENOTFOUND if none.
	DeleteToken(ctx context.Context, id string) error
	// TouchToken records that the token was used at t. ENOTFOUND if none.
	TouchToken(ctx context.Context, id string, t time.Time) error

	// CreateUser inserts u. ECONFLICT if the name is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByName returns the user. ENOTFOUND if none.
	FindUserByName(ctx context.Context, name string) (*User, error)
	// ListUsers returns all users, ordered by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// DeleteUser removes a user and their sessions. ENOTFOUND if none.
	DeleteUser(ctx context.Context, id string) error

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with that hash. ENOTFOUND if none.
	FindSession(ctx context.Context, hash string) (*Session, error)
	// DeleteSession removes a session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteExpiredSessions removes sessions that expired before t.
	DeleteExpiredSessions(ctx context.Context, t time.Time) error
}

// RuntimeTx persists what runtimes report: DAGs, import errors, runs, task
// instances, their logs, and the data of version-gated features.
type RuntimeTx interface {
	// ReplaceDags replaces the Deployment's DAGs and import errors.
	ReplaceDags(ctx context.Context, deploymentID string, dags []*Dag, errs []*ImportError) error
	// ListDags returns the Deployment's DAGs, ordered by DAG id.
	ListDags(ctx context.Context, deploymentID string) ([]*Dag, error)
	// ListImportErrors returns the Deployment's import errors, ordered by file.
	ListImportErrors(ctx context.Context, deploymentID string) ([]*ImportError, error)

	// CreateDagRun inserts r. ECONFLICT if the Deployment already has that DAG id and run id.
	CreateDagRun(ctx context.Context, r *DagRun) error
	// FindDagRun returns the run with that id. ENOTFOUND if none.
	FindDagRun(ctx context.Context, id string) (*DagRun, error)
	// UpdateDagRun writes r's state and times. ENOTFOUND if none.
	UpdateDagRun(ctx context.Context, r *DagRun) error
	// ListDagRuns returns runs matching f, newest logical date first.
	ListDagRuns(ctx context.Context, f RunFilter) ([]*DagRun, error)
	// LatestDagRun returns the DAG's run with the latest logical date. ENOTFOUND if none.
	LatestDagRun(ctx context.Context, deploymentID, dagID string, runType string) (*DagRun, error)

	// CreateTaskInstance inserts ti. ECONFLICT if the run already has that task id and try number.
	CreateTaskInstance(ctx context.Context, ti *TaskInstance) error
	// FindTaskInstance returns the task instance with that id. ENOTFOUND if none.
	FindTaskInstance(ctx context.Context, id string) (*TaskInstance, error)
	// UpdateTaskInstance writes ti's mutable fields. ENOTFOUND if none.
	UpdateTaskInstance(ctx context.Context, ti *TaskInstance) error
	// ListTaskInstances returns task instances matching f, newest first.
	ListTaskInstances(ctx context.Context, f TaskFilter) ([]*TaskInstance, error)
	// CountTaskInstances returns how many task instances (tries) each
	// Deployment has in each state, ordered by Deployment id and state;
	// pairs without any are left out. It reads an index, not the rows.
	CountTaskInstances(ctx context.Context) ([]TaskCount, error)

	// PutTaskLog stores (replaces) the log of one try.
	PutTaskLog(ctx context.Context, taskInstanceID string, log []byte) error
	// TaskLog returns the log of one try. ENOTFOUND if none was stored.
	TaskLog(ctx context.Context, taskInstanceID string) ([]byte, error)

	// PutXCom stores (replaces) a value.
	PutXCom(ctx context.Context, deploymentID string, x *XCom) error
	// FindXCom returns a value. ENOTFOUND if none.
	FindXCom(ctx context.Context, dagRunID, taskID, key string) (*XCom, error)

	// CountFeatureRows returns how many metadata rows of the Deployment
	// belong to the feature (task notes: instances with a note; XCom: values).
	CountFeatureRows(ctx context.Context, deploymentID string, f Feature) (int, error)
	// EraseFeatureRows erases those rows and returns how many it erased.
	EraseFeatureRows(ctx context.Context, deploymentID string, f Feature) (int, error)
}
