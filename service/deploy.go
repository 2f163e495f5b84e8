package service

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
	"golang.org/x/sync/errgroup"
)

// CreateDeploy starts a deploy: it validates the request against the
// Deployment and its current deploy, stores the manifests, records an
// INITIALIZED deploy and answers with the file digests still to upload.
// Requires the deployer role.
//
// EINVALID for a bad request (type, description, manifests, runtime
// version, --dags with DAG deploys disabled, a lowered runtime);
// ENOTFOUND for an unknown Deployment; ECONFLICT while another deploy of the
// Deployment is in progress.
func (s *Service) CreateDeploy(ctx context.Context, deploymentIDOrName string, req dagdeck.DeployCreate) (*dagdeck.DeployCreated, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleDeployer)
	if err != nil {
		return nil, err
	}
	if err := validateDeployCreate(&req); err != nil {
		return nil, err
	}
	if _, err := s.failLapsedUpload(ctx, deploymentIDOrName); err != nil {
		return nil, err
	}
	var out dagdeck.DeployCreated
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.LockGC(ctx, false); err != nil {
			return err
		}
		dep, err := s.lockDeploymentForDeploy(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if err := s.refuseDuringRollbackTurn(ctx, tx, dep); err != nil {
			return err
		}
		prev, err := latestDeployed(ctx, tx, dep.ID)
		if err != nil {
			return err
		}
		d, manifests, err := s.newDeploy(ctx, tx, dep, prev, req, actor)
		if err != nil {
			return err
		}
		if err := s.storeManifests(ctx, manifests); err != nil {
			return err
		}
		if err := tx.CreateDeploy(ctx, d); err != nil {
			return err
		}
		out.Deploy = d
		stored, err := s.currentManifests(ctx, tx, dep)
		if err != nil {
			return err
		}
		if out.Missing, err = s.missing(ctx, manifests, stored...); err != nil {
			return err
		}
		summary := deploySummary(d)
		summary["filesMissing"] = len(out.Missing)
		return s.record(ctx, tx, deployChange(dagdeck.AuditDeployCreated, d, summary))
	})
	if err != nil {
		return nil, err
	}
	s.obs().BlobsDeduplicated(storedBytes(&req, out.Missing))
	s.logger.Info("deploy created", "deployment", out.Deploy.DeploymentID, "deploy", out.Deploy.ID, "type", out.Deploy.Type, "missing", len(out.Missing))
	return &out, nil
}

func validateDeployCreate(req *dagdeck.DeployCreate) error {
	if !req.Type.Valid() {
		return dagdeck.Errorf(dagdeck.EINVALID, "deploy type %q: want %s, %s or %s", req.Type, dagdeck.DeployImageAndDAG, dagdeck.DeployDAGOnly, dagdeck.DeployImageOnly)
	}
	if err := dagdeck.ValidateDescription(req.Description); err != nil {
		return err
	}
	if g := req.Git; g != nil && (len(g.CommitSHA) > 64 || len(g.Branch) > 255 || len(g.RemoteURL) > 1024) {
		return dagdeck.Errorf(dagdeck.EINVALID, "git metadata too long")
	} else if g != nil && dagdeck.HasControlChar(g.CommitSHA+g.Branch+g.RemoteURL) {
		return dagdeck.Errorf(dagdeck.EINVALID, "git metadata contains control characters")
	}
	if req.Type != dagdeck.DeployDAGOnly {
		if req.RuntimeVersion == "" {
			return dagdeck.Errorf(dagdeck.EINVALID, "runtime version is required: the CLI reads it from the Dockerfile's FROM …:<version> tag")
		}
		if err := dagdeck.ValidateRuntimeVersion(req.RuntimeVersion); err != nil {
			return err
		}
	}
	switch {
	case req.Type == dagdeck.DeployDAGOnly && req.DagManifest == nil:
		return dagdeck.Errorf(dagdeck.EINVALID, "a DAG_ONLY deploy needs a DAG bundle manifest")
	case req.Type == dagdeck.DeployDAGOnly && (req.ImageManifest != nil || req.ImageName != ""):
		return dagdeck.Errorf(dagdeck.EINVALID, "a DAG_ONLY deploy must not carry an image")
	case req.Type != dagdeck.DeployDAGOnly && req.ImageName == "" && req.ImageManifest == nil:
		return dagdeck.Errorf(dagdeck.EINVALID, "an image deploy needs an image manifest or an image name")
	case req.ImageName != "" && req.ImageManifest != nil:
		return dagdeck.Errorf(dagdeck.EINVALID, "give either an image manifest or an image name, not both")
	case req.Type == dagdeck.DeployImageOnly && req.DagManifest != nil:
		return dagdeck.Errorf(dagdeck.EINVALID, "an IMAGE_ONLY deploy must not carry a DAG bundle")
	}
	if err := validateExternalImage(req); err != nil {
		return err
	}
	for _, m := range []*dagdeck.Manifest{req.ImageManifest, req.DagManifest} {
		if m == nil {
			continue
		}
		if err := m.Validate(); err != nil {
			return err
		}
	}
	if req.ImageManifest != nil && req.ImageManifest.Kind != dagdeck.ManifestImage {
		return dagdeck.Errorf(dagdeck.EINVALID, "image manifest has kind %q", req.ImageManifest.Kind)
	}
	if req.DagManifest != nil && req.DagManifest.Kind != dagdeck.ManifestDAGs {
		return dagdeck.Errorf(dagdeck.EINVALID, "DAG bundle manifest has kind %q", req.DagManifest.Kind)
	}
	return nil
}

