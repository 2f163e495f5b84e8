package dagdeck

import (
	"context"
	"io"
	"time"

	"github.com/dagdeck/dagdeck/gitrepo"
)

// The services below are what the transport packages (server, ui) call,
// one interface per concern. Package service implements them all with one
// type today (service.Service.Services); a handler needs only the one its
// route uses, so it can be tested against a small fake.
//
// A method that requires a role reads the caller from ctx
// (NewContextWithActor) and returns EUNAUTHORIZED without one and
// EFORBIDDEN when the caller's role does not include the one required
// (see Authorize).

// Services holds one implementation of each service.
type Services struct {
	Deployments DeploymentService
	Deploys     DeployService
	History     HistoryService
	Rollbacks   RollbackService
	Auth        AuthService
	Runtime     RuntimeService
	Retention   RetentionService
	Audit       AuditService
	Webhooks    WebhookService
	Git         GitService
	Health      HealthService
}

// DeploymentService creates, finds, lists and configures Deployments: a
// Deployment's name, description, executor, DAG deploy setting and env vars
// (secret values are never returned).
type DeploymentService interface {
	// CreateDeployment creates a Deployment. Requires the admin role.
	// EINVALID for a bad name, description or executor; ECONFLICT if the name is taken.
	CreateDeployment(ctx context.Context, req DeploymentCreate) (*Deployment, error)
	// FindDeployment returns a Deployment by id or name, without secret env
	// values. ENOTFOUND if none.
	FindDeployment(ctx context.Context, idOrName string) (*Deployment, error)
	// ListDeployments returns every Deployment, ordered by name, without secret
	// env values.
	ListDeployments(ctx context.Context) ([]*Deployment, error)
	// UpdateDeployment changes a Deployment's settings. Requires the admin role.
	// Env changes are recorded so a rollback plan can name the keys changed since
	// its target.
	UpdateDeployment(ctx context.Context, idOrName string, upd DeploymentUpdate) (*Deployment, error)
}

