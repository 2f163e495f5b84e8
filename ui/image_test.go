package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// TestUI_PinnedImage checks that the history, the deploy page and the
// rollback plan show an external image's pinned repository@sha256:….
func TestUI_PinnedImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.svc.CreateDeployment(adminCtx, dagdeck.DeploymentCreate{Name: "etl"}); err != nil {
		t.Fatal(err)
	}
	first, second := dagdeck.DigestOf([]byte("etl image 1")), dagdeck.DigestOf([]byte("etl image 2"))
	a := e.deployExternal(t, "etl", "registry.example.com/etl:prod", first, testNow.Add(-2*time.Hour))
	e.deployExternal(t, "etl", "registry.example.com/etl:prod", second, testNow.Add(-time.Hour))
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))

	history := b.get("/deployments/etl")
	if r := row(t, history.body, a.ID); !strings.Contains(r, `title="registry.example.com/etl@`+first+`"`) || !strings.Contains(r, "sha256:"+first[7:19]) {
		t.Errorf("history row lacks the pinned image:\n%s", r)
	}
	page := b.get("/deployments/etl/deploys/" + a.ID)
	if !strings.Contains(page.body, "Pinned image") || !strings.Contains(page.body, "registry.example.com/etl@"+first) {
		t.Errorf("deploy page lacks the pinned image:\n%s", page.body)
	}
	plan := b.get("/deployments/etl/deploys/" + a.ID + "/rollback")
	for _, s := range []string{"Pinned image", "registry.example.com/etl@" + second, "registry.example.com/etl@" + first, "the rollback restores this digest"} {
		if !strings.Contains(plan.body, s) {
			t.Errorf("rollback plan lacks %q", s)
		}
	}
}

// deployExternal deploys an external image pinned at digest, with the DAGs
// of baseProject, at time at.
func (e *env) deployExternal(t *testing.T, deployment, ref, digest string, at time.Time) *dagdeck.Deploy {
	t.Helper()
	e.clock.Set(at)
	req := dagdeck.DeployCreate{Type: dagdeck.DeployImageAndDAG, RuntimeVersion: "2.0.0", Description: "deploy " + ref,
		ImageName: ref, ImageRegistryDigest: digest, DagManifest: baseProject.manifest(dagdeck.ManifestDAGs, isDAG)}
	created, err := e.svc.CreateDeploy(deployerCtx, deployment, req)
	if err != nil {
		t.Fatalf("create deploy: %v", err)
	}
	for _, f := range req.DagManifest.Files {
		content := baseProject[f.Path]
		if err := e.svc.PutBlob(deployerCtx, f.Digest, strings.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	d, err := e.svc.FinalizeDeploy(deployerCtx, deployment, created.Deploy.ID)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	e.clock.Set(testNow)
	return d
}
