package dagdeck

import (
	"fmt"
	"time"
)

// DeployType says which parts of the code a deploy changed.
type DeployType string

// Deploy types.
const (
	DeployImageAndDAG DeployType = "IMAGE_AND_DAG" // plain `dagdeck deploy`
	DeployDAGOnly     DeployType = "DAG_ONLY"      // `dagdeck deploy --dags`
	DeployImageOnly   DeployType = "IMAGE_ONLY"    // `dagdeck deploy --image`
)

// Valid reports whether t is a known type.
func (t DeployType) Valid() bool {
	return t == DeployImageAndDAG || t == DeployDAGOnly || t == DeployImageOnly
}

// DeployStatus is where a deploy is in its lifecycle:
// INITIALIZED → DEPLOYED or FAILED.
type DeployStatus string

// Deploy statuses.
const (
	DeployInitialized DeployStatus = "INITIALIZED"
	DeployDeployed    DeployStatus = "DEPLOYED"
	DeployFailed      DeployStatus = "FAILED"
)

// Reasons a deploy cannot be rolled back to.
const (
	ReasonNotDeployed      = "NOT_DEPLOYED"      // still INITIALIZED
	ReasonFailed           = "FAILED"            // the deploy failed
	ReasonExpired          = "EXPIRED"           // older than the retention window and not the latest
	ReasonArtifactsMissing = "ARTIFACTS_MISSING" // its artifacts were removed
)

// Deploy is one push of code to a Deployment: a row of the Deploy History.
// Once DEPLOYED or FAILED it is immutable except for its description.
//
// A DEPLOYED deploy records the Deployment's whole code state after it
// (image, runtime version, DAG bundle, DAG-deploy setting), so rolling back to
// it restores a complete state.
type Deploy struct {
	ID           string       `json:"id"`
	DeploymentID string       `json:"deploymentId"`
	Sequence     int64        `json:"sequence"`
	Type         DeployType   `json:"type"`
	Status       DeployStatus `json:"status"`
	Description  string       `json:"description"`
	CreatedAt    time.Time    `json:"createdAt"`
	CreatedBy    Actor        `json:"createdBy"`
	// FinalizedAt is when the deploy became DEPLOYED or FAILED.
	FinalizedAt   *time.Time `json:"finalizedAt,omitempty"`
	FailureReason string     `json:"failureReason,omitempty"`
	// LeaseExpiresAt is, while the deploy is INITIALIZED, when its upload
	// lease lapses unless the uploading client renews it. A deploy whose
	// lease lapsed is failed as soon as another deploy or a rollback wants
	// its Deployment, and when the server starts.
	LeaseExpiresAt *time.Time `json:"leaseExpiresAt,omitempty"`

	ImageRepository string `json:"imageRepository"`
	ImageTag        string `json:"imageTag"`
	// ImageDigest is the digest of dagdeck's packaged image manifest (an
	// artifact), or "" for an external image reference (--image-name).
	ImageDigest string `json:"imageDigest"`
	// ImageRegistryDigest is, for an external image, the digest its
	// reference pointed to in its OCI registry when it was deployed
	// (sha256:…), so ImageRepository@ImageRegistryDigest names exactly the
	// image that ran. "" for a packaged image, and for external images
	// recorded before digests were pinned.
	ImageRegistryDigest string `json:"imageRegistryDigest"`
	RuntimeVersion      string `json:"runtimeVersion"`
	DagBundleVersion    string `json:"dagBundleVersion"`
	// DagBundleDigest is the digest of the DAG bundle manifest; "" when DAG
	// deploys are disabled (the DAGs are inside the image).
	DagBundleDigest    string `json:"dagBundleDigest"`
	IsDagDeployEnabled bool   `json:"isDagDeployEnabled"`
	RollbackFromID     string `json:"rollbackFromId"`
	Git                *Git   `json:"git"`

	// BundleCommit is the id (40 hex digits) of the deploy's commit in the
	// Deployment's git repository; set when the deploy becomes DEPLOYED and
	// never changed. "" for other deploys.
	BundleCommit string `json:"bundleCommit"`
	// BundleCommitMessage is that commit's message, kept as it was made
	// (the description may be edited later). Not part of the API.
	BundleCommitMessage string `json:"-"`

	// ArtifactsPruned is set when the garbage collector removed this deploy's
	// artifacts; the record itself stays forever.
	ArtifactsPruned bool `json:"artifactsPruned"`

	// Pin and Quarantine are the deploy's marks, if any (see DeployMark).
	Pin        *DeployMark `json:"pin,omitempty"`
	Quarantine *DeployMark `json:"quarantine,omitempty"`

	// Rollback is computed when the deploy is read: whether it can be rolled
	// back to now, and if not, why.
	Rollback RollbackEligibility `json:"rollback"`

	// DescriptionEdits are the changes of the description, oldest first,
	// from the audit log; filled in when one deploy is read (not in lists).
	DescriptionEdits []DescriptionEdit `json:"descriptionEdits,omitempty"`
	// Activation is, in the answer to a deploy's finalize or a rollback,
	// what the runtime did with it (nil without a runtime).
	Activation *Activation `json:"activation,omitempty"`

	// DescriptionEdited says, in lists, that the description was changed
	// after the deploy was made (the edits are in the audit log).
	DescriptionEdited bool `json:"descriptionEdited,omitempty"`
}