// validateExternalImage checks an external image reference and its
// registry digest. The server does not contact registries: the CLI
// resolves the reference with the user's credentials, and the server
// checks that what it receives is well-formed and consistent.
func validateExternalImage(req *dagdeck.DeployCreate) error {
	if req.ImageName == "" {
		if req.ImageRegistryDigest != "" {
			return dagdeck.Errorf(dagdeck.EINVALID, "an image registry digest needs an image name")
		}
		return nil
	}
	_, tag, err := parseImageRef(req.ImageName)
	if err != nil {
		return err
	}
	if req.ImageRegistryDigest == "" {
		return dagdeck.Errorf(dagdeck.EINVALID, "image %s needs its registry digest (imageRegistryDigest): resolve the reference in its registry first, as `dagdeck deploy --image-name` does", req.ImageName)
	}
	if err := dagdeck.ValidateDigest(req.ImageRegistryDigest); err != nil {
		return dagdeck.Errorf(dagdeck.EINVALID, "image registry digest: %s", dagdeck.ErrorMessage(err))
	}
	if isDigest(tag) && tag != req.ImageRegistryDigest {
		return dagdeck.Errorf(dagdeck.EINVALID, "image %s is given by digest, but its registry digest says %s", req.ImageName, req.ImageRegistryDigest)
	}
	return nil
}

// isDigest reports whether an image reference's tag part is a digest
// (the reference was repository@sha256:…).
func isDigest(tag string) bool { return strings.HasPrefix(tag, "sha256:") }

// parseImageRef splits "repo[:tag]" (a digest reference "repo@sha256:…" keeps its digest as tag).
func parseImageRef(ref string) (repo, tag string, err error) {
	if len(ref) > 512 || strings.ContainsAny(ref, " ") || dagdeck.HasControlChar(ref) {
		return "", "", dagdeck.Errorf(dagdeck.EINVALID, "invalid image name %q", ref)
	}
	if i := strings.Index(ref, "@"); i > 0 {
		return ref[:i], ref[i+1:], nil
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") && i > 0 && i < len(ref)-1 {
		return ref[:i], ref[i+1:], nil
	}
	return "", "", dagdeck.Errorf(dagdeck.EINVALID, "image name %q needs a tag (repository:tag)", ref)
}

// lockDeploymentForDeploy resolves and locks the Deployment and refuses if a
// deploy of it is still in progress.
func (s *Service) lockDeploymentForDeploy(ctx context.Context, tx dagdeck.Tx, idOrName string) (*dagdeck.Deployment, error) {
	dep, err := lockDeployment(ctx, tx, idOrName)
	if err != nil {
		return nil, err
	}
	if err := refuseInFlight(ctx, tx, dep); err != nil {
		return nil, err
	}
	return dep, nil
}

// refuseInFlight returns a busy ECONFLICT while a deploy of dep is still in
// progress.
func refuseInFlight(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) error {
	inflight, err := tx.LatestDeploy(ctx, dep.ID, dagdeck.DeployInitialized)
	switch {
	case err == nil:
		return busy(dagdeck.Errorf(dagdeck.ECONFLICT, "%s of Deployment %s is still in progress (started %s by %s); wait for it to finish (if its client has gone, it fails once its upload lease lapses), or cancel it with `dagdeck deploys cancel %s`", inflight, dep.Name, inflight.CreatedAt.Format("2006-01-02 15:04:05Z"), inflight.CreatedBy.Name, inflight.ID))
	case dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND:
		return err
	}
	return nil
}

