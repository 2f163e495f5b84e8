package service

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
	"github.com/dagdeck/dagdeck/internal/blobio"
)

// Git blob ids are computed this many files at a time and recorded in
// batches of gitBlobBatch.
const (
	gitHashWorkers = 4
	gitBlobBatch   = 500
)

// codeFiles returns a deploy's whole code state: the image's files and the
// DAG bundle's, the bundle owning dags/ when there is one (as the runtime
// materializes it). ENOTFOUND once a manifest is gone.
func (s *Service) codeFiles(ctx context.Context, d *dagdeck.Deploy) ([]dagdeck.ManifestFile, error) {
	ms, err := s.codeManifests(ctx, d)
	if err != nil {
		return nil, err
	}
	var files []dagdeck.ManifestFile
	for _, m := range ms {
		files = append(files, m.Files...)
	}
	return files, nil
}

// deployTree returns a deploy's git tree, built (and cached) from its
// manifests, computing and recording the git blob ids of files not seen
// before. The tree is shared: do not modify it.
func (s *Service) deployTree(ctx context.Context, d *dagdeck.Deploy) (*gitrepo.Tree, error) {
	return s.deployTreeVia(ctx, d, nil)
}

// deployTreeIn is deployTree inside tx, an Update transaction, which reads
// and records the git blob ids. A deploy that was finalized has them
// recorded already, so its tree needs no file read.
func (s *Service) deployTreeIn(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deploy) (*gitrepo.Tree, error) {
	return s.deployTreeVia(ctx, d, tx)
}

// deployTreeVia is deployTree reading and recording git blob ids in tx,
// or in transactions of its own when tx is nil.
func (s *Service) deployTreeVia(ctx context.Context, d *dagdeck.Deploy, tx dagdeck.Tx) (*gitrepo.Tree, error) {
	key := d.ImageDigest + "|" + d.DagBundleDigest
	if t, ok := s.trees.get(key); ok {
		return t, nil
	}
	t, err := s.buildTree(ctx, d, tx)
	if err == nil && tx == nil { // with tx, the ids it records may yet roll back
		s.trees.put(key, t)
	}
	return t, err
}

func (s *Service) buildTree(ctx context.Context, d *dagdeck.Deploy, tx dagdeck.Tx) (*gitrepo.Tree, error) {
	files, err := s.codeFiles(ctx, d)
	if err != nil {
		return nil, err
	}
	ids, err := s.gitBlobIDs(ctx, blobSizes(files), tx)
	if err != nil {
		return nil, err
	}
	out := make([]gitrepo.File, len(files))
	for i, f := range files {
		g := gitrepo.File{Path: f.Path, Mode: gitrepo.ModeOf(f.Mode), Size: f.Size, Digest: f.Digest, Target: f.Target}
		if g.Mode == gitrepo.ModeSymlink {
			g.Blob = gitrepo.HashObject(gitrepo.TypeBlob, []byte(f.Target))
		} else if g.Blob, err = gitrepo.ParseHash(ids[f.Digest]); err != nil {
			return nil, fmt.Errorf("git blob id of %s: %w", f.Digest, err)
		}
		out[i] = g
	}
	return gitrepo.BuildTree(out)
}

// blobSizes returns the size of each distinct file digest.
func blobSizes(files []dagdeck.ManifestFile) map[string]int64 {
	out := make(map[string]int64)
	for _, f := range files {
		if f.Digest != "" {
			out[f.Digest] = f.Size
		}
	}
	return out
}

// gitBlobIDs returns the git blob id of every digest: recorded ones from
// memory (s.gitIDs) or the store, the others computed (while uploaded, or
// by reading the blobs in parallel) and then recorded, in batches. A
// deploy that changes a few files of the last one asks the store about
// those only.
//
// With tx set, ids are read and recorded there; the ones it records are
// not remembered as recorded, as tx may yet roll back.
func (s *Service) gitBlobIDs(ctx context.Context, sizes map[string]int64, tx dagdeck.Tx) (map[string]string, error) {
	view, update := s.store.View, s.store.Update
	if tx != nil {
		in := func(_ context.Context, fn func(dagdeck.Tx) error) error { return fn(tx) }
		view, update = in, in
	}
	ids := make(map[string]string, len(sizes))
	var digests []string
	for d := range sizes {
		if id, ok := s.gitIDs.get(d); ok {
			ids[d] = id
		} else {
			digests = append(digests, d)
		}
	}
	if len(digests) > 0 {
		var recorded map[string]string
		err := view(ctx, func(tx dagdeck.Tx) (err error) {
			recorded, err = tx.GitBlobIDs(ctx, digests)
			return err
		})
		if err != nil {
			return nil, err
		}
		for d, id := range recorded {
			ids[d] = id
			s.gitIDs.put(d, id)
		}
	}
	var missing []string
	for _, d := range digests {
		if ids[d] == "" {
			missing = append(missing, d)
		}
	}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), gitBlobBatch)]
		missing = missing[len(batch):]
		computed, err := s.hashGitBlobs(ctx, batch, sizes)
		if err != nil {
			return nil, err
		}
		if err := update(ctx, func(tx dagdeck.Tx) error { return tx.PutGitBlobIDs(ctx, computed) }); err != nil {
			return nil, err
		}
		for d, id := range computed {
			ids[d] = id
			if tx == nil {
				s.gitIDs.put(d, id)
			}
		}
	}
	return ids, nil
}

// hashGitBlobs reads each blob and returns its git blob id.
func (s *Service) hashGitBlobs(ctx context.Context, digests []string, sizes map[string]int64) (map[string]string, error) {
	out := make([]string, len(digests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(gitHashWorkers)
	for i, d := range digests {
		g.Go(func() (err error) {
			out[i], err = s.hashGitBlob(gctx, d, sizes[d])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(digests))
	for i, d := range digests {
		m[d] = out[i]
	}
	return m, nil
}

// hashGitBlob returns the git blob id of a blob of the recorded size: the
// one computed while it was uploaded, or by reading it.
func (s *Service) hashGitBlob(ctx context.Context, digest string, size int64) (string, error) {
	if id, ok := s.uploadedGitIDs.get(digest); ok {
		return id, nil
	}
	rc, err := s.artifacts.Open(ctx, digest)
	if err != nil {
		return "", fmt.Errorf("open blob %s: %w", digest, err)
	}
	defer rc.Close()
	h := gitrepo.NewObjectHash(gitrepo.TypeBlob, size)
	n, err := blobio.Copy(h, io.LimitReader(rc, size+1))
	if err != nil {
		return "", fmt.Errorf("read blob %s: %w", digest, err)
	}
	if n != size {
		return "", fmt.Errorf("blob %s is %d bytes, recorded as %d", digest, n, size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
