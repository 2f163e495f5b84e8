package service_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func TestDeployService_Deploy(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		d := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if d.Status != dagdeck.DeployDeployed || d.Sequence != 1 || d.FinalizedAt == nil {
			t.Fatalf("deploy = %+v", d)
		}
		if d.ImageTag != "deploy-2026-11-26T14-05-09" || d.DagBundleVersion != "2026-11-26T14:05:09.0000000Z" {
			t.Fatalf("tag %q, bundle %q", d.ImageTag, d.DagBundleVersion)
		}
		if d.CreatedBy.Name != "ci" || d.CreatedBy.Kind != dagdeck.ActorToken || d.RuntimeVersion != "1.1.0" || !d.IsDagDeployEnabled {
			t.Fatalf("deploy = %+v", d)
		}
		if !d.Rollback.Eligible {
			t.Fatalf("latest deploy not eligible: %+v", d.Rollback)
		}
		dep, _ := e.svc.FindDeployment(viewer, "prod")
		if dep.CurrentDeployID != d.ID || dep.RuntimeVersion != "1.1.0" || dep.ImageTag != d.ImageTag {
			t.Fatalf("deployment = %+v", dep)
		}
		if len(e.runtime.activated) != 1 || e.runtime.activated[0] != d.ID {
			t.Fatalf("runtime activated %v", e.runtime.activated)
		}
	})

	t.Run("UniqueImageTagsWithinASecond", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		a := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		b := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if a.ImageTag == b.ImageTag || b.ImageTag != a.ImageTag+"-2" || b.Sequence != 2 {
			t.Fatalf("tags %q and %q, sequence %d", a.ImageTag, b.ImageTag, b.Sequence)
		}
	})

	t.Run("OnlyMissingFilesAreAskedFor", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		p := v1()
		p["include/report.sh"] = "echo report v1.1\n"
		created, err := e.svc.CreateDeploy(deployer, "prod", p.request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{dagdeck.DigestOf([]byte("echo report v1.1\n"))}; len(created.Missing) != 1 || created.Missing[0] != want[0] {
			t.Fatalf("missing = %v, want %v", created.Missing, want)
		}
	})

	t.Run("DAGOnlyCarriesImageForward", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Minute)
		p := v1()
		p["dags/report.yaml"] = "dag_id: report # v1 fixed\n"
		d := e.deploy(t, "prod", p, p.request(dagdeck.DeployDAGOnly, "", true))
		if d.Type != dagdeck.DeployDAGOnly || d.ImageTag != first.ImageTag || d.ImageDigest != first.ImageDigest || d.RuntimeVersion != "1.1.0" {
			t.Fatalf("image not carried forward: %+v", d)
		}
		if d.DagBundleVersion == first.DagBundleVersion || d.DagBundleDigest == first.DagBundleDigest {
			t.Fatalf("bundle not new: %+v", d)
		}
	})

	t.Run("ImageOnlyCarriesBundleForward", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Minute)
		d := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageOnly, "2.0.0", true))
		if d.DagBundleDigest != first.DagBundleDigest || d.DagBundleVersion != first.DagBundleVersion || d.ImageTag == first.ImageTag || d.RuntimeVersion != "2.0.0" {
			t.Fatalf("deploy = %+v", d)
		}
	})

	t.Run("ExternalImageName", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		req := v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
		req.ImageManifest, req.ImageName, req.ImageRegistryDigest = nil, "registry.example.com/team/pipelines:2026.11.26", registryDigest("a")
		d := e.deploy(t, "prod", v1(), req)
		if d.ImageRepository != "registry.example.com/team/pipelines" || d.ImageTag != "2026.11.26" || d.ImageDigest != "" || d.ImageRegistryDigest != registryDigest("a") {
			t.Fatalf("deploy = %+v", d)
		}
	})

	t.Run("DAGsInsideImageWhenDisabled", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", false)
		d := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", false))
		if d.DagBundleDigest != "" || d.DagBundleVersion != "" || d.IsDagDeployEnabled {
			t.Fatalf("deploy = %+v", d)
		}
		_, m, err := e.svc.DeployManifest(viewer, "prod", d.ID, "image")
		if err != nil {
			t.Fatal(err)
		}
		if !hasPath(m, "dags/report.yaml") {
			t.Fatalf("image lacks the DAGs: %+v", m.Files)
		}
	})
}

