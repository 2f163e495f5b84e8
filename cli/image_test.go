package cli

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopRegistries()
	os.Exit(code)
}

func TestDeploy_ExternalImage(t *testing.T) {
	t.Parallel()
	reg := testenv.Registry(t)
	tests := []struct {
		name      string
		dagDeploy bool
		args      []string
		wantType  dagdeck.DeployType
		wantDAGs  string
	}{
		{"WithDAGs", true, nil, dagdeck.DeployImageAndDAG, "dags/weather.yaml"},
		{"ImageOnly", true, []string{"--image"}, dagdeck.DeployImageOnly, "none"},
		{"DAGDeploysOff", false, nil, dagdeck.DeployImageAndDAG, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ref := reg.Repository(t) + ":1.4"
			digest := reg.Push(t, ref)
			api := newFakeAPI(t)
			api.deployment.IsDagDeployEnabled = tt.dagDeploy
			tio := newTestFactory(t, api.start(), "")
			if code := tio.run(append([]string{"deploy", "-d", "etl", "--image-name", ref}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			req := api.createdReqs()[0]
			if req.Type != tt.wantType || req.ImageName != ref || req.ImageRegistryDigest != digest || req.ImageManifest != nil {
				t.Fatalf("request: type %s, image %q at %q, manifest %v; pushed %s", req.Type, req.ImageName, req.ImageRegistryDigest, req.ImageManifest, digest)
			}
			if got := manifestPaths(req.DagManifest); got != tt.wantDAGs {
				t.Errorf("DAG manifest: %s, want %s", got, tt.wantDAGs)
			}
			pinned := strings.TrimSuffix(ref, ":1.4") + "@" + digest
			if !strings.Contains(tio.errOut.String(), "Resolved "+ref+" to "+pinned) {
				t.Errorf("no word of the resolution: %s", tio.errOut)
			}
		})
	}
}

func TestDeploy_ExternalImageByDigest(t *testing.T) {
	t.Parallel()
	reg := testenv.Registry(t)
	repo := reg.Repository(t)
	digest := reg.Push(t, repo+":1.4")
	api := newFakeAPI(t)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "--image", "--image-name", repo+"@"+digest); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if req := api.createdReqs()[0]; req.ImageName != repo+"@"+digest || req.ImageRegistryDigest != digest {
		t.Fatalf("request: image %q at %q", req.ImageName, req.ImageRegistryDigest)
	}
	unknown := dagdeck.DigestOf([]byte("never pushed"))
	if code := tio.run("deploy", "-d", "etl", "--image", "--image-name", repo+"@"+unknown); code != 1 {
		t.Fatalf("deploy of an unknown digest: exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), repo+"@"+unknown+" does not exist", "MANIFEST_UNKNOWN")
	if n := len(api.createdReqs()); n != 1 {
		t.Fatalf("%d deploys created, want 1", n)
	}
}

func TestDeploy_ExternalImageRefused(t *testing.T) {
	t.Parallel()
	reg, locked := testenv.Registry(t), testenv.RegistryWithAuth(t)
	lockedRef := locked.Repository(t) + ":1"
	locked.Push(t, lockedRef)
	tests := []struct {
		name string
		ref  string
		want []string
	}{
		{"UnknownTag", reg.Repository(t) + ":nope", []string{":nope does not exist; the registry answered", "MANIFEST_UNKNOWN", "nothing was deployed"}},
		{"RegistryDown", closedAddr(t) + "/etl:1", []string{"cannot reach the registry", "connection refused", "nothing was deployed"}},
		{"Unauthorized", lockedRef, []string{"refused access to " + lockedRef, "docker login " + locked.Host, "UNAUTHORIZED", "nothing was deployed"}},
		{"NoTag", reg.Repository(t), []string{"want repository:tag or repository@sha256:…", "nothing was deployed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			tio := newTestFactory(t, api.start(), "")
			if code := tio.run("deploy", "-d", "etl", "--image-name", tt.ref); code != 1 {
				t.Fatalf("exit %d", code)
			}
			assertOneErrorLine(t, tio.errOut.String(), tt.want...)
			if api.count("POST /api/v1/deployments/dep1/deploys") != 0 || len(api.createdReqs()) != 0 {
				t.Fatal("a deploy was created for a reference the registry refused")
			}
		})
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// pinnedRollbackAPI returns a fake whose plan rolls back from #2 to #1,
// two deploys of repo:prod pinned at from and to.
func pinnedRollbackAPI(t *testing.T, repo, to, from string) *fakeAPI {
	api := rollbackAPI(t, false)
	api.deploys = api.deploys[:0]
	for _, digest := range []string{to, from} {
		api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageOnly, Status: dagdeck.DeployDeployed, RuntimeVersion: "2.0.0",
			ImageRepository: repo, ImageTag: "prod", ImageRegistryDigest: digest, CreatedAt: testTime, Rollback: dagdeck.RollbackEligibility{Eligible: true}})
	}
	api.plan.CurrentDeploy = api.deploys[1]
	api.plan.Image = dagdeck.Change{From: repo + ":prod", To: repo + ":prod"}
	api.plan.PinnedImage = dagdeck.Change{From: repo + "@" + from, To: repo + "@" + to, Changed: true}
	return api
}

func TestRollback_PinnedImagePlan(t *testing.T) {
	t.Parallel()
	reg := testenv.Registry(t)
	t.Run("TagMoved", func(t *testing.T) {
		t.Parallel()
		repo := reg.Repository(t)
		first := reg.Push(t, repo+":prod")
		second := reg.Push(t, repo+":prod")
		tio := newTestFactory(t, pinnedRollbackAPI(t, repo, first, second).start(), "")
		if code := tio.run("rollback", "#1", "-d", "etl", "--dry-run"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		wantAll(t, tio.out.String(),
			"Image:         "+repo+":prod (unchanged)",
			"Image pinned:  "+repo+"@"+second+" → "+repo+"@"+first,
			"The tag "+repo+":prod now points elsewhere ("+second+"); the rollback restores the pinned "+repo+"@"+first+", not the tag.")
	})
	t.Run("TagInPlace", func(t *testing.T) {
		t.Parallel()
		repo := reg.Repository(t)
		first := reg.Push(t, repo+":prod")
		tio := newTestFactory(t, pinnedRollbackAPI(t, repo, first, dagdeck.DigestOf([]byte("other"))).start(), "")
		if code := tio.run("rollback", "#1", "-d", "etl", "--dry-run"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		wantAll(t, tio.out.String(), "The tag "+repo+":prod still points to the pinned "+first)
	})
	t.Run("RegistryDown", func(t *testing.T) {
		t.Parallel()
		repo := closedAddr(t) + "/etl"
		pin := dagdeck.DigestOf([]byte("a"))
		api := pinnedRollbackAPI(t, repo, pin, dagdeck.DigestOf([]byte("b")))
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("rollback", "#1", "-d", "etl", "--description", "back", "--yes"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		wantAll(t, tio.out.String(), "Could not check whether "+repo+":prod still points to "+pin+": cannot reach the registry", "Rolled back etl to deploy #1", "Image pinned:  "+repo+"@"+pin)
		if reqs := api.rollbackReqs(); len(reqs) != 2 || reqs[1].DryRun {
			t.Fatalf("rollback requests: %+v", reqs)
		}
	})
}

func TestDeploys_PinnedImage(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	pin := dagdeck.DigestOf([]byte("etl 1.4"))
	d := api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageOnly, Status: dagdeck.DeployDeployed, RuntimeVersion: "2.0.0",
		ImageRepository: "reg.example.com/etl", ImageTag: "1.4", ImageRegistryDigest: pin, CreatedAt: testTime})
	url := api.start()
	list := newTestFactory(t, url, "")
	if code := list.run("deploys", "list", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, list.errOut)
	}
	wantAll(t, list.out.String(), "reg.example.com/etl:1.4 @"+pin[:len("sha256:")+12]+" ")
	inspect := newTestFactory(t, url, "")
	if code := inspect.run("deploys", "inspect", d.ID, "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, inspect.errOut)
	}
	wantAll(t, inspect.out.String(), "Image pinned:        reg.example.com/etl@"+pin)
}

func wantAll(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
