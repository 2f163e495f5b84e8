package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// rollback rolls a Deployment back to one of its deploys: a NEW deploy, at
// the top of the history, whose code state (image, DAG bundle, runtime
// version, DAG-deploy setting) is copied from the target. Settings and env
// vars are left alone. With req.DryRun it only returns the plan, which
// needs the viewer role; a real rollback needs the deployer role and a
// description. Either way the plan is made once, and a real rollback makes
// it in the transaction that commits it (tryRollback).
//
// With req.WaitSeconds, a rollback that meets a deploy in progress waits
// for its turn that long, refusing deploys that arrive meanwhile, and is
// planned once the Deployment is free.
//
// EINVALID for a missing or long description, a bad wait, a malformed
// req.PlanID or one with req.Replan, or a deploy of another Deployment;
// ENOTFOUND for unknown ids; EUNPROCESSABLE when the target is not eligible
// (FAILED, EXPIRED, ARTIFACTS_MISSING…), lowers the runtime without
// req.ConfirmDowngrade, or would change nothing (the same code, runtime
// and DAG-deploy setting as the current deploy, dry runs included);
// ECONFLICT while a deploy is in progress (after the wait), when the plan
// differs from the one req.PlanID names (dry runs included; then an
// ineligible target is a conflict too), or when the Deployment changed
// since the confirmed plan (req.ExpectedCurrentDeployID, unless req.Replan
// allows it).
func (s *Service) rollback(ctx context.Context, deploymentIDOrName, deployID string, req dagdeck.RollbackRequest) (*dagdeck.RollbackResult, error) {
	actor, err := authorizeRollback(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		plan, err := s.viewPlan(ctx, deploymentIDOrName, deployID, req)
		return &dagdeck.RollbackResult{Plan: plan}, err
	}
	deadline := time.Now().Add(time.Duration(req.WaitSeconds) * time.Second)
	held := ""
	defer func() {
		if held != "" {
			s.releaseTurn(ctx, held)
		}
	}()
	for {
		a, err := s.tryRollback(ctx, deploymentIDOrName, deployID, req, actor)
		if err == nil {
			return s.rolledBack(ctx, a.plan, a.deploy), nil
		}
		if !isBusy(err) {
			return nil, err
		}
		if !time.Now().Before(deadline) {
			held = "" // keep the turn a little: its client may ask again (turnGrace)
			return nil, err
		}
		if held == "" {
			if herr := s.holdTurn(ctx, a.deploymentID, s.Now().Add(time.Until(deadline)+turnGrace)); herr != nil {
				return nil, err
			}
			held = a.deploymentID
		}
		if werr := s.waitFree(ctx, a.deploymentID, deadline); werr != nil {
			return nil, err
		}
	}
}

// authorizeRollback checks the caller's role and the request's fields.
func authorizeRollback(ctx context.Context, req dagdeck.RollbackRequest) (*dagdeck.Actor, error) {
	want := dagdeck.RoleDeployer
	if req.DryRun {
		want = dagdeck.RoleViewer
	}
	actor, err := dagdeck.Authorize(ctx, want)
	if err != nil {
		return nil, err
	}
	if !req.DryRun && strings.TrimSpace(req.Description) == "" {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "a rollback needs a description: say why you roll back")
	}
	if req.WaitSeconds < 0 || req.WaitSeconds > dagdeck.MaxRollbackWaitSeconds {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "waitSeconds %d: want 0 to %d", req.WaitSeconds, dagdeck.MaxRollbackWaitSeconds)
	}
	if req.PlanID != "" && req.Replan {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "planId confirms one exact plan; it cannot go with replan")
	}
	return actor, dagdeck.ValidateDescription(req.Description)
}

