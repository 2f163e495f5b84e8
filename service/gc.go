package service

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

// GC deletes the blobs no retained deploy references (DESIGN §4): retained
// are DEPLOYED deploys inside the retention window, every current deploy,
// pinned deploys, unfinished uploads and deploys that running tasks use. Blobs younger than
// the grace period are kept too. Deploys whose artifacts are gone are marked
// pruned; their records stay. It holds the exclusive GC lock for the whole
// sweep, so deploys that reference blobs (shared lock) wait for it, and only
// one replica collects at a time. Requires the admin role.
func (s *Service) GC(ctx context.Context) (*dagdeck.GCResult, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	return s.CollectGarbage(ctx)
}

// CollectGarbage is GC without an authorization check, for the server's
// periodic run.
func (s *Service) CollectGarbage(ctx context.Context) (*dagdeck.GCResult, error) {
	start := time.Now()
	var res dagdeck.GCResult
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		res = dagdeck.GCResult{}
		if err := tx.LockGC(ctx, true); err != nil {
			return err
		}
		now := s.Now()
		retained, err := tx.RetainedDeploys(ctx, now.Add(-s.retention))
		if err != nil {
			return err
		}
		if retained, err = withPinned(ctx, tx, retained, now); err != nil {
			return err
		}
		keep, err := s.referencedBlobs(ctx, retained)
		if err != nil {
			return err
		}
		if err := s.sweep(ctx, keep, &res); err != nil {
			return err
		}
		if err := s.markPruned(ctx, tx, retained, &res); err != nil {
			return err
		}
		if dagdeck.ActorFromContext(ctx) == nil && res.BlobsDeleted == 0 && res.DeploysPruned == 0 {
			return nil // a periodic run that changed nothing leaves no entry
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditGCCompleted, targetKind: "artifacts", targetID: "",
			summary: map[string]any{"deploysPruned": res.DeploysPruned, "blobsDeleted": res.BlobsDeleted, "bytesDeleted": res.BytesDeleted, "blobsKept": res.BlobsKept}})
	})
	if err != nil {
		return nil, err
	}
	s.logger.Info("garbage collected", "blobsDeleted", res.BlobsDeleted, "bytesDeleted", res.BytesDeleted, "deploysPruned", res.DeploysPruned)
	s.obs().GarbageCollected(&res, time.Since(start))
	return &res, nil
}

// referencedBlobs returns the manifests of the retained deploys and every
// file they list.
func (s *Service) referencedBlobs(ctx context.Context, retained []*dagdeck.Deploy) (map[string]bool, error) {
	keep := make(map[string]bool)
	for _, d := range retained {
		for _, digest := range []string{d.ImageDigest, d.DagBundleDigest} {
			if digest == "" || keep[digest] {
				continue
			}
			keep[digest] = true
			m, err := s.LoadManifest(ctx, digest)
			if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
				continue // already gone; finalize or rollback will say so
			} else if err != nil {
				return nil, err
			}
			for _, f := range m.Files {
				if f.Digest != "" {
					keep[f.Digest] = true
				}
			}
		}
	}
	return keep, nil
}

// sweep deletes the blobs that keep lacks and that are older than the grace
// period. A blob's age is measured with the wall clock, not the service's
// clock: artifact stores date blobs with real time (file modification
// times, S3's Last-Modified), and the two clocks need not agree.
func (s *Service) sweep(ctx context.Context, keep map[string]bool, res *dagdeck.GCResult) error {
	var doomed []dagdeck.BlobInfo
	err := s.artifacts.Walk(ctx, func(b dagdeck.BlobInfo) error {
		if keep[b.Digest] || time.Since(b.CreatedAt) < s.gcGrace {
			res.BlobsKept++
			res.BytesKept += b.Size
			return nil
		}
		doomed = append(doomed, b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk artifacts: %w", err)
	}
	for _, b := range doomed {
		if err := s.artifacts.Delete(ctx, b.Digest); err != nil {
			return fmt.Errorf("delete blob %s: %w", b.Digest, err)
		}
		s.manifests.remove(b.Digest)
		res.BlobsDeleted++
		res.BytesDeleted += b.Size
	}
	return nil
}

// markPruned flags DEPLOYED deploys that are not retained and whose
// manifests are gone.
func (s *Service) markPruned(ctx context.Context, tx dagdeck.Tx, retained []*dagdeck.Deploy, res *dagdeck.GCResult) error {
	isRetained := make(map[string]bool, len(retained))
	for _, d := range retained {
		isRetained[d.ID] = true
	}
	// Only deploys older than the window can lose their artifacts.
	all, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{Status: dagdeck.DeployDeployed, CreatedBefore: s.Now().Add(-s.retention)})
	if err != nil {
		return err
	}
	for _, d := range all {
		if d.ArtifactsPruned || isRetained[d.ID] {
			continue
		}
		gone, err := s.anyMissing(ctx, d.ImageDigest, d.DagBundleDigest)
		if err != nil {
			return err
		}
		if !gone {
			continue
		}
		d.ArtifactsPruned = true
		if err := tx.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		res.DeploysPruned++
	}
	return nil
}

func (s *Service) anyMissing(ctx context.Context, digests ...string) (bool, error) {
	for _, digest := range digests {
		if digest == "" {
			continue
		}
		_, err := s.artifacts.Stat(ctx, digest)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, nil
}

// withPinned adds the deploys with an active pin to retained.
func withPinned(ctx context.Context, tx dagdeck.Tx, retained []*dagdeck.Deploy, now time.Time) ([]*dagdeck.Deploy, error) {
	marks, err := tx.ListMarks(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, m := range marks {
		if m.Kind != dagdeck.MarkPin || !m.Active(now) {
			continue
		}
		d, err := tx.FindDeploy(ctx, m.DeployID)
		if err != nil {
			return nil, err
		}
		retained = append(retained, d)
	}
	return retained, nil
}
