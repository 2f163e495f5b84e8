package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

var bg = context.Background()

// runtimeFixture is a Deployment at a runtime version with the DAG "etl"
// reported and one run of it, as a runtime would leave them.
type runtimeFixture struct {
	*env
	dep *dagdeck.Deployment
	run *dagdeck.DagRun
}

func newRuntimeFixture(t *testing.T, runtime string) *runtimeFixture {
	t.Helper()
	e := newEnv(t)
	dep := e.deployment(t, "etl", true)
	p := v1()
	e.deploy(t, "etl", p, p.request(dagdeck.DeployImageAndDAG, runtime, true))
	b := e.svc.LocalRuntimeBackend()
	if err := b.ReplaceDags(bg, dep.ID, []*dagdeck.Dag{{DagID: "etl", File: "dags/etl.yaml"}}, nil); err != nil {
		t.Fatal(err)
	}
	now := e.svc.Now()
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DagID: "etl", RunID: "manual__1", LogicalDate: now, RunType: "manual", State: dagdeck.RunRunning, CreatedAt: now}
	if err := b.CreateRun(bg, dep.ID, run); err != nil {
		t.Fatal(err)
	}
	return &runtimeFixture{env: e, dep: dep, run: run}
}

// try records a try of a task in the fixture's run.
func (f *runtimeFixture) try(t *testing.T, task string, n, maxTries int, state string) *dagdeck.TaskInstance {
	t.Helper()
	now := f.svc.Now()
	ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DagRunID: f.run.ID, TaskID: task, TryNumber: n, MaxTries: maxTries,
		State: state, DeployID: "d", RuntimeVersion: "1.1.0", StartedAt: &now, RunnerID: "r"}
	if err := f.svc.LocalRuntimeBackend().CreateTaskInstance(bg, f.dep.ID, ti); err != nil {
		t.Fatal(err)
	}
	return ti
}

func (f *runtimeFixture) find(t *testing.T, id string) *dagdeck.TaskInstance {
	t.Helper()
	tis, err := f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tis {
		if ti.ID == id {
			return ti
		}
	}
	t.Fatalf("task instance %s not listed", id)
	return nil
}

// wakingRuntime is a runtime that records Wake calls.
type wakingRuntime struct {
	fakeRuntime
	mu    sync.Mutex
	woken []string
}

func (r *wakingRuntime) Wake(deploymentID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.woken = append(r.woken, deploymentID)
}

func TestService_TriggerDag(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		rt := &wakingRuntime{}
		f.svc.SetRuntime(rt)
		r, err := f.svc.TriggerDag(deployer, "etl", "etl", map[string]any{"day": "2026-11-26"})
		if err != nil {
			t.Fatal(err)
		}
		if r.State != dagdeck.RunQueued || r.RunType != "manual" || !strings.HasPrefix(r.RunID, "manual__") || r.Conf != `{"day":"2026-11-26"}` || r.DeploymentID != f.dep.ID {
			t.Fatalf("run = %+v", r)
		}
		if len(rt.woken) != 1 || rt.woken[0] != f.dep.ID {
			t.Fatalf("the runtime was not woken: %v", rt.woken)
		}
		runs, err := f.svc.ListRuns(viewer, "etl", dagdeck.RunQuery{DagID: "etl", State: dagdeck.RunQueued})
		if err != nil || len(runs) != 1 || runs[0].ID != r.ID {
			t.Fatalf("queued runs = %+v, %v", runs, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		_, err := f.svc.TriggerDag(deployer, "etl", "nope", nil)
		apitest.WantCode(t, err, dagdeck.ENOTFOUND)
		_, err = f.svc.TriggerDag(deployer, "nope", "etl", nil)
		apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		_, err := f.svc.TriggerDag(viewer, "etl", "etl", nil)
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		_, err := f.svc.TriggerDag(deployer, "etl", "etl", map[string]any{"big": strings.Repeat("x", 70<<10)})
		apitest.WantCode(t, err, dagdeck.EINVALID)
	})
}

