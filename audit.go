package dagdeck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Audit actions: what an AuditEntry records. Each mutating operation
// records exactly one entry, in the same transaction as its change.
const (
	AuditDeploymentCreated    = "deployment.created"
	AuditDeploymentUpdated    = "deployment.updated" // settings, env keys (never values), DAG-deploy setting
	AuditDeployCreated        = "deploy.created"
	AuditDeployDeployed       = "deploy.deployed"
	AuditDeployFailed         = "deploy.failed"
	AuditDeployCancelled      = "deploy.cancelled"
	AuditDeployDescription    = "deploy.description_changed"
	AuditRollbackDeployed     = "rollback.deployed"
	AuditDeployPinned         = "deploy.pinned"
	AuditDeployUnpinned       = "deploy.unpinned"
	AuditDeployQuarantined    = "deploy.quarantined"
	AuditDeployReleased       = "deploy.released"
	AuditAutoRollback         = "autorollback.decided" // what the automatic rollback decided and why
	AuditTokenCreated         = "token.created"
	AuditTokenDeleted         = "token.deleted"
	AuditUserCreated          = "user.created"
	AuditUserDeleted          = "user.deleted"
	AuditLoginSucceeded       = "login.succeeded"
	AuditLoginRefused         = "login.refused"
	AuditWebhookCreated       = "webhook.created"
	AuditWebhookDeleted       = "webhook.deleted"
	AuditWebhookSecretRotated = "webhook.secret_rotated"
	AuditWebhookTested        = "webhook.tested"
	AuditGCCompleted          = "gc.completed"
	AuditDagTriggered         = "dag.triggered"
	AuditTaskNoteSet          = "task.note_set"
)

// AuditEntry is one entry of the append-only audit log. Entries form a hash
// chain: PrevHash is the Hash of the entry before (Seq - 1), and Hash is
// the SHA-256 of the entry's canonical content including PrevHash, so an
// edited, removed or reordered entry breaks the chain (VerifyAuditChain).
type AuditEntry struct {
	Seq  int64     `json:"seq"`
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Actor is who acted: a user or token, or dagdeck itself (kind "system").
	Actor      Actor  `json:"actor"`
	ActorRole  Role   `json:"actorRole"`
	ClientAddr string `json:"clientAddr,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	Action     string `json:"action"`
	// TargetKind and TargetID name what changed ("deploy", id).
	TargetKind string `json:"targetKind"`
	TargetID   string `json:"targetId"`
	// DeploymentID is the Deployment the change belongs to, if any.
	DeploymentID string `json:"deploymentId,omitempty"`
	// Summary describes the change: before/after values, counts. It never
	// holds a secret (env values, tokens, passwords, signing secrets).
	Summary  map[string]any `json:"summary"`
	PrevHash string         `json:"prevHash"`
	Hash     string         `json:"hash"`
}

// ActorSystem is the kind of the actor of dagdeck's own actions (failing an
// abandoned upload, the periodic garbage collection).
const ActorSystem = "system"

// SystemActor is dagdeck acting on its own; name says which part.
func SystemActor(name string) *Actor {
	return &Actor{ID: "dagdeck", Kind: ActorSystem, Name: name, Role: RoleAdmin}
}

// ComputeHash returns the SHA-256 (hex) of e's canonical content: every
// field but Hash, with Time in UTC at microsecond precision (what stores
// keep) and Summary as sorted-key JSON.
func (e *AuditEntry) ComputeHash() string {
	canonical := struct {
		Seq                                              int64
		ID, Time                                         string
		ActorID, ActorKind, ActorName, ActorRole, Client string
		RequestID, Action, TargetKind, TargetID, DepID   string
		Summary                                          map[string]any
		PrevHash                                         string
	}{
		e.Seq, e.ID, e.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		e.Actor.ID, e.Actor.Kind, e.Actor.Name, string(e.ActorRole), e.ClientAddr,
		e.RequestID, e.Action, e.TargetKind, e.TargetID, e.DeploymentID,
		e.Summary, e.PrevHash,
	}
	b, _ := json.Marshal(canonical) // map keys are sorted; cannot fail for these types
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	DeploymentID string
	// Actor matches the actor's name or id.
	Actor string
	Since time.Time
	// BeforeSeq, when positive, returns only entries with a lower Seq.
	BeforeSeq int64
	// Action and TargetID, when set, select entries of that action and
	// about that target.
	Action   string
	TargetID string
	Limit    int
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries    []*AuditEntry `json:"entries"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

// AuditVerification is the result of checking the whole audit chain.
type AuditVerification struct {
	OK      bool  `json:"ok"`
	Entries int64 `json:"entries"`
	// HeadSeq and HeadHash identify the newest entry; keep them elsewhere to
	// detect a later truncation of the log's tail.
	HeadSeq  int64  `json:"headSeq"`
	HeadHash string `json:"headHash,omitempty"`
	// BrokenSeq is the first entry that does not verify, and Problem says why.
	BrokenSeq int64  `json:"brokenSeq,omitempty"`
	Problem   string `json:"problem,omitempty"`
}

// AuditVerifier checks entries in Seq order, one at a time.
type AuditVerifier struct {
	res  AuditVerification
	prev *AuditEntry
}

// Add checks e against the entry before it. It returns false at the first
// broken entry; Result then names it.
func (v *AuditVerifier) Add(e *AuditEntry) bool {
	v.res.Entries++
	wantSeq, wantPrev := int64(1), ""
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	switch {
	case e.Seq != wantSeq:
		return v.broken(e.Seq, "entry %d follows entry %d: entries are missing or reordered", e.Seq, wantSeq-1)
	case e.PrevHash != wantPrev:
		return v.broken(e.Seq, "entry %d does not link to the entry before it (prevHash differs)", e.Seq)
	case e.ComputeHash() != e.Hash:
		return v.broken(e.Seq, "entry %d was changed after it was written (its hash does not match its content)", e.Seq)
	}
	v.prev = e
	v.res.HeadSeq, v.res.HeadHash = e.Seq, e.Hash
	return true
}

func (v *AuditVerifier) broken(seq int64, format string, args ...any) bool {
	v.res.BrokenSeq, v.res.Problem = seq, Errorf(EINVALID, format, args...).Error()
	return false
}

// Result returns the verification so far.
func (v *AuditVerifier) Result() *AuditVerification {
	r := v.res
	r.OK = r.BrokenSeq == 0
	return &r
}

// AuditTx persists the audit log.
type AuditTx interface {
	// AppendAudit appends e: it sets e.Seq and e.PrevHash from the newest
	// entry, then e.Hash, and inserts it. Appends are serialized across
	// server replicas until the transaction ends, so the chain stays linear;
	// call it as the transaction's last step.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns the entries f selects, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
	// EachAudit calls fn for every entry, oldest first, until fn returns
	// false or an error.
	EachAudit(ctx context.Context, fn func(*AuditEntry) (bool, error)) error
}

// RequestInfo identifies the request behind a change, for the audit log.
type RequestInfo struct {
	ID         string
	ClientAddr string
	// BaseURL is the server's public URL as the client reached it: the
	// configured public URL, or the request's scheme and Host (https
	// through a trusted proxy that says so). Links handed out start with it.
	BaseURL string
}

type requestKey struct{}

// NewContextWithRequest returns ctx carrying info.
func NewContextWithRequest(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey{}, info)
}

// RequestFromContext returns the request info ctx carries, or the zero value.
func RequestFromContext(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestKey{}).(RequestInfo)
	return info
}