// viewPlan plans a rollback on one snapshot of the store and checks the
// plan against the dry run's request (admit).
func (s *Service) viewPlan(ctx context.Context, deploymentIDOrName, deployID string, req dagdeck.RollbackRequest) (*dagdeck.RollbackPlan, error) {
	var plan *dagdeck.RollbackPlan
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		plan, _, err = s.admittedPlan(ctx, tx, dep, deployID, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// rollbackAttempt is what one attempt at a rollback got to.
type rollbackAttempt struct {
	deploymentID string // once the Deployment was found: where to wait
	plan         *dagdeck.RollbackPlan
	deploy       *dagdeck.Deploy // the rollback deploy, once committed
}

// tryRollback plans the rollback once, in the transaction that commits it
// and on the Deployment locked there, checks the plan against the request
// (admit) and commits it. A rollback that lowers the runtime is decided
// there but committed by commitDowngrade, once the running tasks are
// stopped. A busy error (isBusy) means trying again later may succeed.
func (s *Service) tryRollback(ctx context.Context, deploymentIDOrName, deployID string, req dagdeck.RollbackRequest, actor *dagdeck.Actor) (*rollbackAttempt, error) {
	a := &rollbackAttempt{}
	if _, err := s.failLapsedUpload(ctx, deploymentIDOrName); err != nil {
		return a, err
	}
	var j *judge
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockForRollback(ctx, tx, deploymentIDOrName)
		if dep != nil {
			a.deploymentID = dep.ID
		}
		if err != nil {
			return err
		}
		if a.plan, j, err = s.admittedPlan(ctx, tx, dep, deployID, req); err != nil {
			return err
		}
		// The rollback runs the target's code: the runtime lays it out
		// (when its folder is gone) while this commits.
		s.prepareRuntime(ctx, a.plan.TargetDeploy)
		if s.stopsTasks(a.plan) {
			return nil // committed after the stop, which cannot wait inside this transaction
		}
		a.deploy, err = s.commitRollback(ctx, tx, dep, a.plan, j, req, actor)
		return err
	})
	if err == nil && a.deploy == nil {
		a.deploy, err = s.commitDowngrade(ctx, a.plan, j, req, actor)
	}
	return a, err
}

// stopsTasks reports whether the rollback must stop the running tasks
// before it commits: it lowers the runtime, and a runtime runs them.
func (s *Service) stopsTasks(plan *dagdeck.RollbackPlan) bool {
	return plan.Runtime.Change == dagdeck.RuntimeDowngrade && s.runtime != nil
}

// rolledBack announces a committed rollback and answers with it.
func (s *Service) rolledBack(ctx context.Context, plan *dagdeck.RollbackPlan, d *dagdeck.Deploy) *dagdeck.RollbackResult {
	s.logger.Info("rolled back", "deployment", d.DeploymentID, "deploy", d.ID, "from", d.RollbackFromID, "runtime", d.RuntimeVersion)
	s.activated(ctx, d)
	return &dagdeck.RollbackResult{Plan: plan, Deploy: d}
}

// commitDowngrade commits a rollback that lowers the runtime, which
// tryRollback admitted. The running tasks are stopped first, so that none
// runs on the newer runtime once its features' metadata is erased; the
// runtime records their end itself, so the stop cannot happen inside a
// transaction. The plan is not made again: the tasks it listed were just
// stopped as it said. The rollback commits if the Deployment did not move
// meanwhile (lockUnmoved); if it is refused or fails after the stop, the
// current deploy goes on (reactivateCurrent).
func (s *Service) commitDowngrade(ctx context.Context, plan *dagdeck.RollbackPlan, j *judge, req dagdeck.RollbackRequest, actor *dagdeck.Actor) (*dagdeck.Deploy, error) {
	if err := s.runtime.PrepareDowngrade(ctx, plan.DeploymentID); err != nil {
		s.reactivateCurrent(ctx, plan.DeploymentID)
		return nil, fmt.Errorf("stop running tasks: %w", err)
	}
	var d *dagdeck.Deploy
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockUnmoved(ctx, tx, plan)
		if err != nil {
			return err
		}
		// While the tasks stopped, the target may have been quarantined
		// or unpinned out of retention: judged again, under the lock.
		if j, err = s.requireEligible(ctx, tx, plan.TargetDeploy); err != nil {
			return err
		}
		d, err = s.commitRollback(ctx, tx, dep, plan, j, req, actor)
		return err
	})
	if err != nil {
		s.reactivateCurrent(ctx, plan.DeploymentID)
	}
	return d, err
}

