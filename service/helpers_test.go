package service_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// fakeRuntime records what the service tells the runtime.
type fakeRuntime struct {
	mu         sync.Mutex
	activated  []string
	downgrades []string
	fail       error // what Activate answers
	// duringDowngrade, if set, runs while PrepareDowngrade stops the tasks.
	duringDowngrade func()
}

func (r *fakeRuntime) Activate(ctx context.Context, d *dagdeck.Deploy) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.activated = append(r.activated, d.ID)
	return r.fail
}

func (r *fakeRuntime) PrepareDowngrade(ctx context.Context, deploymentID string) error {
	r.mu.Lock()
	r.downgrades = append(r.downgrades, deploymentID)
	during := r.duringDowngrade
	r.mu.Unlock()
	if during != nil {
		during()
	}
	return nil
}

type env struct {
	svc       *service.Service
	store     dagdeck.Store
	artifacts *file.Store
	clock     *apitest.Clock
	runtime   *fakeRuntime
}

func newEnv(t *testing.T, opts ...service.Option) *env {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	e := &env{store: db, artifacts: fs, clock: apitest.NewClock(time.Date(2026, 11, 26, 14, 5, 9, 0, time.UTC)), runtime: &fakeRuntime{}}
	opts = append([]service.Option{service.WithClock(e.clock.Now), service.WithRuntime(e.runtime), service.WithGCGrace(0)}, opts...)
	e.svc = service.New(db, fs, opts...)
	return e
}

func as(role dagdeck.Role, name string) context.Context {
	return dagdeck.NewContextWithActor(context.Background(), &dagdeck.Actor{ID: "id-" + name, Kind: dagdeck.ActorToken, Name: name, Role: role})
}

var (
	admin    = as(dagdeck.RoleAdmin, "alice")
	deployer = as(dagdeck.RoleDeployer, "ci")
	viewer   = as(dagdeck.RoleViewer, "vera")
)

func (e *env) deployment(t *testing.T, name string, dagDeploy bool) *dagdeck.Deployment {
	t.Helper()
	d, err := e.svc.CreateDeployment(admin, dagdeck.DeploymentCreate{Name: name, IsDagDeployEnabled: &dagDeploy})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// project is an in-memory project: path → content.
type project apitest.Files

// request builds the DeployCreate for a project and a Deployment's setting.
func (p project) request(typ dagdeck.DeployType, runtime string, dagDeploy bool) dagdeck.DeployCreate {
	req := dagdeck.DeployCreate{Type: typ, RuntimeVersion: runtime, Description: "deploy " + runtime}
	if typ != dagdeck.DeployDAGOnly {
		req.ImageManifest = apitest.Files(p).Manifest(dagdeck.ManifestImage, func(path string) bool { return !dagDeploy || !apitest.IsDAG(path) })
	} else {
		req.RuntimeVersion = ""
	}
	if dagDeploy && typ != dagdeck.DeployImageOnly {
		req.DagManifest = apitest.Files(p).Manifest(dagdeck.ManifestDAGs, apitest.IsDAG)
	}
	return req
}

// upload stores the project's files with the given digests.
func (e *env) upload(t *testing.T, p project, digests []string) {
	t.Helper()
	want := make(map[string]bool)
	for _, d := range digests {
		want[d] = true
	}
	for _, content := range p {
		d := dagdeck.DigestOf([]byte(content))
		if want[d] {
			if err := e.svc.PutBlob(deployer, d, bytes.NewReader([]byte(content)), int64(len(content))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// deploy runs a whole deploy: create, upload what is missing, finalize.
func (e *env) deploy(t *testing.T, dep string, p project, req dagdeck.DeployCreate) *dagdeck.Deploy {
	t.Helper()
	created, err := e.svc.CreateDeploy(deployer, dep, req)
	if err != nil {
		t.Fatalf("create deploy: %v", err)
	}
	e.upload(t, p, created.Missing)
	d, err := e.svc.FinalizeDeploy(deployer, dep, created.Deploy.ID)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	return d
}

func v1() project {
	return project{"Dockerfile": "FROM quay.io/dagdeck/runtime:1.1.0\n", "include/report.sh": "echo report v1\n", "dags/report.yaml": "dag_id: report # v1\n"}
}

// v1Fixed is v1 with a changed script and the same runtime.
func v1Fixed() project {
	p := v1()
	p["include/report.sh"] = "echo report v1 fixed\n"
	return p
}

func v2() project {
	return project{"Dockerfile": "FROM quay.io/dagdeck/runtime:2.0.0\n", "include/report.sh": "echo report v2\n", "dags/report.yaml": "dag_id: report # v2\n", "dags/extra.yaml": "dag_id: extra\n"}
}

func withRetention(d time.Duration) service.Option { return service.WithRetention(d) }
