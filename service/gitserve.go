package service

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// GitRepository returns the Deployment's git repository: one commit per
// DEPLOYED deploy that has one, oldest first, shallow from the oldest
// deploy after which none had its artifacts pruned. Requires the viewer
// role. ENOTFOUND if there is no such Deployment, or if the caller's token
// is for other Deployments.
//
// The repository rebuilds each commit from the record when it is served
// and checks that it has the recorded id.
func (s *Service) GitRepository(ctx context.Context, deploymentIDOrName string) (*gitrepo.Repository, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer)
	if err != nil {
		return nil, err
	}
	var dep *dagdeck.Deployment
	err = s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		dep, err = findDeployment(ctx, tx, deploymentIDOrName)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !actor.Reaches(dep.ID) {
		// A token made for other Deployments learns nothing of this one.
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %q not found", deploymentIDOrName)
	}
	if err := s.BackfillCommits(ctx, dep.ID); err != nil {
		return nil, err
	}
	var history []*dagdeck.Deploy
	err = s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		history, err = deployedOldestFirst(ctx, tx, dep.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.repositoryOf(history), nil
}

// repositoryOf makes the repository of a history (oldest first).
func (s *Service) repositoryOf(history []*dagdeck.Deploy) *gitrepo.Repository {
	var commits []*dagdeck.Deploy
	for _, d := range history {
		if d.BundleCommit != "" {
			commits = append(commits, d)
		}
	}
	r := &gitrepo.Repository{Open: s.artifacts.Open}
	for i, d := range commits {
		id, err := gitrepo.ParseHash(d.BundleCommit)
		if err != nil {
			s.logger.Error("deploy has a malformed bundle commit", "deploy", d.ID, "err", err)
			continue
		}
		r.Commits = append(r.Commits, gitrepo.Entry{ID: id, Tag: "deploy-" + strconv.FormatInt(d.Sequence, 10), When: d.CreatedAt})
		if d.ArtifactsPruned {
			r.ShallowFrom = i + 1
		}
	}
	r.Build = func(ctx context.Context, i int) (*gitrepo.Object, *gitrepo.Tree, error) {
		d := commits[i]
		t, err := s.deployTree(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		parent := gitrepo.ZeroHash
		if i > 0 {
			parent = r.Commits[i-1].ID
		}
		return commitOf(d, t.Root, parent), t, nil
	}
	return r
}

// commitPrefixRE matches what may name a deploy by its bundle commit: at
// least 7 hex digits.
var commitPrefixRE = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// findDeployByCommit returns the one deploy (of the Deployment, or of any
// with deploymentID "") whose bundle commit starts with ref. ENOTFOUND if
// none; EINVALID if the prefix names several.
func findDeployByCommit(ctx context.Context, tx dagdeck.Tx, deploymentID, ref string) (*dagdeck.Deploy, error) {
	if !commitPrefixRE.MatchString(ref) {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "deploy %q not found", ref)
	}
	ds, err := tx.FindDeploysByCommit(ctx, deploymentID, strings.ToLower(ref), 2)
	switch {
	case err != nil:
		return nil, err
	case len(ds) == 0:
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "deploy %q not found", ref)
	case len(ds) > 1:
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "commit prefix %q names more than one deploy (%s, %s); give more digits", ref, ds[0].BundleCommit[:12], ds[1].BundleCommit[:12])
	}
	return ds[0], nil
}