func TestService_ListTaskInstances(t *testing.T) {
	f := newRuntimeFixture(t, "1.1.0")
	a := f.try(t, "a", 1, 1, dagdeck.TaskSuccess)
	b := f.try(t, "b", 1, 1, dagdeck.TaskRunning)
	for _, ref := range []string{f.run.ID, f.run.RunID} {
		tis, err := f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{RunID: ref})
		if err != nil || len(tis) != 2 || tis[0].ID != b.ID || tis[1].ID != a.ID {
			t.Fatalf("by run %q: %+v, %v", ref, tis, err)
		}
	}
	tis, err := f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{State: dagdeck.TaskRunning})
	if err != nil || len(tis) != 1 || tis[0].ID != b.ID {
		t.Fatalf("running: %+v, %v", tis, err)
	}
	_, err = f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{RunID: "manual__nope"})
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{Limit: service.MaxRuntimePageSize + 1})
	apitest.WantCode(t, err, dagdeck.EINVALID)

	// Another Deployment sees none of it.
	f.deployment(t, "other", true)
	_, err = f.svc.ListTaskInstances(viewer, "other", dagdeck.TaskQuery{RunID: f.run.ID})
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = f.svc.TaskLog(viewer, "other", a.ID)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
}

func TestService_TaskLog(t *testing.T) {
	f := newRuntimeFixture(t, "1.1.0")
	ran := f.try(t, "a", 1, 1, dagdeck.TaskSuccess)
	never := f.try(t, "b", 1, 1, dagdeck.TaskUpstreamFailed)
	if err := f.svc.LocalRuntimeBackend().PutTaskLog(bg, f.dep.ID, ran.ID, []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	log, err := f.svc.TaskLog(viewer, "etl", ran.ID)
	if err != nil || string(log) != "hello\n" {
		t.Fatalf("log = %q, %v", log, err)
	}
	_, err = f.svc.TaskLog(viewer, "etl", never.ID)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
}

func TestService_TaskInstance(t *testing.T) {
	f := newRuntimeFixture(t, "1.1.0")
	ti := f.try(t, "a", 2, 3, dagdeck.TaskRunning)
	got, err := f.svc.TaskInstance(viewer, "etl", ti.ID)
	if err != nil || got.ID != ti.ID || got.State != dagdeck.TaskRunning || got.TryNumber != 2 {
		t.Fatalf("TaskInstance = %+v, %v", got, err)
	}
	_, err = f.svc.TaskInstance(viewer, "etl", "nope")
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	f.deployment(t, "other", true)
	_, err = f.svc.TaskInstance(viewer, "other", ti.ID)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = f.svc.TaskInstance(bg, "etl", ti.ID)
	apitest.WantCode(t, err, dagdeck.EUNAUTHORIZED)
}

func TestService_SetTaskNote(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		ti := f.try(t, "a", 1, 1, dagdeck.TaskRunning)
		got, err := f.svc.SetTaskNote(deployer, "etl", ti.ID, "slow upstream")
		if err != nil || got.Note != "slow upstream" {
			t.Fatalf("note: %+v, %v", got, err)
		}
		// The runtime ending the try keeps the user's note.
		ti.State = dagdeck.TaskSuccess
		if err := f.svc.LocalRuntimeBackend().UpdateTaskInstance(bg, f.dep.ID, ti); err != nil {
			t.Fatal(err)
		}
		if got := f.find(t, ti.ID); got.Note != "slow upstream" || got.State != dagdeck.TaskSuccess {
			t.Fatalf("after the runtime's update: %+v", got)
		}
	})
	t.Run("ErrNotImplemented", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.0.0")
		ti := f.try(t, "a", 1, 1, dagdeck.TaskSuccess)
		_, err := f.svc.SetTaskNote(deployer, "etl", ti.ID, "x")
		apitest.WantCode(t, err, dagdeck.ENOTIMPLEMENTED)
		if !strings.Contains(dagdeck.ErrorMessage(err), "1.1.0") {
			t.Fatalf("message does not name the version needed: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		ti := f.try(t, "a", 1, 1, dagdeck.TaskSuccess)
		_, err := f.svc.SetTaskNote(deployer, "etl", ti.ID, strings.Repeat("é", service.MaxTaskNoteLen+1))
		apitest.WantCode(t, err, dagdeck.EINVALID)
	})
	t.Run("ErrControlCharacter", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		ti := f.try(t, "a", 1, 1, dagdeck.TaskSuccess)
		_, err := f.svc.SetTaskNote(deployer, "etl", ti.ID, "done\x1b]0;pwned\x07")
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if got := f.find(t, ti.ID); got.Note != "" {
			t.Fatalf("note stored: %q", got.Note)
		}
	})
	t.Run("ErasedByDowngrade", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.0.0")
		old := latestDeploy(t, f.env, "etl")
		p := v2()
		f.deploy(t, "etl", p, p.request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		for _, task := range []string{"a", "b"} {
			if _, err := f.svc.SetTaskNote(deployer, "etl", f.try(t, task, 1, 1, dagdeck.TaskSuccess).ID, "note "+task); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.Rollback(deployer, "etl", old.ID, dagdeck.RollbackRequest{DryRun: true})
		if err != nil || len(res.Plan.Erased) != 1 || res.Plan.Erased[0].Rows != 2 {
			t.Fatalf("plan: %+v, %v", res, err)
		}
		if _, err := f.svc.Rollback(deployer, "etl", old.ID, dagdeck.RollbackRequest{Description: "back", ConfirmDowngrade: true}); err != nil {
			t.Fatal(err)
		}
		tis, _ := f.svc.ListTaskInstances(viewer, "etl", dagdeck.TaskQuery{})
		for _, ti := range tis {
			if ti.Note != "" {
				t.Fatalf("note survived the downgrade: %+v", ti)
			}
		}
	})
}