func hasPath(m *dagdeck.Manifest, p string) bool {
	for _, f := range m.Files {
		if f.Path == p {
			return true
		}
	}
	return false
}

func TestDeployService_DeployErrors(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	e.deployment(t, "nodags", false)
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	longDesc := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	longDesc.Description = strings.Repeat("x", 501)
	badRuntime := v1().request(dagdeck.DeployImageAndDAG, "9.9.9", true)
	noRuntime := v1().request(dagdeck.DeployImageAndDAG, "", true)
	traversal := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	traversal.ImageManifest.Files[0].Path = "../etc/passwd"
	absolute := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	absolute.ImageManifest.Files[0].Path = "/etc/passwd"
	linkOut := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	linkOut.ImageManifest.Files = append(linkOut.ImageManifest.Files, dagdeck.ManifestFile{Path: "include/evil", Mode: 0o777 | 1<<27, Target: "../../etc"})
	linkClimbs := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	linkClimbs.ImageManifest.Files = append(linkClimbs.ImageManifest.Files, dagdeck.ManifestFile{Path: "include/sneaky", Mode: 0o777 | 1<<27, Target: "a/../.."})
	underFile := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	underFile.ImageManifest.Files = append(underFile.ImageManifest.Files, dagdeck.ManifestFile{Path: "include/report.sh/x", Mode: 0o644, Size: 1, Digest: dagdeck.DigestOf([]byte("x"))})
	badDigest := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	badDigest.ImageManifest.Files[0].Digest = "sha256:nothex"
	dagsIsAFile := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	dagsIsAFile.ImageManifest.Files = append(dagsIsAFile.ImageManifest.Files, dagdeck.ManifestFile{Path: "dags", Mode: 0o644, Size: 1, Digest: dagdeck.DigestOf([]byte("x"))})
	newline := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	newline.ImageManifest.Files[0].Path = "include/a\nb.sh"
	escape := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	escape.DagManifest.Files[0].Path = "dags/\x1b[2J.yaml"
	gitDir := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	gitDir.ImageManifest.Files[0].Path = ".git/hooks/post-checkout"
	nestedGit := v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true)
	nestedGit.ImageManifest.Files[0].Path = "include/vendor/.git/config"

	tests := []struct {
		name, deployment string
		req              dagdeck.DeployCreate
		code, message    string
	}{
		{"Downgrade", "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true), dagdeck.EINVALID, "cannot deploy a downgraded runtime"},
		{"DescriptionTooLong", "prod", longDesc, dagdeck.EINVALID, "description is 501 characters"},
		{"UnknownRuntime", "prod", badRuntime, dagdeck.EINVALID, "invalid runtime version \"9.9.9\""},
		{"NoRuntime", "prod", noRuntime, dagdeck.EINVALID, "runtime version is required"},
		{"PathTraversal", "prod", traversal, dagdeck.EINVALID, "\"..\" is not allowed"},
		{"AbsolutePath", "prod", absolute, dagdeck.EINVALID, "absolute paths are not allowed"},
		{"LinkOutside", "prod", linkOut, dagdeck.EINVALID, "outside the project"},
		{"LinkClimbsAfterADirectory", "prod", linkClimbs, dagdeck.EINVALID, "after a directory name"},
		{"PathUnderAFile", "prod", underFile, dagdeck.EINVALID, "not a directory"},
		{"BadDigest", "prod", badDigest, dagdeck.EINVALID, "invalid digest"},
		{"ImageFileWhereBundleNeedsDir", "prod", dagsIsAFile, dagdeck.EINVALID, `DAG bundle file "dags/report.yaml" needs "dags" to be a directory`},
		{"PathWithNewline", "prod", newline, dagdeck.EINVALID, `invalid path "include/a\nb.sh": control characters`},
		{"PathWithEscape", "prod", escape, dagdeck.EINVALID, `invalid path "dags/\x1b[2J.yaml": control characters`},
		{"GitPath", "prod", gitDir, dagdeck.EINVALID, `invalid path ".git/hooks/post-checkout": .git/`},
		{"NestedGitPath", "prod", nestedGit, dagdeck.EINVALID, `invalid path "include/vendor/.git/config": .git/`},
		{"DagsDisabled", "nodags", v1().request(dagdeck.DeployDAGOnly, "", true), dagdeck.EINVALID, "DAG deploys are disabled"},
		{"UnknownDeployment", "nope", v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true), dagdeck.ENOTFOUND, "Deployment \"nope\" not found"},
		{"BadType", "prod", dagdeck.DeployCreate{Type: "EVERYTHING"}, dagdeck.EINVALID, "deploy type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := history(t, e, "prod")
			_, err := e.svc.CreateDeploy(deployer, tt.deployment, tt.req)
			apitest.WantCode(t, err, tt.code)
			if !strings.Contains(dagdeck.ErrorMessage(err), tt.message) {
				t.Fatalf("message %q does not say %q", dagdeck.ErrorMessage(err), tt.message)
			}
			if after := history(t, e, "prod"); len(after) != len(before) {
				t.Fatalf("history changed: %d → %d deploys", len(before), len(after))
			}
		})
	}

	t.Run("ImageOnlyWithoutABundle", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "flip", false)
		e.deploy(t, "flip", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", false))
		on := true
		if _, err := e.svc.UpdateDeployment(admin, "flip", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &on}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CreateDeploy(deployer, "flip", v1().request(dagdeck.DeployImageOnly, "1.1.0", true))
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if !strings.Contains(dagdeck.ErrorMessage(err), "has none yet") {
			t.Fatalf("message %q", dagdeck.ErrorMessage(err))
		}
	})

	t.Run("DAGOnlyOverAnImageFileNamedDags", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "flip", false)
		p := v1()
		delete(p, "dags/report.yaml")
		p["dags"] = "not a directory\n"
		e.deploy(t, "flip", p, p.request(dagdeck.DeployImageAndDAG, "1.1.0", false))
		on := true
		if _, err := e.svc.UpdateDeployment(admin, "flip", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &on}); err != nil {
			t.Fatal(err)
		}
		before := history(t, e, "flip")
		_, err := e.svc.CreateDeploy(deployer, "flip", v1().request(dagdeck.DeployDAGOnly, "", true))
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if !strings.Contains(dagdeck.ErrorMessage(err), `the image has a file or symlink "dags"`) {
			t.Fatalf("message %q", dagdeck.ErrorMessage(err))
		}
		if after := history(t, e, "flip"); len(after) != len(before) {
			t.Fatalf("history changed: %d → %d deploys", len(before), len(after))
		}
	})

	t.Run("ViewerMayNotDeploy", func(t *testing.T) {
		_, err := e.svc.CreateDeploy(viewer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	})
}