// currentManifests returns the manifests of dep's current deploy, whose
// files are stored: each was verified when that deploy was finalized, and
// GC keeps every current deploy's files. None when there is no current
// deploy or its manifests are gone.
func (s *Service) currentManifests(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment) ([]*dagdeck.Manifest, error) {
	if dep.CurrentDeployID == "" {
		return nil, nil
	}
	cur, err := tx.FindDeploy(ctx, dep.CurrentDeployID)
	if err != nil {
		return nil, err
	}
	ms, err := s.manifestsOf(ctx, cur)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, nil
	}
	return ms, err
}

// latestDeployed returns the Deployment's most recent DEPLOYED deploy, or nil.
func latestDeployed(ctx context.Context, tx dagdeck.Tx, deploymentID string) (*dagdeck.Deploy, error) {
	d, err := tx.LatestDeploy(ctx, deploymentID, dagdeck.DeployDeployed)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, nil
	}
	return d, err
}

// newDeploy builds the INITIALIZED deploy for req: the parts it carries, and
// the rest carried forward from prev, the current deploy.
func (s *Service) newDeploy(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, prev *dagdeck.Deploy, req dagdeck.DeployCreate, actor *dagdeck.Actor) (*dagdeck.Deploy, []*dagdeck.Manifest, error) {
	now := s.Now()
	d := &dagdeck.Deploy{
		ID:                 dagdeck.NewID(),
		DeploymentID:       dep.ID,
		Type:               req.Type,
		Status:             dagdeck.DeployInitialized,
		Description:        req.Description,
		CreatedAt:          now,
		CreatedBy:          *actor,
		IsDagDeployEnabled: dep.IsDagDeployEnabled,
		Git:                req.Git,
		LeaseExpiresAt:     ptr(now.Add(s.uploadLease)),
	}
	var manifests []*dagdeck.Manifest
	if req.DagManifest != nil && !dep.IsDagDeployEnabled {
		if req.Type == dagdeck.DeployDAGOnly {
			return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "DAG deploys are disabled for Deployment %s: deploy the whole project (without --dags), or enable them with `dagdeck deployment update %s --dag-deploy=true`", dep.Name, dep.Name)
		}
		return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "DAG deploys are disabled for Deployment %s: the DAGs belong inside the image, not in a separate bundle", dep.Name)
	}
	if req.Type == dagdeck.DeployImageAndDAG && dep.IsDagDeployEnabled && req.DagManifest == nil {
		return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "DAG deploys are enabled for Deployment %s: a full deploy needs a DAG bundle manifest", dep.Name)
	}

	// Image: new, or carried forward.
	if req.Type == dagdeck.DeployDAGOnly {
		if prev == nil {
			return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "Deployment %s has no image yet: the first deploy must include the image (run `dagdeck deploy` without --dags)", dep.Name)
		}
		d.ImageRepository, d.ImageTag, d.ImageDigest, d.RuntimeVersion = prev.ImageRepository, prev.ImageTag, prev.ImageDigest, prev.RuntimeVersion
		d.ImageRegistryDigest = prev.ImageRegistryDigest
	} else {
		if prev != nil && dagdeck.CompareVersions(req.RuntimeVersion, prev.RuntimeVersion) < 0 {
			return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "cannot deploy a downgraded runtime: Deployment %s runs %s and the project asks for %s; only a rollback may lower the runtime version", dep.Name, prev.RuntimeVersion, req.RuntimeVersion)
		}
		d.RuntimeVersion = req.RuntimeVersion
		if req.ImageName != "" {
			d.ImageRepository, d.ImageTag, _ = parseImageRef(req.ImageName)
			d.ImageRegistryDigest = req.ImageRegistryDigest
		} else {
			tag, err := uniqueImageTag(ctx, tx, dep.ID, now)
			if err != nil {
				return nil, nil, err
			}
			_, digest, err := req.ImageManifest.Encode()
			if err != nil {
				return nil, nil, fmt.Errorf("encode image manifest: %w", err)
			}
			d.ImageRepository, d.ImageTag, d.ImageDigest = "dagdeck/"+dep.Name, tag, digest
			manifests = append(manifests, req.ImageManifest)
		}
	}

	// DAG bundle: new, or carried forward (only while DAG deploys stay enabled).
	if req.DagManifest != nil {
		_, digest, err := req.DagManifest.Encode()
		if err != nil {
			return nil, nil, fmt.Errorf("encode DAG manifest: %w", err)
		}
		d.DagBundleVersion, d.DagBundleDigest = dagdeck.BundleVersionFor(now), digest
		manifests = append(manifests, req.DagManifest)
	} else if req.Type == dagdeck.DeployImageOnly && dep.IsDagDeployEnabled {
		if prev == nil || prev.DagBundleDigest == "" {
			return nil, nil, dagdeck.Errorf(dagdeck.EINVALID, "an image-only deploy keeps the current DAG bundle, but Deployment %s has none yet (DAG deploys were off or nothing was deployed): run a full deploy (without --image)", dep.Name)
		}
		d.DagBundleVersion, d.DagBundleDigest = prev.DagBundleVersion, prev.DagBundleDigest
	}
	if err := s.checkCodeState(ctx, d, req); err != nil {
		return nil, nil, err
	}
	return d, manifests, nil
}