// DescriptionEdit is one change of a deploy's description: who made it,
// when, and the text before and after. Only the deploy's author or an
// admin may edit a description.
type DescriptionEdit struct {
	At     time.Time `json:"at"`
	By     Actor     `json:"by"`
	Before string    `json:"before"`
	After  string    `json:"after"`
}

// Git describes the checkout a deploy was made from.
type Git struct {
	CommitSHA string `json:"commitSha"`
	Branch    string `json:"branch"`
	RemoteURL string `json:"remoteUrl"`
}

// RollbackEligibility says whether a deploy can be rolled back to.
type RollbackEligibility struct {
	Eligible bool   `json:"eligible"`
	Reason   string `json:"reason,omitempty"`
}

// DefaultRetention is how long deploy artifacts are kept.
const DefaultRetention = 90 * 24 * time.Hour

// EligibilityOf decides whether d can be rolled back to at now, given the
// retention window and the id of the Deployment's most recent DEPLOYED
// deploy. A DEPLOYED deploy that is not quarantined is eligible while its
// artifacts are retained: when it is at most window old, when it is pinned,
// or when it is the most recent DEPLOYED deploy (so if the last deploy is
// older than the window, only it is eligible).
func EligibilityOf(d *Deploy, latestDeployedID string, now time.Time, window time.Duration) RollbackEligibility {
	switch {
	case d.Status == DeployInitialized:
		return RollbackEligibility{Reason: ReasonNotDeployed}
	case d.Status == DeployFailed:
		return RollbackEligibility{Reason: ReasonFailed}
	case d.ArtifactsPruned:
		return RollbackEligibility{Reason: ReasonArtifactsMissing}
	case d.Quarantine != nil:
		return RollbackEligibility{Reason: ReasonQuarantined}
	case d.ID == latestDeployedID, d.Pin.Active(now):
		return RollbackEligibility{Eligible: true}
	case now.Sub(d.CreatedAt) > window:
		return RollbackEligibility{Reason: ReasonExpired}
	}
	return RollbackEligibility{Eligible: true}
}

// SameCode reports whether d and o record the same code: image, DAG bundle,
// runtime version and DAG-deploy setting, everything a rollback restores.
// Packaged images compare by content (their manifest digest), so the same
// files deployed twice under two image tags are the same code; external
// images compare by reference.
func (d *Deploy) SameCode(o *Deploy) bool {
	sameImage := d.ImageDigest == o.ImageDigest && d.ImageRegistryDigest == o.ImageRegistryDigest &&
		(d.ImageDigest != "" || d.ImageRepository == o.ImageRepository && d.ImageTag == o.ImageTag)
	return sameImage && d.DagBundleDigest == o.DagBundleDigest && d.RuntimeVersion == o.RuntimeVersion &&
		d.IsDagDeployEnabled == o.IsDagDeployEnabled
}