// DeployService records new deploys and serves their code: a deploy is
// created INITIALIZED with the file digests still to upload, its files are
// uploaded under a renewable lease, and it is finalized DEPLOYED and
// current (or cancelled). It also serves a deploy's manifests, archives,
// DAG files and blobs, and the diff between two deploys.
type DeployService interface {
	// CreateDeploy starts a deploy: it validates the request against the
	// Deployment and its current deploy, stores the manifests, records an
	// INITIALIZED deploy and answers with the file digests still to upload.
	// Requires the deployer role.
	//
	// EINVALID for a bad request (type, description, manifests, runtime
	// version, --dags with DAG deploys disabled, a lowered runtime);
	// ENOTFOUND for an unknown Deployment; ECONFLICT while another deploy of the
	// Deployment is in progress.
	CreateDeploy(ctx context.Context, deploymentIDOrName string, req DeployCreate) (*DeployCreated, error)
	// FinalizeDeploy makes an INITIALIZED deploy DEPLOYED and current, once every
	// file it references is stored (each was verified against its digest when
	// uploaded). Requires the deployer role.
	//
	// Returns a *MissingBlobsError (EINVALID) listing the files still to
	// upload, leaving the deploy INITIALIZED; ECONFLICT if the deploy is not
	// INITIALIZED; ENOTFOUND if it is not a deploy of that Deployment.
	FinalizeDeploy(ctx context.Context, deploymentIDOrName, deployID string) (*Deploy, error)
	// UpdateDeploy changes a deploy's description, or cancels an INITIALIZED
	// deploy by setting its status to FAILED. Requires the deployer role; a
	// description only its author or an admin may change (EFORBIDDEN for
	// anyone else), and every change is recorded in the audit log (who, when,
	// before and after), which FindDeploy returns as DescriptionEdits.
	UpdateDeploy(ctx context.Context, deploymentIDOrName, deployID string, upd DeployUpdate) (*Deploy, error)
	// RenewUploadLease extends the upload lease of an INITIALIZED deploy by the
	// lease duration from now. The uploading client calls it while it uploads.
	// Requires the deployer role.
	//
	// ECONFLICT if the deploy is no longer INITIALIZED (finalized, cancelled,
	// or failed because its lease lapsed): the client should stop uploading.
	// ENOTFOUND if it is not a deploy of that Deployment.
	RenewUploadLease(ctx context.Context, deploymentIDOrName, deployID string) (*Deploy, error)
	// MissingBlobs returns those of digests the artifact store lacks. Requires
	// the deployer role.
	MissingBlobs(ctx context.Context, digests []string) ([]string, error)
	// PutBlob stores an uploaded file, verifying it against its digest.
	// Requires the deployer role. EINVALID on a digest or size mismatch.
	PutBlob(ctx context.Context, digest string, r io.Reader, size int64) error
	// OpenBlob opens a stored blob. Requires the viewer role.
	OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error)
	// OpenFunc returns a function opening blobs, for packers and materializers.
	OpenFunc(ctx context.Context) func(digest string) (io.ReadCloser, error)
	// DeployManifest returns a deploy and the manifest of its image or DAG
	// bundle. ENOTFOUND if the deploy has no such part or its artifacts were
	// removed.
	DeployManifest(ctx context.Context, deploymentIDOrName, deployID, part string) (*Deploy, *Manifest, error)
	// DeployArchive returns a deploy and the manifests of an archive of part,
	// once every file they list is stored, so a download never starts that
	// cannot finish: one manifest for PartImage or PartDAGs, or for PartAll
	// those of the whole code state (CodeManifests). Requires the
	// viewer role. EINVALID for another part; ENOTFOUND, saying why, if the
	// deploy has no such part or any of its files is gone.
	DeployArchive(ctx context.Context, deploymentIDOrName, deployID, part string) (*Deploy, []*Manifest, error)
	// DAGFiles returns a deploy's DAG files: its bundle, or the dags/ part of
	// its image when DAG deploys were disabled. ENOTFOUND once its artifacts
	// are gone. Requires the viewer role.
	DAGFiles(ctx context.Context, d *Deploy) (*Manifest, error)
	// DiffDeploys returns what differs between two deploys of a Deployment,
	// from fromRef to toRef (the current deploy when toRef is ""): one page of
	// changed files, sorted by path, with their line diffs when opts.Contents.
	// Both refs take every form a deploy id does (#N, #-N, previous).
	// Requires the viewer role.
	//
	// EINVALID for a bad part, limit or reference; ENOTFOUND for an unknown
	// Deployment or deploy, or when a deploy's artifacts are no longer stored.
	DiffDeploys(ctx context.Context, deploymentIDOrName, fromRef, toRef string, opts DiffOptions) (*DeployDiff, error)
}

