package cli

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
)

var (
	dockerfileDigest = digestOf("FROM dagdeck/runtime:1.1.0\n")
	dagDigest        = digestOf("weather:\n  schedule: '@daily'\n")
	sqlDigest        = digestOf("select 1;\n")
)

func cleanGit(context.Context, string) (*bundle.GitState, error) {
	return &bundle.GitState{IsRepo: true, Commit: "abc123", Subject: "Add weather DAG", Branch: "main", RemoteURL: "git@example.com:etl.git"}, nil
}

func TestDeploy_OK(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.blobs[sqlDigest] = true // uploaded by an earlier deploy
	tio := newTestFactory(t, api.start(), "")
	tio.f.readGit = cleanGit

	if code := tio.run("deploy", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	req := api.createdReqs()[0]
	if req.Type != dagdeck.DeployImageAndDAG || req.RuntimeVersion != "1.1.0" || req.Description != "Add weather DAG" {
		t.Fatalf("request: %+v", req)
	}
	if req.Git == nil || req.Git.CommitSHA != "abc123" || req.Git.Branch != "main" {
		t.Fatalf("git: %+v", req.Git)
	}
	if got := manifestPaths(req.ImageManifest); got != "Dockerfile include/query.sql" {
		t.Fatalf("image manifest: %s", got)
	}
	if got := manifestPaths(req.DagManifest); got != "dags/weather.yaml" {
		t.Fatalf("DAG manifest: %s", got)
	}
	if want := []string{dockerfileDigest, dagDigest}; !sameSet(api.uploads(), want) {
		t.Fatalf("uploaded %v, want %v", api.uploads(), want)
	}
	out := tio.out.String()
	for _, want := range []string{"Deployed #1 (d1) to etl.", "deploy-2026-11-26T14-05-09", "2026-11-26T14:05:09.0000000Z", "1.1.0", "Uploaded:     2 of 3 files (57 B of 67 B)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDeploy_FinalizeRetriesMissing(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.finalizeMissing = [][]string{{sqlDigest}, {dagDigest}}
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "--description", "retry"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if len(api.uploads()) != 5 {
		t.Fatalf("uploaded %d files, want 3 + 2 re-uploads", len(api.uploads()))
	}
	if n := strings.Count(tio.errOut.String(), "The server still lacks 1 file; uploading again."); n != 2 {
		t.Fatalf("stderr: %s", tio.errOut)
	}
	if !strings.Contains(tio.out.String(), "3 of 3 files") {
		t.Fatalf("summary: %s", tio.out)
	}
}

func TestDeploy_FinalizeGivesUp(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.finalizeMissing = [][]string{{sqlDigest}, {sqlDigest}, {sqlDigest}}
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if n := api.count("POST /api/v1/deployments/dep1/deploys/d1/finalize"); n != 3 {
		t.Fatalf("%d finalizes, want 1 + 2 retries", n)
	}
	assertOneErrorLine(t, tio.errOut.String(), "finalize: 1 file(s) of this deploy have not been uploaded", "deploy #1 (d1) was cancelled and etl still runs its previous code")
	if n := api.count("PATCH /api/v1/deployments/dep1/deploys/d1"); n != 1 {
		t.Fatalf("the unfinished deploy was cancelled %d times, want once", n)
	}
}

func TestDeploy_UploadError(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.failUploads = true
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), ": disk full; deploy #1 (d1) was cancelled", "etl still runs its previous code")
	if api.count("POST /api/v1/deployments/dep1/deploys/d1/finalize") != 0 {
		t.Fatal("finalized after an upload error")
	}
}

func TestDeploy_RetriesAcrossOutage(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.finalizeUnavailable = 2
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if n := strings.Count(tio.errOut.String(), "metadata store (PostgreSQL) unreachable; try again shortly; retrying in"); n != 2 {
		t.Errorf("%d retry notes; want 2:\n%s", n, tio.errOut)
	}
	if !strings.Contains(tio.out.String(), "Deployed #1") {
		t.Fatalf("output:\n%s", tio.out)
	}
}

func TestDeploy_UploadLease(t *testing.T) {
	t.Parallel()
	t.Run("RenewedWhileUploading", func(t *testing.T) {
		api := newFakeAPI(t)
		api.uploadsAwaitLease = true
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("deploy", "-d", "etl"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
	})
	t.Run("Lost", func(t *testing.T) {
		api := newFakeAPI(t)
		api.uploadsAwaitLease, api.leaseLost = true, true
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("deploy", "-d", "etl"); code != 1 {
			t.Fatalf("exit %d", code)
		}
		assertOneErrorLine(t, tio.errOut.String(), "deploy #1 lost its upload lease", "its lease lapsed", "etl still runs its previous code")
		if api.count("POST /api/v1/deployments/dep1/deploys/d1/finalize") != 0 {
			t.Fatal("finalized after the lease was lost")
		}
	})
}

func TestDeploy_DagsDisabled(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.deployment.IsDagDeployEnabled = false
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "--dags"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), "DAG deploys are disabled on Deployment etl, so --dags cannot be used")
	if len(api.createdReqs()) != 0 {
		t.Fatal("a deploy was created")
	}
}