// ImageTagFor returns the image tag of a deploy created at t:
// deploy-2026-11-26T14-05-09. The server adds a suffix (-2, -3, …) when the
// tag is already taken within the Deployment.
func ImageTagFor(t time.Time) string {
	return "deploy-" + t.UTC().Format("2006-01-02T15-04-05")
}

// BundleVersionFor returns the DAG bundle version of a bundle stored at t:
// UTC with 7 fractional digits, e.g. 2026-11-26T14:05:09.1234567Z.
func BundleVersionFor(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// DeployCreate is a request to start a deploy. The manifests are uploaded
// with it; their files are uploaded afterwards, then the deploy is finalized.
type DeployCreate struct {
	Type        DeployType `json:"type"`
	Description string     `json:"description"`
	Git         *Git       `json:"git,omitempty"`
	// RuntimeVersion is read by the CLI from the Dockerfile's FROM tag.
	// Required unless Type is DAG_ONLY.
	RuntimeVersion string `json:"runtimeVersion,omitempty"`
	// ImageName is an external image reference (repository:tag or
	// repository@sha256:…) recorded instead of a packaged image.
	ImageName string `json:"imageName,omitempty"`
	// ImageRegistryDigest is the digest ImageName resolved to in its
	// registry; required with ImageName. The CLI resolves it with the
	// user's registry credentials.
	ImageRegistryDigest string `json:"imageRegistryDigest,omitempty"`
	// ImageManifest is required for IMAGE_AND_DAG and IMAGE_ONLY without ImageName.
	ImageManifest *Manifest `json:"imageManifest,omitempty"`
	// DagManifest is required for DAG_ONLY, and for IMAGE_AND_DAG when DAG
	// deploys are enabled.
	DagManifest *Manifest `json:"dagManifest,omitempty"`
}

// DeployCreated is the answer to a DeployCreate: the INITIALIZED deploy and
// the file digests the server still needs.
type DeployCreated struct {
	Deploy  *Deploy  `json:"deploy"`
	Missing []string `json:"missing"`
}

// DeployFilter selects deploys of one Deployment, newest first.
type DeployFilter struct {
	DeploymentID string
	// BeforeSequence, when positive, returns only deploys with a lower sequence.
	BeforeSequence int64
	Status         DeployStatus
	// CreatedBefore, when set, returns only deploys created before it.
	CreatedBefore time.Time
	Limit         int
}

// PruneCandidate is what the garbage collector needs of a deploy whose
// artifacts may be gone: its id, sequence and manifest digests.
type PruneCandidate struct {
	ID              string
	Sequence        int64
	ImageDigest     string
	DagBundleDigest string
}

// DeployPage is one page of the Deploy History.
type DeployPage struct {
	Deploys []*Deploy `json:"deploys"`
	// NextCursor fetches the next (older) page; "" on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// DeployUpdate changes a deploy after the fact: its description, or marks an
// INITIALIZED deploy FAILED (cancel).
type DeployUpdate struct {
	Description *string       `json:"description,omitempty"`
	Status      *DeployStatus `json:"status,omitempty"`
}

// PinnedImage returns the reference that names exactly the deploy's
// external image, repository@sha256:…, or "" when no registry digest was
// recorded (a packaged image, or an external one recorded before pinning).
func (d *Deploy) PinnedImage() string {
	if d.ImageRegistryDigest == "" {
		return ""
	}
	return d.ImageRepository + "@" + d.ImageRegistryDigest
}

// String returns a short human name of the deploy for messages.
func (d *Deploy) String() string {
	return fmt.Sprintf("deploy #%d (%s)", d.Sequence, d.ID)
}

// Page sizes of the Deploy History.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)
