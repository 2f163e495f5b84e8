package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// zone is not UTC, so that the suite checks stores return times in UTC.
var zone = time.FixedZone("UTC+2", 2*60*60)

// t0 has nanoseconds, so that the suite checks microsecond precision.
var t0 = time.Date(2026, 11, 26, 14, 5, 9, 123456789, zone)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// newDeployment returns a Deployment with every field set.
func newDeployment(name string) *dagdeck.Deployment {
	return &dagdeck.Deployment{
		ID:                dagdeck.NewID(),
		Name:              name,
		Description:       "the " + name + " pipelines",
		Executor:          dagdeck.ExecutorLocal,
		SchedulerSize:     "small",
		WorkerQueues:      []string{"default", "heavy"},
		WorkerConcurrency: 16,
		Env: []dagdeck.EnvVar{
			{Key: "WAREHOUSE", Value: "snowflake://wh", UpdatedAt: at(1)},
			{Key: "API_KEY", Value: "s3cr3t", IsSecret: true, UpdatedAt: at(2)},
		},
		IsDagDeployEnabled: true,
		CurrentDeployID:    dagdeck.NewID(),
		RuntimeVersion:     "1.1.0",
		ImageTag:           "deploy-2026-11-26T14-05-09",
		DagBundleVersion:   "2026-11-26T14:05:09.1234567Z",
		CreatedAt:          at(0),
		UpdatedAt:          at(3),
	}
}

// createDeployment inserts a new Deployment named name. It has no current deploy.
func createDeployment(t *testing.T, s dagdeck.Store, name string) *dagdeck.Deployment {
	t.Helper()
	d := newDeployment(name)
	d.CurrentDeployID = ""
	update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDeployment(t.Context(), d) })
	return d
}

// newDeploy returns a DEPLOYED deploy of dep created at minute n, with every field set.
func newDeploy(dep *dagdeck.Deployment, n int) *dagdeck.Deploy {
	return &dagdeck.Deploy{
		ID:              dagdeck.NewID(),
		DeploymentID:    dep.ID,
		Type:            dagdeck.DeployImageAndDAG,
		Status:          dagdeck.DeployDeployed,
		Description:     fmt.Sprintf("deploy at minute %d", n),
		CreatedAt:       at(n),
		CreatedBy:       dagdeck.Actor{ID: "tok1", Kind: dagdeck.ActorToken, Name: "ci", Role: dagdeck.RoleDeployer},
		FinalizedAt:     ptr(at(n).Add(1500 * time.Millisecond)),
		FailureReason:   "",
		ImageRepository: "dagdeck/" + dep.Name,
		ImageTag:        dagdeck.ImageTagFor(at(n)),
		ImageDigest:     dagdeck.DigestOf([]byte(fmt.Sprint("image", n))),
		// The store keeps fields, not rules: a registry digest next to a
		// packaged image's digest checks both columns at once.
		ImageRegistryDigest: dagdeck.DigestOf([]byte(fmt.Sprint("registry", n))),
		RuntimeVersion:      "2.0.0",
		DagBundleVersion:    dagdeck.BundleVersionFor(at(n)),
		DagBundleDigest:     dagdeck.DigestOf([]byte(fmt.Sprint("dags", n))),
		IsDagDeployEnabled:  true,
		Git:                 &dagdeck.Git{CommitSHA: "0123456789abcdef0123456789abcdef01234567", Branch: "main", RemoteURL: "git@example.com:team/pipes.git"},
		BundleCommit:        commitOf(n),
		BundleCommitMessage: fmt.Sprintf("deploy at minute %d\n\nDagdeck-Sequence: %d\n", n, n),
	}
}

// commitOf is a made-up git commit id (40 hex digits) for deploy n.
func commitOf(n int) string {
	return strings.TrimPrefix(dagdeck.DigestOf([]byte(fmt.Sprint("commit", n))), "sha256:")[:40]
}

// createDeploy inserts d and returns it with its sequence set.
func createDeploy(t *testing.T, s dagdeck.Store, d *dagdeck.Deploy) *dagdeck.Deploy {
	t.Helper()
	update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDeploy(t.Context(), d) })
	return d
}

// createDeploys inserts n deploys of dep created at minutes 1..n and returns them, oldest first.
func createDeploys(t *testing.T, s dagdeck.Store, dep *dagdeck.Deployment, n int) []*dagdeck.Deploy {
	t.Helper()
	out := make([]*dagdeck.Deploy, n)
	for i := range out {
		out[i] = createDeploy(t, s, newDeploy(dep, i+1))
	}
	return out
}

// newRun returns a DAG run of dep with every field set.
func newRun(dep *dagdeck.Deployment, dagID, runID string, n int) *dagdeck.DagRun {
	return &dagdeck.DagRun{
		ID:           dagdeck.NewID(),
		DeploymentID: dep.ID,
		DagID:        dagID,
		RunID:        runID,
		LogicalDate:  at(n),
		RunType:      "scheduled",
		State:        dagdeck.RunRunning,
		CreatedAt:    at(n).Add(time.Second),
		StartedAt:    ptr(at(n).Add(2 * time.Second)),
		Conf:         `{"rows":10}`,
	}
}

// createRun inserts a DAG run of dep.
func createRun(t *testing.T, s dagdeck.Store, dep *dagdeck.Deployment, dagID, runID string, n int) *dagdeck.DagRun {
	t.Helper()
	r := newRun(dep, dagID, runID, n)
	update(t, s, func(tx dagdeck.Tx) error { return tx.CreateDagRun(t.Context(), r) })
	return r
}

// newTask returns a running first try of taskID in run r, with every field set.
func newTask(r *dagdeck.DagRun, taskID, deployID string) *dagdeck.TaskInstance {
	return &dagdeck.TaskInstance{
		ID:             dagdeck.NewID(),
		DeploymentID:   r.DeploymentID,
		DagRunID:       r.ID,
		DagID:          r.DagID,
		RunID:          r.RunID,
		TaskID:         taskID,
		TryNumber:      1,
		MaxTries:       3,
		State:          dagdeck.TaskRunning,
		DeployID:       deployID,
		RuntimeVersion: "1.1.0",
		StartedAt:      ptr(at(30)),
		RunnerID:       "runner-1",
		Note:           "",
	}
}

// createTask inserts ti.
func createTask(t *testing.T, s dagdeck.Store, ti *dagdeck.TaskInstance) *dagdeck.TaskInstance {
	t.Helper()
	update(t, s, func(tx dagdeck.Tx) error { return tx.CreateTaskInstance(t.Context(), ti) })
	return ti
}

// ids returns the ids of deploys, in order.
func ids(deploys []*dagdeck.Deploy) []string {
	out := make([]string, len(deploys))
	for i, d := range deploys {
		out[i] = d.ID
	}
	return out
}

// sequences returns the sequences of deploys, in order.
func sequences(deploys []*dagdeck.Deploy) []int64 {
	out := make([]int64, len(deploys))
	for i, d := range deploys {
		out[i] = d.Sequence
	}
	return out
}
