package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// commitMessage is a deploy's commit message: its description (or
// "Deploy #N") and trailers naming the deploy.
func commitMessage(d *dagdeck.Deploy) string {
	desc := strings.TrimSpace(strings.ReplaceAll(d.Description, "\r\n", "\n"))
	if desc == "" {
		desc = "Deploy #" + strconv.FormatInt(d.Sequence, 10)
	}
	var b strings.Builder
	b.WriteString(desc + "\n\n")
	b.WriteString("Dagdeck-Deploy: " + d.ID + "\n")
	b.WriteString("Dagdeck-Sequence: " + strconv.FormatInt(d.Sequence, 10) + "\n")
	if d.RuntimeVersion != "" {
		b.WriteString("Dagdeck-Runtime: " + d.RuntimeVersion + "\n")
	}
	if ref := imageTrailer(d); ref != "" {
		b.WriteString("Dagdeck-Image: " + ref + "\n")
	}
	if d.RollbackFromID != "" {
		b.WriteString("Dagdeck-Rollback-Of: " + d.RollbackFromID + "\n")
	}
	return b.String()
}

// imageTrailer names the deploy's image: repository@digest when it is
// pinned in its registry, repository:tag otherwise.
func imageTrailer(d *dagdeck.Deploy) string {
	switch {
	case d.ImageRegistryDigest != "" && d.ImageRepository != "":
		return d.ImageRepository + "@" + d.ImageRegistryDigest
	case d.ImageRepository == "" && d.ImageTag == "":
		return ""
	case d.ImageTag == "":
		return d.ImageRepository
	}
	return d.ImageRepository + ":" + d.ImageTag
}

// commitOf builds a deploy's commit from its record: its tree, its parent
// (the previous current deploy's commit), who deployed it and when, and the
// message recorded with it.
func commitOf(d *dagdeck.Deploy, tree, parent gitrepo.Hash) *gitrepo.Object {
	name := strings.TrimSpace(d.CreatedBy.Name)
	if name == "" {
		name = "dagdeck"
	}
	c := &gitrepo.Commit{
		Tree:    tree,
		Parent:  parent,
		Author:  gitrepo.Signature{Name: name, Email: authorEmail(d.CreatedBy), When: d.CreatedAt},
		Message: d.BundleCommitMessage,
	}
	return c.Encode()
}

// authorEmail is a stable address for an actor: git needs one, dagdeck
// has none (.invalid never resolves).
func authorEmail(a dagdeck.Actor) string {
	kind, id := a.Kind, a.ID
	if kind == "" {
		kind = "actor"
	}
	if id == "" {
		id = "unknown"
	}
	return kind + "-" + id + "@dagdeck.invalid"
}

// setCommit gives d, becoming DEPLOYED and current in tx, its commit: tree,
// and as parent the commit of the Deployment's current deploy (before d).
func setCommit(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, d *dagdeck.Deploy, tree gitrepo.Hash) error {
	parent, err := currentCommit(ctx, tx, dep)
	if err != nil {
		return err
	}
	d.BundleCommitMessage = commitMessage(d)
	d.BundleCommit = commitOf(d, tree, parent).ID.String()
	return nil
}

// currentCommit returns the commit of the Deployment's current deploy, or
// of the newest DEPLOYED deploy that has one; zero for none.
func currentCommit(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) (gitrepo.Hash, error) {
	if dep.CurrentDeployID == "" {
		return gitrepo.ZeroHash, nil
	}
	cur, err := tx.FindDeploy(ctx, dep.CurrentDeployID)
	if err != nil {
		return gitrepo.ZeroHash, err
	}
	if cur.BundleCommit == "" {
		return latestCommit(ctx, tx, dep.ID)
	}
	return gitrepo.ParseHash(cur.BundleCommit)
}

// latestCommit returns the newest commit of the Deployment's history.
func latestCommit(ctx context.Context, tx dagdeck.Tx, deploymentID string) (gitrepo.Hash, error) {
	before := int64(0)
	for {
		ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: deploymentID, Status: dagdeck.DeployDeployed, BeforeSequence: before, Limit: 100})
		if err != nil || len(ds) == 0 {
			return gitrepo.ZeroHash, err
		}
		for _, d := range ds {
			if d.BundleCommit != "" {
				return gitrepo.ParseHash(d.BundleCommit)
			}
		}
		before = ds[len(ds)-1].Sequence
	}
}

// commitTree prepares, outside any transaction, the tree of the deploy
// that will be finalized: nil when it cannot be finalized now (not
// INITIALIZED, or blobs missing: the transaction then says why).
func (s *Service) commitTree(ctx context.Context, deploymentIDOrName, deployID string) (*gitrepo.Tree, error) {
	var d *dagdeck.Deploy
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := findDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		d, err = s.findDeployOf(ctx, tx, dep, deployID)
		return err
	})
	if err != nil || d.Status != dagdeck.DeployInitialized {
		return nil, nil
	}
	s.prepareRuntime(ctx, d)
	if err := s.BackfillCommits(ctx, d.DeploymentID); err != nil {
		return nil, fmt.Errorf("backfill commits: %w", err)
	}
	t, err := s.deployTree(ctx, d)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		// A blob is missing: the transaction checks them all and names them.
		return nil, nil
	}
	return t, err
}