func latestDeploy(t *testing.T, e *env, deployment string) *dagdeck.Deploy {
	t.Helper()
	page, err := e.svc.ListDeploys(viewer, deployment, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return page.Deploys[0]
}

func TestRuntimeBackend_UpdateTaskInstance(t *testing.T) {
	f := newRuntimeFixture(t, "1.1.0")
	b := f.svc.LocalRuntimeBackend()
	for _, tt := range []struct {
		from, to string
		code     string
	}{
		{dagdeck.TaskRunning, dagdeck.TaskSuccess, ""},
		{dagdeck.TaskRunning, dagdeck.TaskUpForRetry, ""},
		{dagdeck.TaskUpForRetry, dagdeck.TaskFailed, ""},
		{dagdeck.TaskUpForRetry, dagdeck.TaskUpForRetry, ""},
		{dagdeck.TaskUpForRetry, dagdeck.TaskSuccess, dagdeck.ECONFLICT},
		{dagdeck.TaskFailed, dagdeck.TaskSuccess, dagdeck.ECONFLICT},
		{dagdeck.TaskSuccess, dagdeck.TaskRunning, dagdeck.ECONFLICT},
	} {
		ti := f.try(t, tt.from+"-"+tt.to, 1, 2, tt.from)
		ti.State = tt.to
		if err := b.UpdateTaskInstance(bg, f.dep.ID, ti); dagdeck.ErrorCode(err) != tt.code {
			t.Errorf("%s → %s: %v, want %q", tt.from, tt.to, err, tt.code)
		}
	}
	ti := f.try(t, "x", 1, 1, dagdeck.TaskRunning)
	other := f.deployment(t, "other", true)
	err := b.UpdateTaskInstance(bg, other.ID, ti)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
}

func TestRuntimeBackend_XCom(t *testing.T) {
	x := func(f *runtimeFixture) *dagdeck.XCom {
		return &dagdeck.XCom{DagRunID: f.run.ID, TaskID: "a", Key: "return_value", Value: "42"}
	}
	t.Run("OK", func(t *testing.T) {
		f := newRuntimeFixture(t, "2.0.0")
		b := f.svc.LocalRuntimeBackend()
		if err := b.PutXCom(bg, f.dep.ID, x(f)); err != nil {
			t.Fatal(err)
		}
		got, err := b.FindXCom(bg, f.dep.ID, f.run.ID, "a", "return_value")
		if err != nil || got.Value != "42" {
			t.Fatalf("xcom = %+v, %v", got, err)
		}
	})
	t.Run("ErrNotImplemented", func(t *testing.T) {
		f := newRuntimeFixture(t, "1.1.0")
		apitest.WantCode(t, f.svc.LocalRuntimeBackend().PutXCom(bg, f.dep.ID, x(f)), dagdeck.ENOTIMPLEMENTED)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newRuntimeFixture(t, "2.0.0")
		other := f.deployment(t, "other", true)
		p := v2()
		f.deploy(t, "other", p, p.request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		b := f.svc.LocalRuntimeBackend()
		apitest.WantCode(t, b.PutXCom(bg, other.ID, x(f)), dagdeck.ENOTFOUND)
		_, err := b.FindXCom(bg, other.ID, f.run.ID, "a", "return_value")
		apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func TestRuntimeBackend_Authorization(t *testing.T) {
	f := newRuntimeFixture(t, "1.1.0")
	secret := "s3cret-value"
	if _, err := f.svc.UpdateDeployment(admin, "etl", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "K", Value: &secret, IsSecret: true}}}); err != nil {
		t.Fatal(err)
	}
	api := f.svc.RuntimeBackend()
	_, _, err := api.Deployment(viewer, "etl")
	apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	_, _, err = api.Deployment(bg, "etl")
	apitest.WantCode(t, err, dagdeck.EUNAUTHORIZED)
	// A user's token, even a deployer's, never reads secrets.
	_, _, err = api.Deployment(deployer, "etl")
	apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	_, _, err = api.Deployment(admin, "etl")
	apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	rt := dagdeck.NewContextWithActor(bg, &dagdeck.Actor{ID: "rt", Kind: dagdeck.ActorToken, Name: "etl-runtime", Role: dagdeck.RoleRuntime})
	dep, cur, err := api.Deployment(rt, "etl")
	if err != nil || dep.Env[0].Value != secret || cur == nil || cur.ID != dep.CurrentDeployID {
		t.Fatalf("as a runtime: %+v %+v %v", dep, cur, err)
	}
	// A runtime may read like a viewer, and not deploy.
	if _, err := f.svc.FindDeployment(rt, "etl"); err != nil {
		t.Fatalf("a runtime reads Deployments: %v", err)
	}
	_, err = f.svc.Rollback(rt, "etl", cur.ID, dagdeck.RollbackRequest{Description: "x"})
	apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	if _, _, err := f.svc.LocalRuntimeBackend().Deployment(bg, "etl"); err != nil {
		t.Fatalf("the local runtime needs no actor: %v", err)
	}
}

func TestRuntimeBackend_MasksSecrets(t *testing.T) {
	f := newRuntimeFixture(t, "2.0.0")
	long, short := "s3cret-value-42", "s3cret"
	upd := dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{
		{Key: "SHORT", Value: &short, IsSecret: true}, {Key: "LONG", Value: &long, IsSecret: true}, {Key: "TINY", Value: strp("42"), IsSecret: true},
	}}
	if _, err := f.svc.UpdateDeployment(admin, "etl", upd); err != nil {
		t.Fatal(err)
	}
	b := f.svc.LocalRuntimeBackend()
	ti := f.try(t, "extract", 1, 1, dagdeck.TaskRunning)
	if err := b.PutTaskLog(bg, f.dep.ID, ti.ID, []byte("token=s3cret-value-42 and s3cret, answer 42\n")); err != nil {
		t.Fatal(err)
	}
	log, err := f.svc.TaskLog(viewer, "etl", ti.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The longer secret is masked whole; values shorter than 4 are left.
	if got, want := string(log), "token=*** and ***, answer 42\n"; got != want {
		t.Fatalf("stored log %q, want %q", got, want)
	}
	if err := b.PutXCom(bg, f.dep.ID, &dagdeck.XCom{DagRunID: f.run.ID, TaskID: "extract", Key: "return_value", Value: "s3cret-value-42"}); err != nil {
		t.Fatal(err)
	}
	x, err := b.FindXCom(bg, f.dep.ID, f.run.ID, "extract", "return_value")
	if err != nil || x.Value != "***" {
		t.Fatalf("stored XCom %+v, %v", x, err)
	}
}