// lockForRollback takes, in tx, the shared GC lock and the Deployment's
// lock, and refuses (busy) while a deploy of it is in flight. With that
// refusal it returns the Deployment too, for the caller to wait on.
func lockForRollback(ctx context.Context, tx dagdeck.Tx, deploymentIDOrName string) (*dagdeck.Deployment, error) {
	if err := tx.LockGC(ctx, false); err != nil {
		return nil, err
	}
	dep, err := lockDeployment(ctx, tx, deploymentIDOrName)
	if err != nil {
		return nil, err
	}
	return dep, refuseInFlight(ctx, tx, dep)
}

// lockUnmoved locks the plan's Deployment (lockForRollback) and checks
// that it is where the plan left it: no deploy in flight and the same
// current deploy.
func lockUnmoved(ctx context.Context, tx dagdeck.Tx, plan *dagdeck.RollbackPlan) (*dagdeck.Deployment, error) {
	dep, err := lockForRollback(ctx, tx, plan.DeploymentID)
	if err != nil {
		return nil, err
	}
	if dep.CurrentDeployID != plan.CurrentDeploy.ID {
		return nil, busy(dagdeck.Errorf(dagdeck.ECONFLICT, "Deployment %s changed while the rollback was prepared (another deploy became current); review the plan again", dep.Name))
	}
	return dep, nil
}

// commitRollback records the rollback deploy of an admitted plan and makes
// it current, in tx, which holds the Deployment's lock and the shared GC
// lock. j, the judge of the plan, gives the new deploy its eligibility.
func (s *Service) commitRollback(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, plan *dagdeck.RollbackPlan, j *judge, req dagdeck.RollbackRequest, actor *dagdeck.Actor) (*dagdeck.Deploy, error) {
	if err := s.requireArtifacts(ctx, plan.TargetDeploy); err != nil {
		return nil, err
	}
	tree, err := s.deployTreeIn(ctx, tx, plan.TargetDeploy)
	if err != nil {
		return nil, fmt.Errorf("git tree of the rollback target: %w", err)
	}
	if plan.Runtime.Change == dagdeck.RuntimeDowngrade {
		for _, f := range dagdeck.FeaturesLost(plan.Runtime.From, plan.Runtime.To) {
			if _, err := tx.EraseFeatureRows(ctx, dep.ID, f); err != nil {
				return nil, err
			}
		}
	}
	d := rollbackDeploy(plan.TargetDeploy, req.Description, actor, s.Now())
	if err := tx.CreateDeploy(ctx, d); err != nil {
		return nil, err
	}
	if err := setCommit(ctx, tx, dep, d, tree.Root); err != nil {
		return nil, err
	}
	if err := tx.UpdateDeploy(ctx, d); err != nil {
		return nil, err
	}
	if err := makeCurrent(ctx, tx, dep, d, *d.FinalizedAt); err != nil {
		return nil, err
	}
	j.applyNewest(d)
	return d, s.record(ctx, tx, rollbackChange(dep, d, plan, actor))
}

// requireArtifacts returns EUNPROCESSABLE (ARTIFACTS_MISSING) unless the
// target's manifests are still stored. Under the GC lock, they stay so
// until the rollback deploy that references them is committed.
func (s *Service) requireArtifacts(ctx context.Context, target *dagdeck.Deploy) error {
	if gone, err := s.anyMissing(ctx, target.ImageDigest, target.DagBundleDigest); err != nil {
		return err
	} else if gone {
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "cannot roll back to %s: its artifacts are no longer stored (ARTIFACTS_MISSING)", target)
	}
	return nil
}

// applyNewest sets the marks and eligibility of d, a deploy that has just
// become the Deployment's newest DEPLOYED deploy.
func (j *judge) applyNewest(d *dagdeck.Deploy) {
	j.latest = d
	j.apply(d)
}