// ptr returns a pointer to a copy of t.
func ptr(t time.Time) *time.Time { return &t }

// checkCodeState returns EINVALID unless d's image and DAG bundle (the
// request's, or carried forward from the current deploy) can be written
// into one directory.
func (s *Service) checkCodeState(ctx context.Context, d *dagdeck.Deploy, req dagdeck.DeployCreate) error {
	image, dags := req.ImageManifest, req.DagManifest
	var err error
	if image == nil && d.ImageDigest != "" {
		if image, err = s.LoadManifest(ctx, d.ImageDigest); err != nil {
			return err
		}
	}
	if dags == nil && d.DagBundleDigest != "" {
		if dags, err = s.LoadManifest(ctx, d.DagBundleDigest); err != nil {
			return err
		}
	}
	_, err = dagdeck.CodeManifests(image, dags)
	return err
}

// uniqueImageTag returns deploy-<time>, with a -2, -3, … suffix if taken.
func uniqueImageTag(ctx context.Context, tx dagdeck.Tx, deploymentID string, now time.Time) (string, error) {
	base := dagdeck.ImageTagFor(now)
	tag := base
	for i := 2; ; i++ {
		taken, err := tx.ImageTagTaken(ctx, deploymentID, tag)
		if err != nil || !taken {
			return tag, err
		}
		tag = fmt.Sprintf("%s-%d", base, i)
	}
}

// storeManifests stores each manifest as a blob under its digest.
func (s *Service) storeManifests(ctx context.Context, ms []*dagdeck.Manifest) error {
	for _, m := range ms {
		b, digest, err := m.Encode()
		if err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
		if err := s.artifacts.Put(ctx, digest, bytes.NewReader(b), int64(len(b))); err != nil {
			return fmt.Errorf("store manifest: %w", err)
		}
	}
	// A created deploy's manifests outlive a crash, whatever its files do.
	return dagdeck.SyncArtifacts(ctx, s.artifacts)
}

// statParallelism bounds concurrent Stat calls: a 2,000-file deploy on S3
// is 2,000 HEAD requests.
const statParallelism = 16

// missing returns the file digests of the manifests that the artifact store
// lacks, sorted. A stored blob of the wrong size is an error. Files that
// stored lists with the same size are not looked up (see currentManifests):
// a deploy that changes a few files costs a few lookups.
func (s *Service) missing(ctx context.Context, ms []*dagdeck.Manifest, stored ...*dagdeck.Manifest) ([]string, error) {
	known := make(map[string]int64)
	for _, m := range stored {
		for _, f := range m.Files {
			if f.Digest != "" {
				known[f.Digest] = f.Size
			}
		}
	}
	sizes := make(map[string]int64)
	for _, m := range ms {
		for _, f := range m.Files {
			if size, ok := known[f.Digest]; f.Digest != "" && (!ok || size != f.Size) {
				sizes[f.Digest] = f.Size
			}
		}
	}
	var mu sync.Mutex
	missing := []string{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(statParallelism)
	for digest, size := range sizes {
		g.Go(func() error {
			info, err := s.artifacts.Stat(gctx, digest)
			switch {
			case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
				mu.Lock()
				missing = append(missing, digest)
				mu.Unlock()
			case err != nil:
				return fmt.Errorf("stat blob: %w", err)
			case info.Size != size:
				return dagdeck.Errorf(dagdeck.EINVALID, "file %s is stored with %d bytes but the manifest says %d", digest, info.Size, size)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(missing)
	return missing, nil
}
