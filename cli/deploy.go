package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// deployOptions are the flags and argument of `deploy`.
type deployOptions struct {
	dir         string
	deployment  string
	description string
	imageName   string
	dags        bool
	image       bool
	wait        bool
	waitTimeout time.Duration
	force       bool
}

func newDeployCmd(f *factory) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy [DIR] --deployment ID_OR_NAME",
		Short: "Deploy a project folder to a Deployment",
		Long: `Deploy a project folder (default: the current directory) to a Deployment.

Files are content-addressed: only files the server does not have yet are
uploaded. From a clean git checkout the commit subject is the default
description and the commit, branch and remote are recorded; a checkout with
uncommitted changes is refused unless you pass -f.

  (no flag)  deploy the image and the DAGs (IMAGE_AND_DAG)
  --dags     deploy only dags/ (needs DAG deploys enabled on the Deployment)
  --image    deploy only the image; the DAGs stay as they are

With --image-name REF (repository:tag or repository@sha256:…) the image is
an external one in an OCI registry instead of the project's files. The CLI
resolves REF in its registry, with the credentials of your Docker config
(docker login), and records the digest it points to now, so a rollback
restores exactly that image even if the tag is moved later. A REF the
registry does not have is refused before anything is recorded.`,
		Example: `  dagdeck deploy --deployment etl-prod
  dagdeck deploy ./project --deployment etl-prod --description "Add monitor_weather DAG"
  dagdeck deploy --deployment etl-prod --dags
  dagdeck deploy --deployment etl-prod --image --image-name registry.example.com/etl:1.4.2`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = "."
			if len(args) == 1 {
				o.dir = args[0]
			}
			if err := o.validate(); err != nil {
				return err
			}
			return f.runDeploy(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.description, "description", "", "why you deploy (default: the git commit subject)")
	fl.BoolVar(&o.dags, "dags", false, "deploy only the DAGs")
	fl.BoolVar(&o.image, "image", false, "deploy only the image")
	fl.StringVar(&o.imageName, "image-name", "", "deploy this external image (repository:tag or repository@sha256:…), pinned by its registry digest, instead of packaging the image")
	fl.BoolVar(&o.wait, "wait", false, "wait until the runtime has loaded the new code")
	fl.DurationVar(&o.waitTimeout, "wait-timeout", 5*time.Minute, "how long --wait waits")
	fl.BoolVarP(&o.force, "force", "f", false, "deploy even with uncommitted git changes")
	f.deploymentFlag(cmd, &o.deployment)
	cmd.MarkFlagsMutuallyExclusive("dags", "image")
	cmd.MarkFlagsMutuallyExclusive("dags", "image-name")
	return cmd
}

// validate checks the flags before anything is sent.
func (o *deployOptions) validate() error {
	if err := dagdeck.ValidateDescription(o.description); err != nil {
		return usagef("--description: %s", dagdeck.ErrorMessage(err))
	}
	if o.waitTimeout <= 0 {
		return usagef("--wait-timeout must be positive")
	}
	return nil
}

// deployType is the type of deploy the flags ask for.
func (o *deployOptions) deployType() dagdeck.DeployType {
	switch {
	case o.dags:
		return dagdeck.DeployDAGOnly
	case o.image:
		return dagdeck.DeployImageOnly
	}
	return dagdeck.DeployImageAndDAG
}

// runDeploy packs the project, creates the deploy, uploads what the server
// lacks, finalizes, and reports.
func (f *factory) runDeploy(ctx context.Context, o *deployOptions) error {
	dep, err := f.client().GetDeployment(ctx, o.deployment)
	if err != nil {
		return err
	}
	if o.dags && !dep.IsDagDeployEnabled {
		return fmt.Errorf("DAG deploys are disabled on Deployment %s, so --dags cannot be used: deploy without --dags, or enable them with `dagdeck deployment update %s --dag-deploy=true`", dep.Name, dep.Name)
	}
	description, git, err := f.gitSource(ctx, o)
	if err != nil {
		return err
	}
	pinned, err := f.pinImage(ctx, o.imageName)
	if err != nil {
		return err
	}
	p, err := f.pack(ctx, o.dir)
	if err != nil {
		return fmt.Errorf("pack %s: %w", o.dir, err)
	}
	req, err := newDeployCreate(o, dep, p, description, git)
	if err != nil {
		return err
	}
	req.ImageRegistryDigest = pinned
	created, err := f.client().CreateDeploy(ctx, dep.ID, req)
	if err != nil {
		return err
	}
	up := newUploader(f, p, totalDigests(req))
	d, err := up.run(ctx, dep, created)
	if err != nil {
		return err
	}
	return f.reportDeploy(ctx, o, dep, d, up, p)
}

// pinImage resolves an external image reference in its registry and
// returns the digest it points to ("" without a reference). A reference
// the registry refuses stops the deploy before anything is packed or
// recorded.
func (f *factory) pinImage(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	img, err := f.resolveImage(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("%w; nothing was deployed", err)
	}
	fmt.Fprintf(f.errOut, "Resolved %s to %s.\n", ref, img.Pinned())
	return img.Digest, nil
}

// reportDeploy waits for the runtime when asked and prints the result.
func (f *factory) reportDeploy(ctx context.Context, o *deployOptions, dep *dagdeck.Deployment, d *dagdeck.Deploy, up *uploader, p project) error {
	var waited string
	if o.wait {
		var err error
		if waited, err = f.waitForRuntime(ctx, dep, d, hasDAGFiles(p), o.waitTimeout); err != nil {
			return err
		}
	}
	if f.json() {
		if err := f.printJSON(d); err != nil {
			return err
		}
	} else {
		printDeploySummary(f.out, dep, d, up)
		if waited != "" {
			fmt.Fprintln(f.out, waited)
		}
	}
	if o.wait {
		return nil // the runtime has reported the deploy
	}
	return checkActivation(f.errOut, d)
}