func history(t *testing.T, e *env, dep string) []*dagdeck.Deploy {
	t.Helper()
	page, err := e.svc.ListDeploys(viewer, dep, "", 500)
	if err != nil {
		t.Fatal(err)
	}
	return page.Deploys
}

func TestDeployService_Finalize(t *testing.T) {
	t.Run("ErrMissingFilesThenOK", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		created, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID)
		var missing *dagdeck.MissingBlobsError
		if !errors.As(err, &missing) || len(missing.Digests) != 3 {
			t.Fatalf("err = %v, want 3 missing files", err)
		}
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if d, _ := e.svc.FindDeploy(viewer, "prod", created.Deploy.ID); d.Status != dagdeck.DeployInitialized {
			t.Fatalf("status %s after a refused finalize", d.Status)
		}
		e.upload(t, v1(), missing.Digests)
		d, err := e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID)
		if err != nil || d.Status != dagdeck.DeployDeployed {
			t.Fatalf("finalize: %v %+v", err, d)
		}
		_, err = e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID)
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
	})

	t.Run("ErrDigestMismatch", func(t *testing.T) {
		e := newEnv(t)
		digest := dagdeck.DigestOf([]byte("the real content"))
		err := e.svc.PutBlob(deployer, digest, strings.NewReader("something else!!"), 16)
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if _, err := e.artifacts.Stat(deployer, digest); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Fatalf("mismatched content was stored: %v", err)
		}
	})

	t.Run("ErrInProgress", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		if _, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
	})

	t.Run("AbandonedUploadFails", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		created, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(29 * time.Minute)
		if n, err := e.svc.FailAbandoned(admin); err != nil || n != 0 {
			t.Fatalf("failed %d early (err %v)", n, err)
		}
		e.clock.Add(2 * time.Minute)
		if n, err := e.svc.FailAbandoned(admin); err != nil || n != 1 {
			t.Fatalf("failed %d, err %v; want 1", n, err)
		}
		d, _ := e.svc.FindDeploy(viewer, "prod", created.Deploy.ID)
		if d.Status != dagdeck.DeployFailed || !strings.Contains(d.FailureReason, "abandoned") || d.Rollback.Eligible || d.Rollback.Reason != dagdeck.ReasonFailed {
			t.Fatalf("deploy = %+v", d)
		}
		dep, _ := e.svc.FindDeployment(viewer, "prod")
		if dep.CurrentDeployID != "" {
			t.Fatalf("a failed deploy became current")
		}
		// The Deployment is free for the next deploy.
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	})
}

