package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// RefPrevious names the deploy a rollback without a target goes back to:
// the newest deploy before the current one that can be rolled back to and
// whose code differs from the current code (see dagdeck.Deploy.SameCode).
const RefPrevious = "previous"

// findDeployOf returns the deploy of dep that ref names: a deploy id; its
// bundle commit or a unique prefix of it (at least 7 hex digits); "#N",
// the deploy with sequence number N; "#-N", the Nth DEPLOYED deploy before
// the current one; or "previous" (RefPrevious). ENOTFOUND if there is none,
// EINVALID if an id names a deploy of another Deployment or a commit
// prefix names several deploys.
func (s *Service) findDeployOf(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, ref string) (*dagdeck.Deploy, error) {
	switch {
	case ref == RefPrevious:
		return s.previousTarget(ctx, tx, dep)
	case strings.HasPrefix(ref, "#-"):
		n, err := strconv.Atoi(ref[2:])
		if err != nil || n < 1 {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "deploy %q: write #-N with N ≥ 1 (the Nth deploy before the current one)", ref)
		}
		return deployBeforeCurrent(ctx, tx, dep, n)
	case strings.HasPrefix(ref, "#"):
		n, err := strconv.ParseInt(ref[1:], 10, 64)
		if err != nil || n < 1 {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "deploy %q: write #N with N ≥ 1 (a sequence number), or #-N", ref)
		}
		return deployBySequence(ctx, tx, dep, n)
	}
	d, err := tx.FindDeploy(ctx, ref)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return findDeployByCommit(ctx, tx, dep.ID, ref)
	} else if err != nil {
		return nil, err
	}
	if d.DeploymentID != dep.ID {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "deploy %s belongs to another Deployment, not to %s", ref, dep.Name)
	}
	return d, nil
}

// deployBySequence returns dep's deploy #n.
func deployBySequence(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, n int64) (*dagdeck.Deploy, error) {
	ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID, BeforeSequence: n + 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 || ds[0].Sequence != n {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %s has no deploy #%d", dep.Name, n)
	}
	return ds[0], nil
}

// deployBeforeCurrent returns the nth DEPLOYED deploy before dep's current
// one. Failed and unfinished deploys never ran, so they do not count.
func deployBeforeCurrent(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, n int) (*dagdeck.Deploy, error) {
	cur, err := currentDeploy(ctx, tx, dep)
	if err != nil {
		return nil, err
	}
	ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID, Status: dagdeck.DeployDeployed, BeforeSequence: cur.Sequence, Limit: n})
	if err != nil {
		return nil, err
	}
	if len(ds) < n {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %s has %d deployed deploys before the current one (#%d), not %d", dep.Name, len(ds), cur.Sequence, n)
	}
	return ds[n-1], nil
}

// previousTarget returns the newest deploy before the current one that is
// an eligible rollback target and whose code differs from the current code.
// Inside the retention window it walks the history; beyond it only pinned
// deploys can be eligible, so it looks at those.
func (s *Service) previousTarget(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) (*dagdeck.Deploy, error) {
	cur, err := currentDeploy(ctx, tx, dep)
	if err != nil {
		return nil, err
	}
	j, err := s.judge(ctx, tx, dep.ID)
	if err != nil {
		return nil, err
	}
	const page = 100
	for before := cur.Sequence; ; {
		ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID, Status: dagdeck.DeployDeployed, BeforeSequence: before, Limit: page})
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if j.now.Sub(d.CreatedAt) > j.retention {
				return s.pinnedTarget(ctx, tx, j, dep, cur, d.Sequence+1)
			}
			j.apply(d)
			if d.Rollback.Eligible && !d.SameCode(cur) {
				return d, nil
			}
		}
		if len(ds) < page {
			return nil, noPreviousTarget(dep, cur)
		}
		before = ds[len(ds)-1].Sequence
	}
}

// pinnedTarget returns the newest pinned, eligible deploy before sequence
// before whose code differs from cur.
func (s *Service) pinnedTarget(ctx context.Context, tx dagdeck.Tx, j *judge, dep *dagdeck.Deployment, cur *dagdeck.Deploy, before int64) (*dagdeck.Deploy, error) {
	var best *dagdeck.Deploy
	for id, marks := range j.marks {
		if !marks[dagdeck.MarkPin].Active(j.now) {
			continue
		}
		d, err := tx.FindDeploy(ctx, id)
		if err != nil {
			return nil, err
		}
		j.apply(d)
		if d.Sequence < before && d.Rollback.Eligible && !d.SameCode(cur) && (best == nil || d.Sequence > best.Sequence) {
			best = d
		}
	}
	if best == nil {
		return nil, noPreviousTarget(dep, cur)
	}
	return best, nil
}

func noPreviousTarget(dep *dagdeck.Deployment, cur *dagdeck.Deploy) error {
	return dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %s has no earlier deploy with different code to roll back to (the current deploy is #%d; quarantined and expired deploys do not count)", dep.Name, cur.Sequence)
}

// currentDeploy returns dep's current deploy. ENOTFOUND if it has none.
func currentDeploy(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) (*dagdeck.Deploy, error) {
	if dep.CurrentDeployID == "" {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %s has no current deploy yet", dep.Name)
	}
	return tx.FindDeploy(ctx, dep.CurrentDeployID)
}
