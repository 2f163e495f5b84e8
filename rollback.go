package dagdeck

// RollbackRequest asks to roll a Deployment back to one of its deploys.
type RollbackRequest struct {
	Description      string `json:"description"`
	DryRun           bool   `json:"dryRun"`
	ConfirmDowngrade bool   `json:"confirmDowngrade"`
	// ExpectedCurrentDeployID, when set, is the current deploy of the plan
	// the user confirmed: if another deploy became current since, the
	// rollback is refused (ECONFLICT) instead of acting on a stale plan.
	ExpectedCurrentDeployID string `json:"expectedCurrentDeployId,omitempty"`
	// PlanID, when set, is the PlanID of the plan the user confirmed (from
	// a dry run): if the rollback's plan now says anything else — another
	// deploy became current, the target is no longer eligible, other tasks
	// run — the rollback is refused (ECONFLICT), saying what changed, and
	// nothing is committed. It cannot go with Replan.
	PlanID string `json:"planId,omitempty"`
	// Replan, with ExpectedCurrentDeployID, lets the rollback proceed when
	// another deploy became current since: it is planned again and goes
	// ahead if the new plan needs no confirmation that the confirmed one
	// did not (a runtime downgrade); otherwise it is refused as stale.
	Replan bool `json:"replan,omitempty"`
	// WaitSeconds is how long the rollback may wait for its turn while a
	// deploy of the Deployment is in progress (0 to MaxRollbackWaitSeconds).
	// While it waits, deploys that arrive after it are refused, so it goes
	// ahead of them. 0 refuses at once (ECONFLICT).
	WaitSeconds int `json:"waitSeconds,omitempty"`
}

// MaxRollbackWaitSeconds bounds RollbackRequest.WaitSeconds. A client that
// waits longer (the CLI waits up to 2 minutes) asks again.
const MaxRollbackWaitSeconds = 60

// RollbackResult is the answer to a RollbackRequest: the plan, and unless it
// was a dry run, the new deploy.
type RollbackResult struct {
	Plan   *RollbackPlan `json:"plan"`
	Deploy *Deploy       `json:"deploy,omitempty"`
}

// RollbackPlan says what a rollback will change and what it will not.
type RollbackPlan struct {
	// PlanID identifies what the plan says (RollbackPlan.Digest). A
	// RollbackRequest that carries it rolls back only if its plan is still
	// this one.
	PlanID         string  `json:"planId"`
	DeploymentID   string  `json:"deploymentId"`
	DeploymentName string  `json:"deploymentName"`
	CurrentDeploy  *Deploy `json:"currentDeploy"`
	TargetDeploy   *Deploy `json:"targetDeploy"`

	Image Change `json:"image"`
	// PinnedImage is the external image's repository@sha256:… before and
	// after ("" for a packaged image). It changes even when Image does not,
	// when the same tag pointed to another image at the two deploys.
	PinnedImage Change       `json:"pinnedImage"`
	Runtime     RuntimeDelta `json:"runtime"`
	DagDeploy   BoolChange   `json:"dagDeploy"`
	DagBundle   BundleDelta  `json:"dagBundle"`
	// ImageFiles lists the image's files (outside dags/) that differ.
	ImageFiles    BundleDelta   `json:"imageFiles"`
	NotRolledBack NotRolledBack `json:"notRolledBack"`
	// RunningTasks are the task instances running now and what will happen to them.
	RunningTasks []PlannedTask `json:"runningTasks"`
	// Erased lists, for a downgrade, the metadata that will be erased.
	Erased []ErasedFeature `json:"erased"`
	// RequiresConfirmation is true for a downgrade: the rollback needs ConfirmDowngrade.
	RequiresConfirmation bool `json:"requiresConfirmation"`
}

// ChangesNothing reports whether rolling back would restore exactly what
// runs now: the target has the current deploy's code (Deploy.SameCode) and
// the Deployment's DAG-deploy setting was not switched since.
func (p *RollbackPlan) ChangesNothing() bool {
	return p.CurrentDeploy.SameCode(p.TargetDeploy) && !p.DagDeploy.Changed
}

// Change is a from → to pair of strings.
type Change struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Changed bool   `json:"changed"`
}

// BoolChange is a from → to pair of booleans.
type BoolChange struct {
	From    bool `json:"from"`
	To      bool `json:"to"`
	Changed bool `json:"changed"`
}

// RuntimeDelta is a runtime version change and its kind.
type RuntimeDelta struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	Change RuntimeChange `json:"change"`
}

// BundleDelta lists the files that differ between the current and the
// target deploy: of the DAG bundle (dags/, also when DAGs ship in the image)
// or of the rest of the image.
type BundleDelta struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// NotRolledBack lists what a rollback leaves as it is.
type NotRolledBack struct {
	// EnvKeysChanged are environment variable keys set, changed or deleted since the target deploy.
	EnvKeysChanged []string `json:"envKeysChanged"`
	// Settings names the settings kept, with their current values.
	Settings map[string]string `json:"settings"`
}

// PlannedTask is a running task instance and its fate under the rollback.
type PlannedTask struct {
	DagID     string `json:"dagId"`
	RunID     string `json:"runId"`
	TaskID    string `json:"taskId"`
	TryNumber int    `json:"tryNumber"`
	DeployID  string `json:"deployId"`
	// Outcome is "finishes on its current code" or "fails now; retried after the rollback" / "fails now; no retries left".
	Outcome string `json:"outcome"`
}

// ErasedFeature is a feature a downgrade removes and how many rows it erases.
type ErasedFeature struct {
	Feature Feature `json:"feature"`
	Rows    int     `json:"rows"`
}
