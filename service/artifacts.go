package service

import (
	"context"
	"io"
	"sort"

	"github.com/dagdeck/dagdeck"
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
	if err := s.artifacts.Put(ctx, digest, r, size); err != nil {
		return err
	}
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

// Artifact parts of a deploy.
const (
	PartImage = "image"
	PartDAGs  = "dags"
)

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
	case PartImage:
		digest = d.ImageDigest
	case PartDAGs:
		digest = d.DagBundleDigest
	default:
		return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "part %q: want %q or %q", part, PartImage, PartDAGs)
	}
	if digest == "" {
		return nil, nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "%s has no packaged %s", d, part)
	}
	m, err := s.LoadManifest(ctx, digest)
	return d, m, err
}

// OpenFunc returns a function opening blobs, for packers and materializers.
func (s *Service) OpenFunc(ctx context.Context) func(digest string) (io.ReadCloser, error) {
	return func(digest string) (io.ReadCloser, error) { return s.artifacts.Open(ctx, digest) }
}
