package dagdeck

import (
	"net/url"
	"regexp"
	"slices"
	"time"
)

// GitPrefix is the path under which Deployments are served as read-only
// git repositories: <GitPrefix><name>.git.
const GitPrefix = "/git/"

// GitURL is the clone URL of the named Deployment on the server reached at
// baseURL (see RequestInfo.BaseURL).
func GitURL(baseURL, deployment string) string {
	return baseURL + GitPrefix + url.PathEscape(deployment) + ".git"
}

// Deployment is one pipeline environment: its settings and the code it
// currently runs (the code state of its current deploy).
type Deployment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Settings that a rollback does not touch.
	Executor          string   `json:"executor"`
	SchedulerSize     string   `json:"schedulerSize"`
	WorkerQueues      []string `json:"workerQueues"`
	WorkerConcurrency int      `json:"workerConcurrency"`
	Env               []EnvVar `json:"env"`
	// IsDagDeployEnabled is restored by a rollback.
	IsDagDeployEnabled bool `json:"isDagDeployEnabled"`

	// Code state, from the current deploy (empty before the first deploy).
	CurrentDeployID  string `json:"currentDeployId,omitempty"`
	RuntimeVersion   string `json:"runtimeVersion,omitempty"`
	ImageTag         string `json:"imageTag,omitempty"`
	DagBundleVersion string `json:"dagBundleVersion,omitempty"`

	// AutoRollback is the Deployment's automatic rollback policy.
	AutoRollback AutoRollbackPolicy `json:"autoRollback"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`

	// GitURL is where the Deployment's code is served as a read-only git
	// repository (<server>/git/<name>.git); set by the server, not stored.
	GitURL string `json:"gitUrl,omitempty"`
	// Activation says whether the runtime runs the current deploy yet
	// (nil with no runtime, or before the first deploy).
	Activation *Activation `json:"activation,omitempty"`
}

// EnvVar is an environment variable that the Deployment's tasks see. Secret
// values are never returned by the API or printed by the CLI.
type EnvVar struct {
	Key       string    `json:"key"`
	Value     string    `json:"value,omitempty"`
	IsSecret  bool      `json:"isSecret"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// WithoutSecrets returns a copy of d whose secret env values are empty: what
// users see through the API, the CLI and the web UI. Only runtimes read the
// values.
func (d *Deployment) WithoutSecrets() *Deployment {
	c := *d
	c.Env = make([]EnvVar, len(d.Env))
	for i, v := range d.Env {
		if v.IsSecret {
			v.Value = ""
		}
		c.Env[i] = v
	}
	return &c
}

// MinMaskedSecret is the shortest secret value masked in task logs and XCom
// values (as Airflow's min_length_masked_secret): masking every "1" or
// "yes" would garble output and protect nothing.
const MinMaskedSecret = 5

// SecretValues returns the Deployment's secret env values that are masked
// in task output (MinMaskedSecret characters or more), longest first, so
// a secret containing another is masked whole. Nil for a nil Deployment.
func (d *Deployment) SecretValues() []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, v := range d.Env {
		if v.IsSecret && len(v.Value) >= MinMaskedSecret && !slices.Contains(out, v.Value) {
			out = append(out, v.Value)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// Executors.
const ExecutorLocal = "local"

// DeploymentUpdate is a partial update of a Deployment's settings. Nil fields
// are left as they are. Env lists changes: each EnvUpdate sets one key (or
// deletes it, with a nil Value); keys not listed keep their values.
type DeploymentUpdate struct {
	Name               *string     `json:"name,omitempty"`
	Description        *string     `json:"description,omitempty"`
	Executor           *string     `json:"executor,omitempty"`
	SchedulerSize      *string     `json:"schedulerSize,omitempty"`
	WorkerQueues       *[]string   `json:"workerQueues,omitempty"`
	WorkerConcurrency  *int        `json:"workerConcurrency,omitempty"`
	IsDagDeployEnabled *bool       `json:"isDagDeployEnabled,omitempty"`
	Env                []EnvUpdate `json:"env,omitempty"`
	// AutoRollback changes the automatic rollback policy.
	AutoRollback *AutoRollbackUpdate `json:"autoRollback,omitempty"`
}

// EnvUpdate sets (Value non-nil) or deletes (Value nil) one variable.
type EnvUpdate struct {
	Key      string  `json:"key"`
	Value    *string `json:"value"`
	IsSecret bool    `json:"isSecret,omitempty"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)
)

// Limits on user-provided text.
const (
	MaxDescriptionLen = 500
	MaxEnvValueLen    = 64 << 10
)

// ValidateDeploymentName returns EINVALID unless name is 1–63 lowercase
// letters, digits and dashes, starting and ending with a letter or digit.
func ValidateDeploymentName(name string) error {
	if !nameRE.MatchString(name) {
		return Errorf(EINVALID, "invalid Deployment name %q: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// ValidateEnvKey returns EINVALID unless key is a valid variable name.
func ValidateEnvKey(key string) error {
	if !envKeyRE.MatchString(key) {
		return Errorf(EINVALID, "invalid environment variable name %q", key)
	}
	return nil
}

// ValidateDescription returns EINVALID if d is longer than
// MaxDescriptionLen characters or has control characters other than
// newlines and tabs.
func ValidateDescription(d string) error {
	if n := len([]rune(d)); n > MaxDescriptionLen {
		return Errorf(EINVALID, "description is %d characters; the limit is %d", n, MaxDescriptionLen)
	}
	return ValidateText("the description", d, true)
}

// DeploymentCreate is a request to create a Deployment.
type DeploymentCreate struct {
	Name               string `json:"name"`
	Description        string `json:"description"`
	Executor           string `json:"executor"`
	IsDagDeployEnabled *bool  `json:"isDagDeployEnabled"`
}