// reactivateCurrent tells the runtime to go on with whatever is current
// now, releasing the retries a failed downgrade rollback held back.
func (s *Service) reactivateCurrent(ctx context.Context, deploymentID string) {
	var cur *dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		cur, err = tx.FindDeploy(ctx, dep.CurrentDeployID)
		return err
	})
	if err == nil {
		err = s.runtime.Activate(context.WithoutCancel(ctx), cur)
	}
	if err != nil {
		s.logger.Error("reactivate after failed rollback", "deployment", deploymentID, "err", err)
	}
}

// nothingToRollBack is the refusal of a rollback that would change nothing.
func nothingToRollBack(plan *dagdeck.RollbackPlan) error {
	cur, t := plan.CurrentDeploy, plan.TargetDeploy
	if cur.ID == t.ID {
		return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "deploy #%d is current; nothing to roll back", t.Sequence)
	}
	return dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "deploy #%d has the same code, runtime and DAG-deploy setting as deploy #%d, which is current; nothing to roll back", t.Sequence, cur.Sequence)
}

// rollbackChange records a rollback with its plan's summary, and announces it.
func rollbackChange(dep *dagdeck.Deployment, d *dagdeck.Deploy, plan *dagdeck.RollbackPlan, actor *dagdeck.Actor) change {
	summary := deploySummary(d)
	planSummary := map[string]any{
		"from":         seqLabel(plan.CurrentDeploy.Sequence),
		"to":           seqLabel(plan.TargetDeploy.Sequence),
		"image":        plan.Image,
		"runtime":      plan.Runtime,
		"dagDeploy":    plan.DagDeploy,
		"dagFiles":     map[string]int{"added": len(plan.DagBundle.Added), "removed": len(plan.DagBundle.Removed), "changed": len(plan.DagBundle.Changed)},
		"imageFiles":   map[string]int{"added": len(plan.ImageFiles.Added), "removed": len(plan.ImageFiles.Removed), "changed": len(plan.ImageFiles.Changed)},
		"tasksRunning": len(plan.RunningTasks),
	}
	summary["plan"] = planSummary
	c := deployChange(dagdeck.AuditRollbackDeployed, d, summary)
	ev := deployEvent(dagdeck.EventRollbackDeployed, dep, d, actor)
	ev.data["target"] = plan.TargetDeploy
	ev.data["plan"] = planSummary
	ev.text = fmt.Sprintf(":rewind: %s rolled *%s* back to #%d (now #%d): %s", actor.Name, dep.Name, plan.TargetDeploy.Sequence, d.Sequence, d.Description)
	c.event = ev
	return c
}

// rollbackDeploy is the new deploy restoring target's code state.
func rollbackDeploy(target *dagdeck.Deploy, description string, actor *dagdeck.Actor, now time.Time) *dagdeck.Deploy {
	return &dagdeck.Deploy{
		ID:                  dagdeck.NewID(),
		DeploymentID:        target.DeploymentID,
		Type:                dagdeck.DeployImageAndDAG,
		Status:              dagdeck.DeployDeployed,
		Description:         description,
		CreatedAt:           now,
		CreatedBy:           *actor,
		FinalizedAt:         &now,
		ImageRepository:     target.ImageRepository,
		ImageTag:            target.ImageTag,
		ImageDigest:         target.ImageDigest,
		ImageRegistryDigest: target.ImageRegistryDigest,
		RuntimeVersion:      target.RuntimeVersion,
		DagBundleVersion:    target.DagBundleVersion,
		DagBundleDigest:     target.DagBundleDigest,
		IsDagDeployEnabled:  target.IsDagDeployEnabled,
		RollbackFromID:      target.ID,
		Git:                 target.Git,
	}
}

