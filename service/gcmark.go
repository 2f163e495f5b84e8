package service

import (
	"context"
	"time"

	"github.com/dagdeck/dagdeck"
)

// gcMarks is what a collection keeps: the manifests and files of the
// deploys retained when it started, plus those of every deploy made and
// every pin set since, added before each batch of deletions. It holds
// digests and sequence numbers, never the history itself.
type gcMarks struct {
	cutoff   time.Time       // deploys created before it are outside the retention window
	keep     map[string]bool // blobs to keep: manifests and the files they list
	expanded map[string]bool // manifests whose files are in keep (or that are gone)
	seen     map[string]int64
	// seen maps a Deployment id to the highest deploy sequence whose
	// artifacts are in keep (when retained) or were looked at.
}

// gcMark reads, from one snapshot, the deploys retained now and how far
// each Deployment's history goes, then loads their manifests outside any
// transaction.
func (s *Service) gcMark(ctx context.Context) (*gcMarks, error) {
	m := &gcMarks{keep: map[string]bool{}, expanded: map[string]bool{}, seen: map[string]int64{}}
	manifests := map[string]bool{}
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		now := s.Now()
		m.cutoff = now.Add(-s.retention)
		retained, err := tx.RetainedManifests(ctx, m.cutoff)
		if err != nil {
			return err
		}
		for _, digest := range retained {
			manifests[digest] = true
		}
		pinned, err := pinnedDeploys(ctx, tx, now)
		if err != nil {
			return err
		}
		for _, d := range pinned {
			manifests[d.ImageDigest], manifests[d.DagBundleDigest] = true, true
		}
		deployments, err := tx.ListDeployments(ctx)
		if err != nil {
			return err
		}
		for _, dep := range deployments {
			latest, err := tx.LatestDeploy(ctx, dep.ID, "")
			if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			m.seen[dep.ID] = latest.Sequence
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for digest := range manifests {
		if err := s.gcKeepManifest(ctx, m, digest); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// gcKeepManifest adds a manifest and the files it lists to m.keep. It
// reads the manifest past the cache, and keeps only its digests: a
// collection reads every retained manifest once, and caching them all
// (a megabyte each) would hold the server's memory long after it and push
// out the manifests deploys use.
func (s *Service) gcKeepManifest(ctx context.Context, m *gcMarks, digest string) error {
	if digest == "" || m.expanded[digest] {
		return nil
	}
	m.expanded[digest] = true
	m.keep[digest] = true
	man, ok := s.manifests.get(digest)
	var err error
	if !ok {
		man, err = s.readManifest(ctx, digest)
	}
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil // already gone; finalize or rollback will say so
	} else if err != nil {
		return err
	}
	for _, f := range man.Files {
		if f.Digest != "" {
			m.keep[f.Digest] = true
		}
	}
	return nil
}

// gcRefresh adds to m, inside a batch's transaction, the artifacts of
// every deploy created since m last looked (whatever its status: an
// unfinished upload, a new deploy or a rollback) and of every active pin.
func (s *Service) gcRefresh(ctx context.Context, tx dagdeck.Tx, m *gcMarks) error {
	deployments, err := tx.ListDeployments(ctx)
	if err != nil {
		return err
	}
	for _, dep := range deployments {
		if err := s.gcRefreshDeployment(ctx, tx, m, dep.ID); err != nil {
			return err
		}
	}
	pinned, err := pinnedDeploys(ctx, tx, s.Now())
	if err != nil {
		return err
	}
	for _, d := range pinned {
		if err := s.gcKeepDeploy(ctx, m, d); err != nil {
			return err
		}
	}
	return nil
}

// gcRefreshFirstPage is how many of a Deployment's newest deploys a batch
// reads first when it looks for new ones.
const gcRefreshFirstPage = 8

// gcRefreshDeployment keeps the artifacts of a Deployment's deploys newer
// than m.seen, newest first.
func (s *Service) gcRefreshDeployment(ctx context.Context, tx dagdeck.Tx, m *gcMarks, deploymentID string) error {
	since, before, newest := m.seen[deploymentID], int64(0), int64(0)
	limit := gcRefreshFirstPage // usually nothing or a few deploys are new
	for {
		ds, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: deploymentID, BeforeSequence: before, Limit: limit})
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.Sequence <= since {
				break
			}
			newest = max(newest, d.Sequence)
			if err := s.gcKeepDeploy(ctx, m, d); err != nil {
				return err
			}
		}
		if len(ds) < limit || ds[len(ds)-1].Sequence <= since {
			break
		}
		before, limit = ds[len(ds)-1].Sequence, gcPageSize
	}
	m.seen[deploymentID] = max(since, newest)
	return nil
}

// gcKeepDeploy keeps a deploy's manifests and files.
func (s *Service) gcKeepDeploy(ctx context.Context, m *gcMarks, d *dagdeck.Deploy) error {
	for _, digest := range []string{d.ImageDigest, d.DagBundleDigest} {
		if err := s.gcKeepManifest(ctx, m, digest); err != nil {
			return err
		}
	}
	return nil
}

// pinnedDeploys returns the deploys with an active pin.
func pinnedDeploys(ctx context.Context, tx dagdeck.Tx, now time.Time) ([]*dagdeck.Deploy, error) {
	marks, err := tx.ListMarks(ctx, "")
	if err != nil {
		return nil, err
	}
	var pinned []*dagdeck.Deploy
	for _, m := range marks {
		if m.Kind != dagdeck.MarkPin || !m.Active(now) {
			continue
		}
		d, err := tx.FindDeploy(ctx, m.DeployID)
		if err != nil {
			return nil, err
		}
		pinned = append(pinned, d)
	}
	return pinned, nil
}