func TestDeploy_Types(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		dagDeploy        bool
		args             []string
		wantType         dagdeck.DeployType
		wantImage        string // manifest paths, or "none"
		wantDAGs         string
		wantRuntime      string
		wantExternalName string
	}{
		{"full", true, nil, dagdeck.DeployImageAndDAG, "Dockerfile include/query.sql", "dags/weather.yaml", "1.1.0", ""},
		{"full, DAG deploys off", false, nil, dagdeck.DeployImageAndDAG, "Dockerfile dags/weather.yaml include/query.sql", "none", "1.1.0", ""},
		{"dags only", true, []string{"--dags"}, dagdeck.DeployDAGOnly, "none", "dags/weather.yaml", "", ""},
		{"image only", true, []string{"--image"}, dagdeck.DeployImageOnly, "Dockerfile include/query.sql", "none", "1.1.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			api.deployment.IsDagDeployEnabled = tt.dagDeploy
			tio := newTestFactory(t, api.start(), "")
			if code := tio.run(append([]string{"deploy", "-d", "etl"}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			req := api.createdReqs()[0]
			if req.Type != tt.wantType || req.RuntimeVersion != tt.wantRuntime || req.ImageName != tt.wantExternalName {
				t.Fatalf("type %s runtime %q image name %q", req.Type, req.RuntimeVersion, req.ImageName)
			}
			if got := manifestPaths(req.ImageManifest); got != tt.wantImage {
				t.Errorf("image manifest: %s, want %s", got, tt.wantImage)
			}
			if got := manifestPaths(req.DagManifest); got != tt.wantDAGs {
				t.Errorf("DAG manifest: %s, want %s", got, tt.wantDAGs)
			}
		})
	}
}

func TestDeploy_Git(t *testing.T) {
	t.Parallel()
	dirty := func(context.Context, string) (*bundle.GitState, error) {
		return &bundle.GitState{IsRepo: true, Dirty: true, Commit: "abc", Subject: "wip"}, nil
	}
	broken := func(context.Context, string) (*bundle.GitState, error) { return nil, errors.New("git exploded") }
	tests := []struct {
		name     string
		git      func(context.Context, string) (*bundle.GitState, error)
		args     []string
		wantErr  string
		wantDesc string
		wantGit  bool
	}{
		{"clean, explicit description", cleanGit, []string{"--description", "mine"}, "", "mine", true},
		{"clean, subject as description", cleanGit, nil, "", "Add weather DAG", true},
		{"dirty refused", dirty, nil, ". has uncommitted changes; commit them or pass -f", "", false},
		{"dirty forced", dirty, []string{"-f"}, "", "", false},
		{"not a repo", nil, nil, "", "", false},
		{"git error", broken, nil, "git exploded (pass -f to deploy without git metadata)", "", false},
		{"git error forced", broken, []string{"-f", "--description", "x"}, "", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			tio := newTestFactory(t, api.start(), "")
			if tt.git != nil {
				tio.f.readGit = tt.git
			}
			code := tio.run(append([]string{"deploy", "-d", "etl"}, tt.args...)...)
			if tt.wantErr != "" {
				if code != 1 || len(api.createdReqs()) != 0 {
					t.Fatalf("exit %d, %d deploys created", code, len(api.createdReqs()))
				}
				assertOneErrorLine(t, tio.errOut.String(), tt.wantErr)
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			req := api.createdReqs()[0]
			if req.Description != tt.wantDesc || (req.Git != nil) != tt.wantGit {
				t.Fatalf("description %q git %+v", req.Description, req.Git)
			}
		})
	}
}

func TestDeploy_JSON(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var d dagdeck.Deploy
	if err := json.Unmarshal(tio.out.Bytes(), &d); err != nil || d.Status != dagdeck.DeployDeployed || d.ID != "d1" {
		t.Fatalf("stdout %s: %v", tio.out, err)
	}
}

func TestDeploy_NoRuntimeVersion(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	tio := newTestFactory(t, api.start(), "")
	proj := newFakeProject(t, "", map[string]string{"Dockerfile": "FROM scratch\n"})
	tio.f.pack = func(context.Context, string) (project, error) { return proj, nil }
	if code := tio.run("deploy", "proj/", "-d", "etl"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), "cannot tell the runtime version: proj/Dockerfile needs a line like")
}

func TestDeploy_Wait(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.dagPolls = 3
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "--wait"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if n := api.count("GET /api/v1/deployments/dep1/dags"); n != 3 {
		t.Fatalf("%d polls", n)
	}
	if !strings.Contains(tio.out.String(), "The runtime loaded 1 DAG; these files failed to import:\n  dags/bad.yaml: boom") {
		t.Fatalf("stdout:\n%s", tio.out)
	}
}

func TestDeploy_WaitWithoutRuntime(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.dagPolls = -1
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploy", "-d", "etl", "--wait"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), "deployed, but cannot wait: the server does not report DAGs (no runtime)")
}

// manifestPaths lists a manifest's paths, or "none".
func manifestPaths(m *dagdeck.Manifest) string {
	if m == nil {
		return "none"
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	return strings.Join(paths, " ")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// assertOneErrorLine checks that stderr ends with exactly one "Error: " line
// (after a prompt, which a terminal would end with the echoed newline)
// containing every want.
func assertOneErrorLine(t *testing.T, stderr string, wants ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if _, after, ok := strings.Cut(last, "[y/N] "); ok {
		last = after
	}
	if strings.Count(stderr, "Error: ") != 1 || !strings.HasPrefix(last, "Error: ") {
		t.Fatalf("want one final Error: line, stderr:\n%s", stderr)
	}
	for _, w := range wants {
		if !strings.Contains(last, w) {
			t.Errorf("error line lacks %q:\n%s", w, last)
		}
	}
}