// planRollback computes what rolling dep back to the deploy deployID names
// changes, reading dep's state in tx once. It checks the target's
// eligibility, refusing with EUNPROCESSABLE (the only refusal with that
// code here), and returns the judge it used.
func (s *Service) planRollback(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, deployID string) (*dagdeck.RollbackPlan, *judge, error) {
	target, err := s.findDeployOf(ctx, tx, dep, deployID)
	if err != nil {
		return nil, nil, err
	}
	j, err := s.requireEligible(ctx, tx, target)
	if err != nil {
		return nil, nil, err
	}
	current, err := currentDeploy(ctx, tx, dep)
	if err != nil {
		return nil, nil, err
	}
	j.apply(current)
	plan := &dagdeck.RollbackPlan{
		DeploymentID:   dep.ID,
		DeploymentName: dep.Name,
		CurrentDeploy:  current,
		TargetDeploy:   target,
		Image:          stringChange(imageRef(current), imageRef(target)),
		PinnedImage:    stringChange(current.PinnedImage(), target.PinnedImage()),
		Runtime:        dagdeck.RuntimeDelta{From: current.RuntimeVersion, To: target.RuntimeVersion, Change: dagdeck.ClassifyRuntimeChange(current.RuntimeVersion, target.RuntimeVersion)},
		DagDeploy:      dagdeck.BoolChange{From: dep.IsDagDeployEnabled, To: target.IsDagDeployEnabled, Changed: dep.IsDagDeployEnabled != target.IsDagDeployEnabled},
		Erased:         []dagdeck.ErasedFeature{},
		RunningTasks:   []dagdeck.PlannedTask{},
	}
	if plan.DagBundle, err = s.bundleDelta(ctx, current, target); err != nil {
		return nil, nil, err
	}
	if plan.ImageFiles, err = s.imageDelta(ctx, current, target); err != nil {
		return nil, nil, err
	}
	if plan.NotRolledBack, err = notRolledBack(ctx, tx, dep, target); err != nil {
		return nil, nil, err
	}
	if err := s.planTasksAndErasure(ctx, tx, plan); err != nil {
		return nil, nil, err
	}
	plan.PlanID = plan.Digest()
	return plan, j, nil
}

// requireEligible sets target's eligibility and returns EUNPROCESSABLE,
// saying why, unless it can be rolled back to. It is where a rollback
// checks eligibility, once per plan. It returns the judge of the
// Deployment's deploys, which eligibility depends on.
func (s *Service) requireEligible(ctx context.Context, tx dagdeck.Tx, target *dagdeck.Deploy) (*judge, error) {
	j, err := s.judge(ctx, tx, target.DeploymentID)
	if err != nil {
		return nil, err
	}
	j.apply(target)
	if !target.Rollback.Eligible {
		return nil, dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "cannot roll back to %s: %s", target, explainIneligible(target, s.retention))
	}
	return j, nil
}

// imageRef renders a deploy's image as repository:tag, or repository@digest
// for an external image given by digest.
func imageRef(d *dagdeck.Deploy) string {
	if isDigest(d.ImageTag) {
		return d.ImageRepository + "@" + d.ImageTag
	}
	return d.ImageRepository + ":" + d.ImageTag
}

func stringChange(from, to string) dagdeck.Change {
	return dagdeck.Change{From: from, To: to, Changed: from != to}
}

func explainIneligible(d *dagdeck.Deploy, window time.Duration) string {
	switch d.Rollback.Reason {
	case dagdeck.ReasonExpired:
		return fmt.Sprintf("it is EXPIRED: created %s, outside the %d-day retention window", d.CreatedAt.Format(time.RFC3339), int(window.Hours()/24))
	case dagdeck.ReasonFailed:
		return "it FAILED and never ran: " + d.FailureReason
	case dagdeck.ReasonNotDeployed:
		return "it is still being uploaded"
	case dagdeck.ReasonArtifactsMissing:
		return "its artifacts are no longer stored (ARTIFACTS_MISSING)"
	case dagdeck.ReasonQuarantined:
		return fmt.Sprintf("it is QUARANTINED by %s: %s (release it with `dagdeck deploys release`)", d.Quarantine.By.Name, d.Quarantine.Reason)
	}
	return d.Rollback.Reason
}

// bundleDelta compares the DAG files of two deploys.
func (s *Service) bundleDelta(ctx context.Context, from, to *dagdeck.Deploy) (dagdeck.BundleDelta, error) {
	return s.filesDelta(ctx, from, to, from.DagBundleVersion, to.DagBundleVersion, s.dagFiles)
}

