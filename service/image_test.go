package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// registryDigest is a made-up registry digest; the service never contacts
// registries, the CLI resolves references (see the registry package).
func registryDigest(seed string) string { return dagdeck.DigestOf([]byte("registry image " + seed)) }

// external returns a deploy request of an external image ref pinned at digest.
func external(typ dagdeck.DeployType, ref, digest string) dagdeck.DeployCreate {
	req := v1().request(typ, "1.1.0", true)
	req.ImageManifest, req.ImageName, req.ImageRegistryDigest = nil, ref, digest
	return req
}

func TestDeployService_ExternalImage(t *testing.T) {
	const ref = "registry.example.com/team/etl:prod"
	t.Run("Pinned", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		d := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageAndDAG, ref, registryDigest("a")))
		if d.ImageDigest != "" || d.ImageRegistryDigest != registryDigest("a") || d.PinnedImage() != "registry.example.com/team/etl@"+registryDigest("a") {
			t.Fatalf("deploy = %+v", d)
		}
		got, err := e.svc.FindDeploy(viewer, "prod", d.ID)
		if err != nil || got.ImageRegistryDigest != d.ImageRegistryDigest {
			t.Fatalf("stored deploy = %+v, %v", got, err)
		}
	})
	t.Run("ByDigest", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		d := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageAndDAG, "registry.example.com/etl@"+registryDigest("a"), registryDigest("a")))
		if d.ImageRepository != "registry.example.com/etl" || d.ImageTag != registryDigest("a") || d.PinnedImage() != "registry.example.com/etl@"+registryDigest("a") {
			t.Fatalf("deploy = %+v", d)
		}
	})
	t.Run("DAGOnlyCarriesThePinForward", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageAndDAG, ref, registryDigest("a")))
		e.clock.Add(time.Minute)
		p := v1()
		p["dags/report.yaml"] = "dag_id: report # v1 fixed\n"
		d := e.deploy(t, "prod", p, p.request(dagdeck.DeployDAGOnly, "", true))
		if d.PinnedImage() != first.PinnedImage() || d.ImageTag != "prod" || d.ImageDigest != "" {
			t.Fatalf("DAG-only deploy after an external image: %+v", d)
		}
	})
	t.Run("ImageOnlyBothWays", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		packaged := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Minute)
		ext := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageOnly, ref, registryDigest("a")))
		if ext.Type != dagdeck.DeployImageOnly || ext.ImageDigest != "" || ext.ImageRegistryDigest != registryDigest("a") || ext.DagBundleDigest != packaged.DagBundleDigest {
			t.Fatalf("image-only external deploy after a packaged one: %+v", ext)
		}
		e.clock.Add(time.Minute)
		back := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageOnly, "1.1.0", true))
		if back.ImageDigest != packaged.ImageDigest || back.ImageRegistryDigest != "" || back.PinnedImage() != "" || back.ImageRepository != "dagdeck/prod" {
			t.Fatalf("image-only packaged deploy after an external one: %+v", back)
		}
	})
}

func TestDeployService_ExternalImageErrors(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	const ref = "registry.example.com/etl:1"
	digestOnly := v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
	digestOnly.ImageRegistryDigest = registryDigest("a")
	tests := []struct {
		name    string
		req     dagdeck.DeployCreate
		message string
	}{
		{"NoDigest", external(dagdeck.DeployImageAndDAG, ref, ""), "needs its registry digest"},
		{"BadDigest", external(dagdeck.DeployImageAndDAG, ref, "sha256:abc"), "image registry digest: invalid digest"},
		{"DigestWithoutName", digestOnly, "needs an image name"},
		{"OtherDigestThanTheReference", external(dagdeck.DeployImageAndDAG, "registry.example.com/etl@"+registryDigest("a"), registryDigest("b")), "is given by digest, but its registry digest says"},
		{"NoTag", external(dagdeck.DeployImageAndDAG, "registry.example.com/etl", registryDigest("a")), "needs a tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateDeploy(deployer, "prod", tt.req)
			apitest.WantCode(t, err, dagdeck.EINVALID)
			if !strings.Contains(dagdeck.ErrorMessage(err), tt.message) {
				t.Fatalf("message %q does not say %q", dagdeck.ErrorMessage(err), tt.message)
			}
			if h := history(t, e, "prod"); len(h) != 0 {
				t.Fatalf("a refused deploy was recorded: %d deploys", len(h))
			}
		})
	}
}

func TestDeployService_RollbackExternalImage(t *testing.T) {
	const ref = "registry.example.com/team/etl:prod"
	t.Run("RestoresThePinnedDigestOfAMovedTag", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageAndDAG, ref, registryDigest("a")))
		e.clock.Add(time.Minute)
		e.deploy(t, "prod", v1(), external(dagdeck.DeployImageOnly, ref, registryDigest("b")))
		e.clock.Add(time.Minute)
		res := e.rollback(t, first, true)
		pin := res.Plan.PinnedImage
		if res.Plan.Image.Changed || !pin.Changed || pin.From != "registry.example.com/team/etl@"+registryDigest("b") || pin.To != first.PinnedImage() {
			t.Fatalf("plan image %+v, pinned %+v", res.Plan.Image, pin)
		}
		d := e.rollback(t, first, false).Deploy
		if d.ImageRegistryDigest != registryDigest("a") || d.ImageTag != "prod" || d.RollbackFromID != first.ID {
			t.Fatalf("rollback deploy = %+v", d)
		}
	})
	t.Run("BetweenExternalAndPackaged", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		packaged := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Minute)
		ext := e.deploy(t, "prod", v1(), external(dagdeck.DeployImageOnly, ref, registryDigest("a")))
		e.clock.Add(time.Minute)

		res := e.rollback(t, packaged, true)
		if pin := res.Plan.PinnedImage; !pin.Changed || pin.From != ext.PinnedImage() || pin.To != "" || len(res.Plan.ImageFiles.Added) == 0 {
			t.Fatalf("plan to packaged: pinned %+v, image files %+v", pin, res.Plan.ImageFiles)
		}
		toPackaged := e.rollback(t, packaged, false).Deploy
		if toPackaged.ImageDigest != packaged.ImageDigest || toPackaged.ImageRegistryDigest != "" || toPackaged.ImageTag != packaged.ImageTag {
			t.Fatalf("rollback to the packaged image: %+v", toPackaged)
		}
		e.clock.Add(time.Minute)

		res = e.rollback(t, ext, true)
		if pin := res.Plan.PinnedImage; !pin.Changed || pin.From != "" || pin.To != ext.PinnedImage() || len(res.Plan.ImageFiles.Removed) == 0 {
			t.Fatalf("plan to external: pinned %+v, image files %+v", pin, res.Plan.ImageFiles)
		}
		toExternal := e.rollback(t, ext, false).Deploy
		if toExternal.ImageDigest != "" || toExternal.PinnedImage() != ext.PinnedImage() || toExternal.DagBundleDigest != packaged.DagBundleDigest {
			t.Fatalf("rollback to the external image: %+v", toExternal)
		}
	})
}

// rollback plans (dryRun) or performs a rollback to target.
func (e *env) rollback(t *testing.T, target *dagdeck.Deploy, dryRun bool) *dagdeck.RollbackResult {
	t.Helper()
	res, err := e.svc.Rollback(deployer, target.DeploymentID, target.ID, dagdeck.RollbackRequest{Description: "back to " + target.String(), DryRun: dryRun})
	if err != nil {
		t.Fatalf("rollback to %s: %v", target, err)
	}
	return res
}
