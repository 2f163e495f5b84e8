package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/ui"
)

// testNow is when the tests happen.
var testNow = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

// env is a real dagdeck server (SQLite and file stores in a temporary
// directory, the service, the REST API and the web UI) on 127.0.0.1.
type env struct {
	URL        string
	svc        *service.Service
	store      dagdeck.Store
	clock      *apitest.Clock
	adminToken string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, testNow)
}

// newEnvWith is newEnv with the server's clock starting at now and
// options for the web UI.
func newEnvWith(t testing.TB, now time.Time, opts ...ui.Option) *env {
	t.Helper()
	ctx := context.Background()
	db, artifacts := apitest.LocalStores(t)
	c := apitest.NewClock(now)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, artifacts, service.WithClock(c.Now), service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	web := ui.New(svc.Services(), append([]ui.Option{ui.WithLogger(logger)}, opts...)...)
	srv := server.New(svc.Services(), logger)
	srv.AddAuthenticator(web.Authenticate)
	srv.Mount("/", web)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(web.Close) // runs first: event streams end, so ts.Close does not wait for them
	return &env{URL: ts.URL, svc: svc, store: db, clock: c, adminToken: secret}
}

// as returns a context acting with the role.
func as(role dagdeck.Role, name string) context.Context {
	return dagdeck.NewContextWithActor(context.Background(), &dagdeck.Actor{ID: "id-" + name, Kind: dagdeck.ActorToken, Name: name, Role: role})
}

var (
	adminCtx    = as(dagdeck.RoleAdmin, "admin")
	deployerCtx = as(dagdeck.RoleDeployer, "ci")
)