// imageDelta compares the non-DAG files of two deploys' images (empty for
// external images, which dagdeck cannot look into).
func (s *Service) imageDelta(ctx context.Context, from, to *dagdeck.Deploy) (dagdeck.BundleDelta, error) {
	return s.filesDelta(ctx, from, to, from.ImageTag, to.ImageTag, s.imageFiles)
}

func (s *Service) filesDelta(ctx context.Context, from, to *dagdeck.Deploy, fromLabel, toLabel string, files func(context.Context, *dagdeck.Deploy) (*dagdeck.Manifest, error)) (dagdeck.BundleDelta, error) {
	delta := dagdeck.BundleDelta{From: fromLabel, To: toLabel}
	a, err := files(ctx, from)
	if err != nil {
		return delta, err
	}
	b, err := files(ctx, to)
	if err != nil {
		return delta, err
	}
	delta.Added, delta.Removed, delta.Changed = dagdeck.DiffManifests(a, b)
	return delta, nil
}

// imageFiles returns the files of a deploy's image outside dags/.
func (s *Service) imageFiles(ctx context.Context, d *dagdeck.Deploy) (*dagdeck.Manifest, error) {
	return s.imageSubset(ctx, d, dagdeck.ManifestImage, func(path string) bool { return !dagdeck.IsDAGPath(path) })
}

// imageSubset returns the files of a deploy's image that keep selects (none
// for an external image).
func (s *Service) imageSubset(ctx context.Context, d *dagdeck.Deploy, kind string, keep func(path string) bool) (*dagdeck.Manifest, error) {
	out := &dagdeck.Manifest{Kind: kind}
	if d.ImageDigest == "" {
		return out, nil
	}
	img, err := s.LoadManifest(ctx, d.ImageDigest)
	if err != nil {
		return nil, err
	}
	for _, f := range img.Files {
		if keep(f.Path) {
			out.Files = append(out.Files, f)
		}
	}
	return out, nil
}

// DAGFiles returns a deploy's DAG files: its bundle, or the dags/ part of
// its image when DAG deploys were disabled. ENOTFOUND once its artifacts
// are gone. Requires the viewer role.
func (s *Service) DAGFiles(ctx context.Context, d *dagdeck.Deploy) (*dagdeck.Manifest, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	return s.dagFiles(ctx, d)
}

// dagFiles returns a deploy's DAG files: its bundle, or the dags/ part of
// its image when DAG deploys were disabled.
func (s *Service) dagFiles(ctx context.Context, d *dagdeck.Deploy) (*dagdeck.Manifest, error) {
	if d.DagBundleDigest != "" {
		return s.LoadManifest(ctx, d.DagBundleDigest)
	}
	return s.imageSubset(ctx, d, dagdeck.ManifestDAGs, dagdeck.IsDAGPath)
}

func notRolledBack(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, target *dagdeck.Deploy) (dagdeck.NotRolledBack, error) {
	keys, err := tx.EnvKeysChangedSince(ctx, dep.ID, target.CreatedAt)
	if err != nil {
		return dagdeck.NotRolledBack{}, err
	}
	if keys == nil {
		keys = []string{}
	}
	return dagdeck.NotRolledBack{
		EnvKeysChanged: keys,
		Settings: map[string]string{
			"name":              dep.Name,
			"description":       dep.Description,
			"executor":          dep.Executor,
			"schedulerSize":     dep.SchedulerSize,
			"workerQueues":      strings.Join(dep.WorkerQueues, ","),
			"workerConcurrency": strconv.Itoa(dep.WorkerConcurrency),
			"envVars":           strconv.Itoa(len(dep.Env)) + " variables keep their current values",
		},
	}, nil
}

func describeErased(erased []dagdeck.ErasedFeature) string {
	if len(erased) == 0 {
		return "no feature data is erased"
	}
	var parts []string
	for _, e := range erased {
		parts = append(parts, fmt.Sprintf("%d row(s) of %s (runtime %s+) are erased", e.Rows, e.Feature.Metadata, e.Feature.Since))
	}
	return strings.Join(parts, " and ")
}
