package service

import (
	"context"
	"encoding/hex"
	"io"
	"sort"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// MaxMissingQuery is how many digests one MissingBlobs call may ask about.
const MaxMissingQuery = dagdeck.MaxManifestFiles

// MissingBlobs returns those of digests the artifact store lacks. Requires
// the deployer role.
func (s *Service) MissingBlobs(ctx context.Context, digests []string) ([]string, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return nil, err
	}
	if len(digests) > MaxMissingQuery {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "%d digests asked; the limit is %d", len(digests), MaxMissingQuery)
	}
	missing := []string{}
	for _, d := range digests {
		if err := dagdeck.ValidateDigest(d); err != nil {
			return nil, err
		}
		_, err := s.artifacts.Stat(ctx, d)
		if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
			missing = append(missing, d)
		} else if err != nil {
			return nil, err
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// PutBlob stores an uploaded file, verifying it against its digest.
// Requires the deployer role. EINVALID on a digest or size mismatch.
func (s *Service) PutBlob(ctx context.Context, digest string, r io.Reader, size int64) error {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer); err != nil {
		return err
	}
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	if size < 0 || size > dagdeck.MaxFileSize {
		return dagdeck.Errorf(dagdeck.ETOOLARGE, "file of %d bytes: the limit is %d", size, int64(dagdeck.MaxFileSize))
	}
	// Its git blob id comes for free while the content streams through.
	h := gitrepo.NewObjectHash(gitrepo.TypeBlob, size)
	if err := s.artifacts.Put(ctx, digest, io.TeeReader(r, h), size); err != nil {
		return err
	}
	s.uploadedGitIDs.put(digest, hex.EncodeToString(h.Sum(nil)))
	s.obs().BlobUploaded(size)
	return nil
}

// OpenBlob opens a stored blob. Requires the viewer role.
func (s *Service) OpenBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return nil, err
	}
	return s.artifacts.Open(ctx, digest)
}

// DeployManifest returns a deploy and the manifest of its image or DAG
// bundle. ENOTFOUND if the deploy has no such part or its artifacts were
// removed.
func (s *Service) DeployManifest(ctx context.Context, deploymentIDOrName, deployID, part string) (*dagdeck.Deploy, *dagdeck.Manifest, error) {
	d, err := s.FindDeploy(ctx, deploymentIDOrName, deployID)
	if err != nil {
		return nil, nil, err
	}
	digest := ""
	switch part {
	case dagdeck.PartImage:
		digest = d.ImageDigest
	case dagdeck.PartDAGs:
		digest = d.DagBundleDigest
	default:
		return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "part %q: want %q or %q", part, dagdeck.PartImage, dagdeck.PartDAGs)
	}
	if digest == "" {
		return nil, nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "%s has no packaged %s", d, part)
	}
	m, err := s.LoadManifest(ctx, digest)
	return d, m, err
}

// DeployArchive returns a deploy and the manifests of an archive of part,
// once every file they list is stored, so a download never starts that
// cannot finish: one manifest for dagdeck.PartImage or dagdeck.PartDAGs,
// or for dagdeck.PartAll those of the whole code state
// (dagdeck.CodeManifests). Requires the
// viewer role. EINVALID for another part; ENOTFOUND, saying why, if the
// deploy has no such part or any of its files is gone.
func (s *Service) DeployArchive(ctx context.Context, deploymentIDOrName, deployID, part string) (*dagdeck.Deploy, []*dagdeck.Manifest, error) {
	d, ms, err := s.archiveManifests(ctx, deploymentIDOrName, deployID, part)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND && d != nil {
		return nil, nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "cannot download the %s of %s: %s", part, d, notStored(d))
	} else if err != nil {
		return nil, nil, err
	}
	missing, err := s.missing(ctx, ms)
	if err != nil {
		return nil, nil, err
	}
	if len(missing) > 0 {
		return nil, nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "cannot download the %s of %s: %d of its files are not stored (%s)", part, d, len(missing), notStored(d))
	}
	return d, ms, nil
}

// archiveManifests returns the manifests of a part, without checking files.
func (s *Service) archiveManifests(ctx context.Context, deploymentIDOrName, deployID, part string) (*dagdeck.Deploy, []*dagdeck.Manifest, error) {
	if part != dagdeck.PartAll {
		d, m, err := s.DeployManifest(ctx, deploymentIDOrName, deployID, part)
		if err != nil {
			return d, nil, err
		}
		return d, []*dagdeck.Manifest{m}, nil
	}
	d, err := s.FindDeploy(ctx, deploymentIDOrName, deployID)
	if err != nil {
		return nil, nil, err
	}
	if d.ImageDigest == "" && d.DagBundleDigest == "" {
		return nil, nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "%s has no packaged code", d)
	}
	ms, err := s.codeManifests(ctx, d)
	return d, ms, err
}

// codeManifests returns a deploy's code as the runtime materializes it (see
// dagdeck.CodeManifests). ENOTFOUND once a manifest is gone.
func (s *Service) codeManifests(ctx context.Context, d *dagdeck.Deploy) ([]*dagdeck.Manifest, error) {
	image, err := s.loadManifestIfAny(ctx, d.ImageDigest)
	if err != nil {
		return nil, err
	}
	dags, err := s.loadManifestIfAny(ctx, d.DagBundleDigest)
	if err != nil {
		return nil, err
	}
	return dagdeck.CodeManifests(image, dags)
}

// loadManifestIfAny is LoadManifest, or nil for no digest.
func (s *Service) loadManifestIfAny(ctx context.Context, digest string) (*dagdeck.Manifest, error) {
	if digest == "" {
		return nil, nil
	}
	return s.LoadManifest(ctx, digest)
}

// notStored says why a deploy's artifacts may be missing.
func notStored(d *dagdeck.Deploy) string {
	switch {
	case d.Status == dagdeck.DeployFailed:
		return "it FAILED before all its files were uploaded"
	case d.Status == dagdeck.DeployInitialized:
		return "its files are still being uploaded"
	}
	return "its artifacts were removed (ARTIFACTS_MISSING)"
}

// OpenFunc returns a function opening blobs, for packers and materializers.
func (s *Service) OpenFunc(ctx context.Context) func(digest string) (io.ReadCloser, error) {
	return func(digest string) (io.ReadCloser, error) { return s.artifacts.Open(ctx, digest) }
}