// HistoryService reads a Deployment's Deploy History (pages of deploys,
// the whole history as a stream, one deploy, the one before it), each deploy with its rollback
// eligibility, and marks deploys: pins keep one past the retention window,
// a quarantine removes it from the rollback targets. OnDeployed subscribes
// to every deploy that becomes current.
type HistoryService interface {
	// ListDeploys returns one page of a Deployment's Deploy History, newest
	// first, each deploy with its rollback eligibility. cursor is "" for the
	// first page or a NextCursor from a previous page.
	ListDeploys(ctx context.Context, deploymentIDOrName, cursor string, limit int) (*DeployPage, error)
	// StreamDeploys calls fn with the Deploy History from cursor on ("" for
	// the newest deploy), newest first, a page at a time, each page read in
	// a transaction of its own and handed over after it: it holds neither
	// the history nor a snapshot while fn runs. It stops at the end of the
	// history or at fn's first error, which it returns. ENOTFOUND for an
	// unknown Deployment and EINVALID for a bad cursor come before fn is
	// first called.
	StreamDeploys(ctx context.Context, deploymentIDOrName, cursor string, fn func([]*Deploy) error) error
	// FindDeploy returns a deploy of a Deployment with its rollback eligibility.
	FindDeploy(ctx context.Context, deploymentIDOrName, deployID string) (*Deploy, error)
	// FindDeployByID returns any deploy by id or bundle commit (a unique
	// prefix of at least 7 hex digits), whichever Deployment it belongs to,
	// with its rollback eligibility. ENOTFOUND if none; EINVALID if a commit
	// prefix names several deploys.
	FindDeployByID(ctx context.Context, deployID string) (*Deploy, error)
	// PreviousDeployed returns the DEPLOYED deploy right before deployID in its
	// Deployment's history. ENOTFOUND if there is none.
	PreviousDeployed(ctx context.Context, deploymentIDOrName, deployID string) (*Deploy, error)
	// PinDeploy pins a DEPLOYED deploy: its artifacts are kept, and it stays a
	// rollback target, past the retention window until until (nil: until it is
	// unpinned). Requires the deployer role. EINVALID without a reason or with
	// an until in the past; EUNPROCESSABLE for a deploy that never ran or whose
	// artifacts are gone.
	PinDeploy(ctx context.Context, deploymentIDOrName, ref, reason string, until *time.Time) (*Deploy, error)
	// UnpinDeploy removes a deploy's pin. ENOTFOUND if it has none.
	UnpinDeploy(ctx context.Context, deploymentIDOrName, ref string) (*Deploy, error)
	// QuarantineDeploy marks a deploy as bad: it is no rollback target
	// (QUARANTINED), and `previous` and automatic rollbacks skip it. A
	// quarantined current deploy keeps running. Requires the deployer role.
	QuarantineDeploy(ctx context.Context, deploymentIDOrName, ref, reason string) (*Deploy, error)
	// ReleaseDeploy ends a deploy's quarantine. ENOTFOUND if it has none.
	ReleaseDeploy(ctx context.Context, deploymentIDOrName, ref string) (*Deploy, error)
	// OnDeployed registers fn to be called, after commit, with every deploy that
	// becomes current (the web UI uses it to push updates).
	OnDeployed(fn func(*Deploy))
}

// RollbackService rolls a Deployment back to one of its deploys, as a new
// deploy at the top of its history, or plans it (a dry run).
type RollbackService interface {
	// Rollback rolls a Deployment back to one of its deploys: a NEW deploy, at
	// the top of the history, whose code state is copied from the target
	// (package service holds the rules). Every request that is not a dry run
	// is reported to the observer: deployed, refused (with the error code) or
	// failed.
	//
	// EINVALID for a missing or long description, a malformed req.PlanID or
	// a deploy of another Deployment; ENOTFOUND for unknown ids;
	// EUNPROCESSABLE when the target is not eligible, lowers the runtime
	// without req.ConfirmDowngrade, or would change nothing
	// (RollbackPlan.ChangesNothing, dry runs included); ECONFLICT while a
	// deploy is in progress, when the Deployment changed under the
	// rollback, or when req.PlanID names a plan that differs from the
	// rollback's plan now (saying what changed; nothing is committed).
	Rollback(ctx context.Context, deploymentIDOrName, deployID string, req RollbackRequest) (*RollbackResult, error)
}

