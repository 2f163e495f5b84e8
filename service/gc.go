package service

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/dagdeck/dagdeck"
)

// A collection deletes in batches: it holds the exclusive GC lock (on
// SQLite, the write lock) for one batch at a time, at most gcBatchBlobs
// blobs or about gcBatchTime of deleting, so a deploy waits for one batch,
// never for the whole sweep.
const (
	gcBatchBlobs = 256
	gcBatchTime  = 20 * time.Millisecond
	// gcPageSize is how many deploys the collector reads per transaction
	// when it looks for pruned ones.
	gcPageSize = 500
)

// GC deletes the blobs no retained deploy references (DESIGN §4): retained
// are DEPLOYED deploys inside the retention window, every current deploy,
// pinned deploys, unfinished uploads and deploys that running tasks use. Blobs younger than
// the grace period are kept too. Deploys whose artifacts are gone are marked
// pruned; their records stay. Requires the admin role.
//
// It marks what to keep from a snapshot and walks the artifact store without
// any lock, then deletes in short batches, each under the exclusive GC lock
// (deploys that reference blobs take it shared): each batch first adds what
// deploys and pins made since the snapshot reference, so a blob a deploy
// has just referenced is never deleted. Replicas may interleave their
// batches; every batch holds the same guarantee.
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
	m, err := s.gcMark(ctx)
	if err != nil {
		return nil, err
	}
	candidates, err := s.gcCandidates(ctx, m, &res)
	if err != nil {
		return nil, err
	}
	for len(candidates) > 0 {
		n, err := s.gcDeleteBatch(ctx, m, candidates, &res)
		if err != nil {
			return nil, err
		}
		candidates = candidates[n:]
	}
	if err := s.gcPrune(ctx, m, &res); err != nil {
		return nil, err
	}
	if dagdeck.ActorFromContext(ctx) != nil || res.BlobsDeleted > 0 || res.DeploysPruned > 0 {
		// a periodic run that changed nothing leaves no entry
		err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
			return s.record(ctx, tx, change{action: dagdeck.AuditGCCompleted, targetKind: "artifacts", targetID: "",
				summary: map[string]any{"deploysPruned": res.DeploysPruned, "blobsDeleted": res.BlobsDeleted, "bytesDeleted": res.BytesDeleted, "blobsKept": res.BlobsKept}})
		})
		if err != nil {
			return nil, err
		}
	}
	s.logger.Info("garbage collected", "blobsDeleted", res.BlobsDeleted, "bytesDeleted", res.BytesDeleted, "deploysPruned", res.DeploysPruned)
	s.obs().GarbageCollected(&res, time.Since(start))
	// The marks, the walk and the manifests read were garbage once the
	// batches ran: give their memory back to the OS now rather than over
	// minutes, so that the server's footprint after a collection is what
	// it was before.
	debug.FreeOSMemory()
	return &res, nil
}