func TestDeployService_ListDeploys(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	for i := 0; i < 7; i++ {
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Second)
	}
	var seqs []int64
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := e.svc.ListDeploys(viewer, "prod", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Deploys {
			seqs = append(seqs, d.Sequence)
		}
		if cursor = page.NextCursor; cursor == "" {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	if got := fmt.Sprint(seqs); got != "[7 6 5 4 3 2 1]" {
		t.Fatalf("sequences %s, want 7 down to 1", got)
	}
	_, err := e.svc.ListDeploys(viewer, "prod", "garbage", 3)
	apitest.WantCode(t, err, dagdeck.EINVALID)
}

func TestDeployService_PreviousDeployed(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	created, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateDeploy(deployer, "prod", created.Deploy.ID, dagdeck.DeployUpdate{Status: statusp(dagdeck.DeployFailed)}); err != nil {
		t.Fatal(err)
	}
	third := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	prev, err := e.svc.PreviousDeployed(viewer, "prod", third.ID)
	if err != nil || prev.ID != first.ID {
		t.Fatalf("previous of #3 = %v, %v; want #1 (the FAILED #2 is skipped)", prev, err)
	}
	_, err = e.svc.PreviousDeployed(viewer, "prod", first.ID)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
}

func TestDeploymentService_SecretsHidden(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	updated, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{
		{Key: "API_KEY", Value: strp("s3cret"), IsSecret: true}, {Key: "REGION", Value: strp("eu")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	found, err := e.svc.FindDeployment(viewer, "prod")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ListDeployments(viewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*dagdeck.Deployment{updated, found, list[0]} {
		if len(d.Env) != 2 || d.Env[0].Key != "API_KEY" || d.Env[0].Value != "" || !d.Env[0].IsSecret || d.Env[1].Value != "eu" {
			t.Fatalf("env as users see it = %+v", d.Env)
		}
	}
}

func TestDeployService_EditDescription(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	d := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	edit := func(ctx context.Context, text string) error {
		_, err := e.svc.UpdateDeploy(ctx, "prod", d.ID, dagdeck.DeployUpdate{Description: &text})
		return err
	}

	t.Run("ErrOtherDeployer", func(t *testing.T) {
		err := edit(as(dagdeck.RoleDeployer, "bob"), "bob was here")
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
		if !strings.Contains(dagdeck.ErrorMessage(err), "only the author of deploy #1") {
			t.Fatalf("message %q", dagdeck.ErrorMessage(err))
		}
		if got, _ := e.svc.FindDeploy(viewer, "prod", d.ID); got.Description != d.Description || len(got.DescriptionEdits) != 0 {
			t.Fatalf("deploy after a refused edit = %+v", got)
		}
	})
	t.Run("AuthorThenAdminRecorded", func(t *testing.T) {
		if err := edit(deployer, "first version of the report"); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		if err := edit(admin, "first version of the sales report"); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.FindDeploy(viewer, "prod", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []dagdeck.DescriptionEdit{
			{At: e.clock.Now().Add(-time.Minute), By: dagdeck.Actor{ID: "id-ci", Kind: dagdeck.ActorToken, Name: "ci", Role: dagdeck.RoleDeployer}, Before: d.Description, After: "first version of the report"},
			{At: e.clock.Now(), By: dagdeck.Actor{ID: "id-alice", Kind: dagdeck.ActorToken, Name: "alice", Role: dagdeck.RoleAdmin}, Before: "first version of the report", After: "first version of the sales report"},
		}
		if len(got.DescriptionEdits) != 2 {
			t.Fatalf("edits = %+v", got.DescriptionEdits)
		}
		for i, w := range want {
			g := got.DescriptionEdits[i]
			if !g.At.Equal(w.At) || g.By.ID != w.By.ID || g.By.Name != w.By.Name || g.Before != w.Before || g.After != w.After {
				t.Errorf("edit %d = %+v, want %+v", i, g, w)
			}
		}
	})
	t.Run("HistoryMarksEditedRows", func(t *testing.T) {
		page, err := e.svc.ListDeploys(viewer, "prod", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Deploys {
			if row.DescriptionEdited != (row.ID == d.ID) {
				t.Errorf("deploy #%d: descriptionEdited = %v", row.Sequence, row.DescriptionEdited)
			}
		}
	})
}

// statCounter is the file artifact store, counting Stat calls per digest.
type statCounter struct {
	*file.Store
	mu    sync.Mutex
	stats map[string]int
}

func (c *statCounter) Stat(ctx context.Context, digest string) (dagdeck.BlobInfo, error) {
	c.mu.Lock()
	c.stats[digest]++
	c.mu.Unlock()
	return c.Store.Stat(ctx, digest)
}

func (c *statCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	c.stats = map[string]int{}
	return s
}

// TestDeployService_LooksUpOnlyChangedFiles: the files of the current
// deploy are stored (GC keeps them), so a deploy that changes one file
// looks up only that file's blob, when it is created and when it is
// finalized; a file the current deploy lacks is looked up and uploaded.
func TestDeployService_LooksUpOnlyChangedFiles(t *testing.T) {
	db, fs := apitest.LocalStores(t)
	arts := &statCounter{Store: fs, stats: map[string]int{}}
	e := &env{store: db, artifacts: fs, clock: apitest.NewClock(time.Date(2026, 11, 26, 14, 5, 9, 0, time.UTC)), runtime: &fakeRuntime{}}
	e.svc = service.New(db, arts, service.WithClock(e.clock.Now), service.WithRuntime(e.runtime))
	e.deployment(t, "prod", true)
	e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	if got := arts.take(); len(got) != len(v1()) {
		t.Fatalf("the first deploy looked up %v, want each of its %d files", got, len(v1()))
	}

	changed := dagdeck.DigestOf([]byte(v1Fixed()["include/report.sh"]))
	req := v1Fixed().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
	created, err := e.svc.CreateDeploy(deployer, "prod", req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(created.Missing, []string{changed}) {
		t.Fatalf("missing = %v, want only the changed file %s", created.Missing, changed)
	}
	e.upload(t, v1Fixed(), created.Missing)
	if _, err := e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID); err != nil {
		t.Fatal(err)
	}
	if got := arts.take(); !reflect.DeepEqual(got, map[string]int{changed: 2}) {
		t.Errorf("a one-file deploy looked up %v, want the changed file once at create and once at finalize", got)
	}
}