// AuthService authenticates API tokens and web UI sessions and manages the
// credentials: API tokens, web UI users, and their sessions (login,
// logout).
type AuthService interface {
	// AuthenticateToken returns the actor of a token secret. EUNAUTHORIZED if it is unknown.
	AuthenticateToken(ctx context.Context, secret string) (*Actor, error)
	// CreateToken creates an API token and returns it with its secret, which is
	// shown once and never stored. A runtime token is for the Deployments
	// (ids or names) it runs and reaches no other; other roles take none.
	// Requires the admin role. EINVALID for an empty, long (over 100 bytes)
	// or control-character name, a bad role or scope;
	// ENOTFOUND for an unknown Deployment.
	CreateToken(ctx context.Context, name string, role Role, deployments ...string) (*Token, string, error)
	// ListTokens returns all tokens (without secrets). Requires the admin role.
	ListTokens(ctx context.Context) ([]*Token, error)
	// DeleteToken revokes a token. Requires the admin role.
	DeleteToken(ctx context.Context, id string) error
	// CreateUser creates a web UI user. Requires the admin role.
	CreateUser(ctx context.Context, name, password string, role Role) (*User, error)
	// ListUsers returns all users. Requires the admin role.
	ListUsers(ctx context.Context) ([]*User, error)
	// DeleteUser removes a user and their sessions. Requires the admin role.
	DeleteUser(ctx context.Context, id string) error
	// Login checks a user's password, or an API token given as the password
	// with an empty name, and opens a session. It returns the session secret
	// (for the cookie) and the session. EUNAUTHORIZED on bad credentials.
	Login(ctx context.Context, name, password string) (string, *Session, error)
	// Session returns the live session of a secret. EUNAUTHORIZED if it is unknown or expired.
	Session(ctx context.Context, secret string) (*Session, error)
	// Logout ends a session.
	Logout(ctx context.Context, secret string) error
}

// RuntimeService reports what a Deployment's runtime does — the DAGs it
// loaded and their import errors, DAG runs, task instances (tries) and
// their logs — and acts on it: trigger a DAG, set a task note. Its
// RuntimeBackend is the port that runtimes calling the API report through.
type RuntimeService interface {
	// ListDags returns the DAGs the runtime loaded from the Deployment's
	// current code, ordered by DAG id, and the files (or documents) that failed
	// to import. Requires the viewer role. ENOTFOUND for an unknown Deployment.
	ListDags(ctx context.Context, deploymentIDOrName string) ([]*Dag, []*ImportError, error)
	// ListRuns returns the Deployment's DAG runs, newest logical date first.
	// Requires the viewer role. EINVALID for a limit above
	// service.MaxRuntimePageSize.
	ListRuns(ctx context.Context, deploymentIDOrName string, q RunQuery) ([]*DagRun, error)
	// ListTaskInstances returns the Deployment's task instances, one per try,
	// newest first. Requires the viewer role. ENOTFOUND for an unknown
	// Deployment or run; EINVALID for a limit above
	// service.MaxRuntimePageSize.
	ListTaskInstances(ctx context.Context, deploymentIDOrName string, q TaskQuery) ([]*TaskInstance, error)
	// TaskInstance returns one task instance (one try) of a Deployment.
	// Requires the viewer role. ENOTFOUND for an unknown try.
	TaskInstance(ctx context.Context, deploymentIDOrName, taskInstanceID string) (*TaskInstance, error)
	// TaskTry returns a task instance with its log from byte offset on ("" when
	// it has not run yet, or nothing new was written). Requires the viewer
	// role. ENOTFOUND for an unknown try.
	TaskTry(ctx context.Context, deploymentIDOrName, taskInstanceID string, offset int) (*TaskInstance, []byte, error)
	// TaskLog returns the log of one try, secret values masked by the runtime.
	// Requires the viewer role. ENOTFOUND for an unknown try, or one that never
	// ran (no log).
	TaskLog(ctx context.Context, deploymentIDOrName, taskInstanceID string) ([]byte, error)
	// SetTaskNote sets (or, with "", clears) the note of a task instance.
	// Requires the deployer role. ENOTIMPLEMENTED when the Deployment's runtime
	// is older than 1.1.0 (task notes); EINVALID for a note longer than
	// service.MaxTaskNoteLen or with control characters other than newlines
	// and tabs; ENOTFOUND for an unknown try.
	SetTaskNote(ctx context.Context, deploymentIDOrName, taskInstanceID, note string) (*TaskInstance, error)
	// TriggerDag queues a manual run of a DAG of the Deployment's current code,
	// with conf overriding the DAG's params; the runtime starts it. Requires
	// the deployer role. ENOTFOUND for an unknown Deployment or a DAG its
	// current code does not have; EINVALID for a conf that is too large.
	TriggerDag(ctx context.Context, deploymentIDOrName, dagID string, conf map[string]any) (*DagRun, error)
	// RuntimeBackend returns the backend for runtimes that call the API.
	RuntimeBackend() RuntimeBackend
}