// gcCandidates walks the artifact store and returns the blobs that m does
// not keep and that are older than the grace period. A blob's age is
// measured with the wall clock, not the service's clock: artifact stores
// date blobs with real time (file modification times, S3's Last-Modified),
// and the two clocks need not agree.
func (s *Service) gcCandidates(ctx context.Context, m *gcMarks, res *dagdeck.GCResult) ([]dagdeck.BlobInfo, error) {
	var candidates []dagdeck.BlobInfo
	err := s.artifacts.Walk(ctx, func(b dagdeck.BlobInfo) error {
		if m.keep[b.Digest] || time.Since(b.CreatedAt) < s.gcGrace {
			res.BlobsKept++
			res.BytesKept += b.Size
			return nil
		}
		candidates = append(candidates, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk artifacts: %w", err)
	}
	return candidates, nil
}

// gcDeleteBatch deletes a batch from the front of candidates under the
// exclusive GC lock, after adding to m what was referenced since it was
// last brought up to date. It returns how many candidates it settled.
func (s *Service) gcDeleteBatch(ctx context.Context, m *gcMarks, candidates []dagdeck.BlobInfo, res *dagdeck.GCResult) (int, error) {
	var n int
	var batch dagdeck.GCResult
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		n, batch = 0, dagdeck.GCResult{}
		if err := tx.LockGC(ctx, true); err != nil {
			return err
		}
		if err := s.gcRefresh(ctx, tx, m); err != nil {
			return err
		}
		deadline := time.Now().Add(gcBatchTime)
		for n < len(candidates) && n < gcBatchBlobs && time.Now().Before(deadline) {
			b := candidates[n]
			n++
			if m.keep[b.Digest] {
				batch.BlobsKept++
				batch.BytesKept += b.Size
				continue
			}
			if err := s.artifacts.Delete(ctx, b.Digest); err != nil {
				return fmt.Errorf("delete blob %s: %w", b.Digest, err)
			}
			s.manifests.remove(b.Digest)
			batch.BlobsDeleted++
			batch.BytesDeleted += b.Size
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.BlobsKept += batch.BlobsKept
	res.BytesKept += batch.BytesKept
	res.BlobsDeleted += batch.BlobsDeleted
	res.BytesDeleted += batch.BytesDeleted
	return n, nil
}

// gcPrune flags DEPLOYED deploys older than the window whose manifests are
// gone. When a manifest of a Deployment's old deploys not yet flagged is
// gone, it walks them a page at a time, each page a short read of their
// ids and digests only.
func (s *Service) gcPrune(ctx context.Context, m *gcMarks, res *dagdeck.GCResult) error {
	var deployments []*dagdeck.Deployment
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		deployments, err = tx.ListDeployments(ctx)
		return err
	})
	if err != nil {
		return err
	}
	gone := make(map[string]bool) // manifest digest → missing, looked up once per run
	for _, dep := range deployments {
		prunable, err := s.gcAnyPrunable(ctx, m, dep.ID, gone)
		if err != nil {
			return err
		}
		if !prunable {
			continue
		}
		below := int64(0)
		for {
			var page []dagdeck.PruneCandidate
			err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
				page, err = tx.ListPruneCandidates(ctx, dep.ID, m.cutoff, below, gcPageSize)
				return err
			})
			if err != nil {
				return err
			}
			if err := s.gcPrunePage(ctx, m, page, gone, res); err != nil {
				return err
			}
			if len(page) < gcPageSize {
				break
			}
			below = page[len(page)-1].Sequence
		}
	}
	return nil
}

// gcAnyPrunable reports whether a manifest of a Deployment's old deploys
// not yet flagged is gone. Most often none is (their manifests are those
// of retained deploys, or they were flagged by an earlier run), and one
// read of their distinct digests spares the walk over them.
func (s *Service) gcAnyPrunable(ctx context.Context, m *gcMarks, deploymentID string, gone map[string]bool) (bool, error) {
	var digests []string
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		digests, err = tx.PruneCandidateManifests(ctx, deploymentID, m.cutoff)
		return err
	})
	if err != nil {
		return false, err
	}
	return s.gcAnyMissing(ctx, m, gone, digests...)
}

// gcPruneBatch is how many deploys one write transaction of gcPrunePage
// flags at most.
const gcPruneBatch = 64

// gcPrunePage flags the deploys of page whose manifests are gone, a short
// write transaction per gcPruneBatch of them.
func (s *Service) gcPrunePage(ctx context.Context, m *gcMarks, page []dagdeck.PruneCandidate, gone map[string]bool, res *dagdeck.GCResult) error {
	var pruned []string
	for _, d := range page {
		missing, err := s.gcAnyMissing(ctx, m, gone, d.ImageDigest, d.DagBundleDigest)
		if err != nil {
			return err
		}
		if missing {
			pruned = append(pruned, d.ID)
		}
	}
	for len(pruned) > 0 {
		batch := pruned[:min(len(pruned), gcPruneBatch)]
		pruned = pruned[len(batch):]
		n := 0
		err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
			n = 0
			for _, id := range batch {
				changed, err := tx.SetArtifactsPruned(ctx, id)
				if err != nil {
					return err
				}
				if changed {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.DeploysPruned += n
	}
	return nil
}

// gcAnyMissing reports whether a manifest among digests is gone. Manifests
// the collector keeps are there; others are looked up once per run.
func (s *Service) gcAnyMissing(ctx context.Context, m *gcMarks, gone map[string]bool, digests ...string) (bool, error) {
	for _, digest := range digests {
		if digest == "" || m.expanded[digest] {
			continue
		}
		missing, ok := gone[digest]
		if !ok {
			var err error
			if missing, err = s.anyMissing(ctx, digest); err != nil {
				return false, err
			}
			gone[digest] = missing
		}
		if missing {
			return true, nil
		}
	}
	return false, nil
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
