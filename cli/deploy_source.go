package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
)

// project is what deploy needs of a packed project folder; *bundle.Project
// provides it in production.
type project interface {
	// Runtime returns the runtime version read from the Dockerfile.
	Runtime() string
	Image(dagDeploy bool) *dagdeck.Manifest
	DAGs() *dagdeck.Manifest
	Open(digest string) (*os.File, error)
	Size(digests []string) int64
}

// bundleProject adapts *bundle.Project to project.
type bundleProject struct{ *bundle.Project }

func (p bundleProject) Runtime() string { return p.RuntimeVersion }

func packProject(ctx context.Context, dir string) (project, error) {
	p, err := bundle.Pack(ctx, dir)
	if err != nil {
		return nil, err
	}
	return bundleProject{p}, nil
}

// gitSource returns the deploy's description and git metadata. A clean
// checkout supplies both (the commit subject is the default description); a
// dirty one is refused unless forced, and then records no git metadata.
func (f *factory) gitSource(ctx context.Context, o *deployOptions) (string, *dagdeck.Git, error) {
	st, err := f.readGit(ctx, o.dir)
	if err != nil {
		if !o.force {
			return "", nil, fmt.Errorf("read the git state of %s: %w (pass -f to deploy without git metadata)", o.dir, err)
		}
		fmt.Fprintf(f.errOut, "Warning: cannot read the git state of %s (%v); deploying without git metadata.\n", o.dir, err)
		return o.description, nil, nil
	}
	switch {
	case !st.IsRepo:
		return o.description, nil, nil
	case st.Dirty && !o.force:
		return "", nil, fmt.Errorf("%s has uncommitted changes; commit them or pass -f", o.dir)
	case st.Dirty:
		fmt.Fprintln(f.errOut, "Warning: deploying uncommitted changes; no git metadata is recorded.")
		return o.description, nil, nil
	case st.Commit == "": // a repository without commits
		return o.description, nil, nil
	}
	desc := o.description
	if desc == "" {
		desc = truncate(st.Subject, dagdeck.MaxDescriptionLen)
	}
	return desc, &dagdeck.Git{CommitSHA: st.Commit, Branch: st.Branch, RemoteURL: st.RemoteURL}, nil
}

// newDeployCreate builds the request: the manifests the deploy type needs
// on this Deployment, or an external image reference.
func newDeployCreate(o *deployOptions, dep *dagdeck.Deployment, p project, description string, git *dagdeck.Git) (dagdeck.DeployCreate, error) {
	req := dagdeck.DeployCreate{Type: o.deployType(), Description: description, Git: git}
	if req.Type != dagdeck.DeployDAGOnly {
		if req.RuntimeVersion = p.Runtime(); req.RuntimeVersion == "" {
			return req, fmt.Errorf("cannot tell the runtime version: %s/Dockerfile needs a line like `FROM quay.io/dagdeck/runtime:1.1.0`", strings.TrimRight(o.dir, "/"))
		}
		if o.imageName != "" {
			req.ImageName = o.imageName
		} else {
			req.ImageManifest = p.Image(dep.IsDagDeployEnabled)
		}
	}
	if req.Type == dagdeck.DeployDAGOnly || (req.Type == dagdeck.DeployImageAndDAG && dep.IsDagDeployEnabled) {
		req.DagManifest = p.DAGs()
	}
	return req, nil
}

// totalDigests returns the distinct file digests the request's manifests reference.
func totalDigests(req dagdeck.DeployCreate) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []*dagdeck.Manifest{req.ImageManifest, req.DagManifest} {
		if m == nil {
			continue
		}
		for _, d := range m.Digests() {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// hasDAGFiles reports whether the project has YAML DAG files for the runtime to load.
func hasDAGFiles(p project) bool {
	for _, file := range p.DAGs().Files {
		if strings.HasSuffix(file.Path, ".yaml") || strings.HasSuffix(file.Path, ".yml") {
			return true
		}
	}
	return false
}
