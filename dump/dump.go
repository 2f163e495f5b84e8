// Package dump moves a whole dagdeck installation between backends: Export
// writes its metadata and every artifact to a tar stream, Import loads such
// a stream into empty stores (for example from SQLite + a folder to
// PostgreSQL + S3). Ids, sequences, times, tokens (hashed) and users are
// kept, so histories and digests compare equal afterwards.
//
// What is not carried: web UI sessions (users log in again), parsed DAGs
// and import errors (the runtime parses the current code again on start),
// and the XCom values of past runs, which are lost. Run Export with the
// server stopped so the snapshot is consistent.
package dump

import (
	"time"

	"github.com/dagdeck/dagdeck"
)

// FormatVersion is the version of the export format.
const FormatVersion = 1

// Entry names in the tar stream.
const (
	metadataEntry = "metadata.json"
	blobPrefix    = "blobs/"
)

// Metadata is every record of an installation.
type Metadata struct {
	FormatVersion int                     `json:"formatVersion"`
	ExportedAt    time.Time               `json:"exportedAt"`
	Deployments   []*dagdeck.Deployment   `json:"deployments"`
	Deploys       []*dagdeck.Deploy       `json:"deploys"` // oldest first
	EnvChanges    []EnvChange             `json:"envChanges"`
	Tokens        []*dagdeck.Token        `json:"tokens"`
	TokenHashes   map[string]string       `json:"tokenHashes"` // token id → hash
	Users         []*User                 `json:"users"`
	DagRuns       []*dagdeck.DagRun       `json:"dagRuns"`
	TaskInstances []*dagdeck.TaskInstance `json:"taskInstances"`
	TaskLogs      map[string][]byte       `json:"taskLogs"` // task instance id → log
	// CommitMessages are the messages of the deploys' git commits (deploy
	// id → message), which the API does not show; with each deploy's
	// bundleCommit they keep the commit ids after an import.
	CommitMessages map[string]string `json:"commitMessages,omitempty"`
	// Audit is the whole audit log, oldest first; import rebuilds the same
	// hash chain and refuses an export whose chain does not verify.
	Audit    []*dagdeck.AuditEntry `json:"audit"`
	Webhooks []*Webhook            `json:"webhooks"`
}

// Webhook is a dagdeck.Webhook with its signing secrets, which the API
// never shows. Events not yet delivered are not exported.
type Webhook struct {
	dagdeck.Webhook
	Secret         string `json:"secret"`
	PreviousSecret string `json:"previousSecret,omitempty"`
}

// EnvChange is one recorded env var change.
type EnvChange struct {
	DeploymentID string    `json:"deploymentId"`
	Key          string    `json:"key"`
	At           time.Time `json:"at"`
}

// User is a dagdeck.User with its password hash, which the API never shows.
type User struct {
	dagdeck.User
	PasswordHash string `json:"passwordHash"`
}

// Stats counts what was exported or imported.
type Stats struct {
	Deployments int   `json:"deployments"`
	Deploys     int   `json:"deploys"`
	Blobs       int   `json:"blobs"`
	Bytes       int64 `json:"bytes"`
}