// token creates an API token with the role and returns its secret.
func (e *env) token(t testing.TB, name string, role dagdeck.Role) string {
	t.Helper()
	_, secret, err := e.svc.CreateToken(adminCtx, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// user creates a web UI user with the role; the password is name + "-password".
func (e *env) user(t testing.TB, name string, role dagdeck.Role) {
	t.Helper()
	if _, err := e.svc.CreateUser(adminCtx, name, name+"-password", role); err != nil {
		t.Fatal(err)
	}
}

// project is an in-memory project: path → content.
type project map[string]string

func (p project) with(path, content string) project {
	out := project{}
	for k, v := range p {
		out[k] = v
	}
	if content == "" {
		delete(out, path)
	} else {
		out[path] = content
	}
	return out
}

func (p project) manifest(kind string, keep func(string) bool) *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: kind, Files: []dagdeck.ManifestFile{}}
	for path, content := range p {
		if keep(path) {
			m.Files = append(m.Files, dagdeck.ManifestFile{Path: path, Mode: 0o644, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))})
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

func isDAG(p string) bool { return strings.HasPrefix(p, "dags/") }

// deploy runs a whole deploy of p at time at: create, upload, finalize.
func (e *env) deploy(t testing.TB, deployment string, p project, runtime, description string, at time.Time) *dagdeck.Deploy {
	t.Helper()
	created := e.createDeploy(t, deployment, p, runtime, description, at)
	d, err := e.svc.FinalizeDeploy(deployerCtx, deployment, created.ID)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	return d
}

// createDeploy creates a deploy of p and uploads its files, leaving it INITIALIZED.
func (e *env) createDeploy(t testing.TB, deployment string, p project, runtime, description string, at time.Time) *dagdeck.Deploy {
	t.Helper()
	e.clock.Set(at)
	req := dagdeck.DeployCreate{
		Type: dagdeck.DeployImageAndDAG, RuntimeVersion: runtime, Description: description,
		ImageManifest: p.manifest(dagdeck.ManifestImage, func(s string) bool { return !isDAG(s) }),
		DagManifest:   p.manifest(dagdeck.ManifestDAGs, isDAG),
		Git:           &dagdeck.Git{CommitSHA: "3f9c2a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39", Branch: "main", RemoteURL: "git@github.com:acme/pipelines.git"},
	}
	created, err := e.svc.CreateDeploy(deployerCtx, deployment, req)
	if err != nil {
		t.Fatalf("create deploy: %v", err)
	}
	for _, content := range p {
		if err := e.svc.PutBlob(deployerCtx, dagdeck.DigestOf([]byte(content)), bytes.NewReader([]byte(content)), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	return created.Deploy
}

// history is the Deploy History that seed creates, oldest first.
type history struct {
	Deployment *dagdeck.Deployment
	// Expired (#1), Report (#2, runtime 1.1.0), XCom (#3, runtime 2.0.0),
	// Failed (#4), Current (#5, runtime 2.0.0).
	Expired, Report, XCom, Failed, Current *dagdeck.Deploy
}

var baseProject = project{
	"Dockerfile":        "FROM quay.io/dagdeck/runtime:1.0.0\n",
	"requirements.txt":  "requests==2.32.3\n",
	"include/report.sh": "#!/bin/sh\necho report v1\n",
	"dags/report.yaml":  "dag_id: report\nschedule: '@daily'\n",
}

// seed creates a Deployment with a realistic history, runtime data (a
// running task, XCom values, a task note) and an env var changed lately.
func (e *env) seed(t testing.TB, name string) *history {
	t.Helper()
	dep, err := e.svc.CreateDeployment(adminCtx, dagdeck.DeploymentCreate{Name: name, Description: "Nightly reporting pipelines"})
	if err != nil {
		t.Fatal(err)
	}
	h := &history{Deployment: dep}
	p1 := baseProject
	h.Expired = e.deploy(t, name, p1, "1.0.0", "Initial import of the reporting DAGs", testNow.Add(-100*24*time.Hour))
	p2 := p1.with("Dockerfile", "FROM quay.io/dagdeck/runtime:1.1.0\n").with("dags/cleanup.yaml", "dag_id: cleanup\n").with("include/report.sh", "#!/bin/sh\necho report v2\n")
	h.Report = e.deploy(t, name, p2, "1.1.0", "Add the cleanup DAG; runtime 1.1.0 for task notes", testNow.Add(-5*24*time.Hour))
	p3 := p2.with("Dockerfile", "FROM quay.io/dagdeck/runtime:2.0.0\n").with("dags/report.yaml", "dag_id: report\nschedule: '@daily'\n# xcom\n")
	h.XCom = e.deploy(t, name, p3, "2.0.0", "Runtime 2.0.0: report passes its row count with XCom", testNow.Add(-3*24*time.Hour))
	failed := e.createDeploy(t, name, p3.with("dags/broken.yaml", "dag_id: [\n"), "2.0.0", "Try the new loader", testNow.Add(-2*24*time.Hour))
	status := dagdeck.DeployFailed
	if h.Failed, err = e.svc.UpdateDeploy(deployerCtx, name, failed.ID, dagdeck.DeployUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	p5 := p3.with("dags/weather.yaml", "dag_id: weather\n").with("dags/cleanup.yaml", "").with("dags/report.yaml", "dag_id: report\nschedule: '@hourly'\n")
	h.Current = e.deploy(t, name, p5, "2.0.0", "Add the weather DAG, report hourly", testNow.Add(-time.Hour))
	e.clock.Set(testNow.Add(-30 * time.Minute))
	value := "https://weather.example.com/v2"
	if _, err := e.svc.UpdateDeployment(adminCtx, name, dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "WEATHER_API_URL", Value: &value}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(testNow)
	e.seedRuntime(t, h)
	return h
}

// seedRuntime records what a runtime would: DAGs, an import error, a run
// with a finished task (with a note), a running task, and three XCom values.
func (e *env) seedRuntime(t testing.TB, h *history) {
	t.Helper()
	ctx := context.Background()
	dep, cur := h.Deployment, h.Current
	started := testNow.Add(-10 * time.Minute)
	ended := testNow.Add(-8 * time.Minute)
	next := testNow.Add(time.Hour)
	err := e.store.Update(ctx, func(tx dagdeck.Tx) error {
		dags := []*dagdeck.Dag{
			{DeploymentID: dep.ID, DagID: "report", File: "dags/report.yaml", Schedule: "@hourly", Description: "Hourly sales report", DeployID: cur.ID, NextRunAt: &next},
			{DeploymentID: dep.ID, DagID: "weather", File: "dags/weather.yaml", Schedule: "0 6 * * *", DeployID: cur.ID},
		}
		errs := []*dagdeck.ImportError{{DeploymentID: dep.ID, File: "dags/legacy.py", Message: "Python DAG files are shipped but not executed by the local runtime", DeployID: cur.ID}}
		if err := tx.ReplaceDags(ctx, dep.ID, dags, errs); err != nil {
			return err
		}
		run := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagID: "report", RunID: "scheduled__2026-11-26T13:00:00+00:00",
			LogicalDate: testNow.Add(-time.Hour), RunType: "scheduled", State: dagdeck.RunRunning, CreatedAt: started, StartedAt: &started, Conf: "{}"}
		if err := tx.CreateDagRun(ctx, run); err != nil {
			return err
		}
		exit := 0
		tasks := []*dagdeck.TaskInstance{
			{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID, TaskID: "extract", TryNumber: 1, MaxTries: 1,
				State: dagdeck.TaskSuccess, DeployID: cur.ID, RuntimeVersion: "2.0.0", ExitCode: &exit, StartedAt: &started, EndedAt: &ended, Note: "Checked by ana: row count matches"},
			{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID, TaskID: "transform", TryNumber: 1, MaxTries: 3,
				State: dagdeck.TaskRunning, DeployID: cur.ID, RuntimeVersion: "2.0.0", StartedAt: &ended},
		}
		for _, ti := range tasks {
			if err := tx.CreateTaskInstance(ctx, ti); err != nil {
				return err
			}
		}
		for _, task := range []string{"extract", "count", "load"} {
			if err := tx.PutXCom(ctx, dep.ID, &dagdeck.XCom{DagRunID: run.ID, TaskID: task, Key: "return_value", Value: "42"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
