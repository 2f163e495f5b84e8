package service

import (
	"context"
	"slices"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// BackfillAllCommits runs BackfillCommits for every Deployment. The server
// runs it once at start; it is cheap when there is nothing to do.
func (s *Service) BackfillAllCommits(ctx context.Context) error {
	var deps []*dagdeck.Deployment
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		deps, err = tx.ListDeployments(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, dep := range deps {
		if err := s.BackfillCommits(ctx, dep.ID); err != nil {
			return err
		}
	}
	return nil
}

// BackfillCommits gives the Deployment's DEPLOYED deploys that have no
// commit (recorded before dagdeck made commits) theirs, in history order,
// each the child of the one before. A deploy whose artifacts are gone gets
// none: its tree cannot be known. Commits once set never change, so this
// runs once per deploy.
func (s *Service) BackfillCommits(ctx context.Context, deploymentID string) error {
	todo, err := s.commitsToBackfill(ctx, deploymentID)
	if err != nil || len(todo) == 0 {
		return err
	}
	trees := make(map[string]gitrepo.Hash)
	for _, d := range todo {
		if d.ArtifactsPruned {
			continue
		}
		t, err := s.deployTree(ctx, d)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			s.logger.Warn("deploy gets no git commit: its artifacts are gone", "deploy", d.ID)
			continue
		} else if err != nil {
			return err
		}
		trees[d.ID] = t.Root
	}
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		return backfill(ctx, tx, deploymentID, trees)
	})
	if err == nil {
		s.logger.Info("backfilled git commits", "deployment", deploymentID, "deploys", len(trees))
	}
	return err
}

// commitsToBackfill returns the DEPLOYED deploys without a commit, oldest
// first; none when the current deploy has one (then every older one had
// its chance).
func (s *Service) commitsToBackfill(ctx context.Context, deploymentID string) ([]*dagdeck.Deploy, error) {
	var todo []*dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil || dep.CurrentDeployID == "" {
			return err
		}
		cur, err := tx.FindDeploy(ctx, dep.CurrentDeployID)
		if err != nil || cur.BundleCommit != "" {
			return err
		}
		ds, err := deployedOldestFirst(ctx, tx, deploymentID)
		todo = slices.DeleteFunc(ds, func(d *dagdeck.Deploy) bool { return d.BundleCommit != "" })
		return err
	})
	return todo, err
}

// backfill sets the commits of the deploys trees names, in history order.
func backfill(ctx context.Context, tx dagdeck.Tx, deploymentID string, trees map[string]gitrepo.Hash) error {
	ds, err := deployedOldestFirst(ctx, tx, deploymentID)
	if err != nil {
		return err
	}
	parent := gitrepo.ZeroHash
	for _, d := range ds {
		if d.BundleCommit != "" {
			if parent, err = gitrepo.ParseHash(d.BundleCommit); err != nil {
				return err
			}
			continue
		}
		tree, ok := trees[d.ID]
		if !ok {
			continue
		}
		d.BundleCommitMessage = commitMessage(d)
		c := commitOf(d, tree, parent)
		d.BundleCommit, parent = c.ID.String(), c.ID
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// deployedOldestFirst returns a Deployment's DEPLOYED deploys in history order.
func deployedOldestFirst(ctx context.Context, tx dagdeck.Tx, deploymentID string) ([]*dagdeck.Deploy, error) {
	ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: deploymentID, Status: dagdeck.DeployDeployed})
	slices.Reverse(ds)
	return ds, err
}