// RetentionService removes the artifacts no retained deploy needs any more
// and says how long deploys are retained.
type RetentionService interface {
	// GC deletes the blobs no retained deploy references (DESIGN §4): retained
	// are DEPLOYED deploys inside the retention window, every current deploy,
	// pinned deploys, unfinished uploads and deploys that running tasks use. Blobs younger than
	// the grace period are kept too. Deploys whose artifacts are gone are marked
	// pruned; their records stay. It holds the exclusive GC lock for the whole
	// sweep, so deploys that reference blobs (shared lock) wait for it, and only
	// one replica collects at a time. Requires the admin role.
	GC(ctx context.Context) (*GCResult, error)
	// Retention returns the retention window.
	Retention() time.Duration
}

// AuditService reads the audit log, page by page, and verifies its hash
// chain.
type AuditService interface {
	// ListAudit returns one page of the audit log, newest first. Admins see
	// every entry; other roles need f.DeploymentID and see that Deployment's
	// entries (its activity). cursor is "" or a page's NextCursor.
	ListAudit(ctx context.Context, f AuditFilter, cursor string) (*AuditPage, error)
	// VerifyAudit checks the whole audit chain, oldest first, and names the
	// first entry that was edited, removed or moved. Requires the admin role.
	VerifyAudit(ctx context.Context) (*AuditVerification, error)
}

// WebhookService manages the webhooks that receive deploy and rollback
// events (EventTypes): create, list, delete, rotate a secret, send a test
// event and list the delivery attempts.
type WebhookService interface {
	// CreateWebhook registers a webhook and returns it with its signing secret,
	// which is shown this once. Requires the admin role. EINVALID for a bad
	// URL, an unknown event type or format; ENOTFOUND for an unknown Deployment.
	CreateWebhook(ctx context.Context, req WebhookCreate) (*WebhookCreated, error)
	// ListWebhooks returns every webhook, without secrets. Requires the admin role.
	ListWebhooks(ctx context.Context) ([]*Webhook, error)
	// DeleteWebhook removes a webhook and its pending deliveries. Requires the
	// admin role. ENOTFOUND if there is none.
	DeleteWebhook(ctx context.Context, id string) error
	// RotateWebhookSecret gives a webhook a new signing secret and returns it,
	// shown this once. The old secret signs too for service.SecretOverlap.
	// Requires the admin role.
	RotateWebhookSecret(ctx context.Context, id string) (*WebhookCreated, error)
	// TestWebhook queues a ping event for the webhook and returns its event id;
	// WebhookDeliveries shows the attempt. Requires the admin role.
	TestWebhook(ctx context.Context, id string) (string, error)
	// WebhookDeliveries returns a webhook's newest delivery attempts. Requires
	// the admin role.
	WebhookDeliveries(ctx context.Context, id string, limit int) ([]*WebhookDelivery, error)
}

// GitService serves a Deployment's deploy history as a git repository.
type GitService interface {
	// GitRepository returns the Deployment's git repository: one commit per
	// DEPLOYED deploy that has one, oldest first, shallow from the oldest
	// deploy after which none had its artifacts pruned. Requires the viewer
	// role. ENOTFOUND if there is no such Deployment, or if the caller's token
	// is for other Deployments.
	//
	// The repository rebuilds each commit from the record when it is served
	// and checks that it has the recorded id.
	GitRepository(ctx context.Context, deploymentIDOrName string) (*gitrepo.Repository, error)
}

// HealthService answers readiness checks and tells the service's clock.
type HealthService interface {
	// Ready checks, concurrently and each within the ready timeout, that the
	// metadata store runs a transaction and the artifact store answers a
	// lookup. It needs no authentication: it reveals no data, only whether
	// each dependency answered (the reasons go to the log).
	Ready(ctx context.Context) *Readiness
	// Now returns the service's current time in UTC, truncated to microseconds
	// (the precision every store keeps).
	Now() time.Time
}
