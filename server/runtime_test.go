package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/localruntime"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// openAPIClient returns a client whose every request and response is
// checked against the OpenAPI document the server publishes.
func openAPIClient(t *testing.T, ts *testServer, token string) (*validatingTransport, *client.Client) {
	t.Helper()
	_, raw := rawRequest(t, "GET", ts.URL+"/api/v1/openapi.json", "", "")
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: ts.URL + "/api/v1"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	vt := &validatingTransport{t: t, router: router, seen: map[string]bool{}}
	return vt, client.New(ts.URL, token, client.WithHTTPClient(&http.Client{Transport: vt}))
}

const yamlHeader = "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\n"

func bashTask(id, command string, extra ...string) string {
	s := fmt.Sprintf("  - id: %s\n    uses: airflow.providers.standard.operators.bash.BashOperator\n", id)
	for _, x := range extra {
		s += "    " + x + "\n"
	}
	return s + fmt.Sprintf("    with:\n      bash_command: %q\n", command)
}

// etlProject: extract → load → hold. On 2.0.0 load reads extract's XCom and
// hold waits for $SHARED/go-<try>; on 1.1.0 hold just prints.
func etlProject(runtime string) apitest.Files {
	load := bashTask("load", `echo "load v1"`, "needs: [extract]")
	hold := bashTask("hold", `echo "hold v1"`, "needs: [load]", "retries: 1", "retry_delay: 0")
	if runtime == "2.0.0" {
		load = `  - id: load
    uses: airflow.providers.standard.operators.bash.BashOperator
    with:
      bash_command: 'echo "load v2 n=$N"'
      env: {N: {$x: extract}}
`
		hold = bashTask("hold", `echo "hold v2"; for i in $(seq 600); do [ -e "$SHARED/go-$DAGDECK_TRY_NUMBER" ] && exit 0; sleep 0.1; done; exit 1`,
			"needs: [load]", "retries: 1", "retry_delay: 0")
	}
	return apitest.Files{
		"Dockerfile": "FROM quay.io/dagdeck/runtime:" + runtime + "\n",
		"dags/etl.yaml": yamlHeader + "dag_id: etl\nschedule: null\ntasks:\n" +
			bashTask("extract", `echo "key=$API_KEY"; echo 7`) + load + hold,
		"dags/hourly.yaml": yamlHeader + "dag_id: hourly\nschedule: \"@hourly\"\nstart_date: " + time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) + "\ntasks:\n" + bashTask("tick", "true"),
	}
}

// TestServer_RuntimeAPI runs a Deployment with a runtime that talks to the
// server only through its runtime API, as `dagdeck runtime` does against
// `dagdeck server --runtime=none`, and checks every request and response
// against the OpenAPI document: DAGs, triggers, runs, tries, logs, notes,
// XComs, and a downgrade rollback relayed to the runtime.
func TestServer_RuntimeAPI(t *testing.T) {
	ts := newTestServer(t)
	ts.svc.SetRuntime(ts.svc.ExternalRuntime())
	ctx := context.Background()
	vt, c := openAPIClient(t, ts, ts.adminToken)
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	shared := t.TempDir()
	secret := "correct-horse-battery"
	upd := dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "API_KEY", Value: &secret, IsSecret: true}, {Key: "SHARED", Value: &shared}}}
	if _, err := c.UpdateDeployment(ctx, "prod", upd); err != nil {
		t.Fatal(err)
	}
	v1, err := deploy(ctx, c, "prod", etlProject("1.1.0"), etlProject("1.1.0").Request("1.1.0", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := deploy(ctx, c, "prod", etlProject("2.0.0"), etlProject("2.0.0").Request("2.0.0", "v2"))
	if err != nil {
		t.Fatal(err)
	}

	// The runtime process authenticates with a runtime-role token.
	created, err := c.CreateToken(ctx, "prod-runtime", dagdeck.RoleRuntime, "prod")
	if err != nil {
		t.Fatal(err)
	}
	rvt, rc := openAPIClient(t, ts, created.Secret)
	rt, err := localruntime.New(localruntime.Config{DataDir: t.TempDir(), Backend: rc.RuntimeBackend(), Deployments: []string{"prod"},
		PollInterval: 50 * time.Millisecond, KillGrace: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	waitUntil(t, "the runtime to load v2", func() bool {
		list, err := c.ListDags(ctx, "prod")
		return err == nil && len(list.Dags) == 2 && list.Dags[0].DeployID == v2.ID
	})

	// A run on 2.0.0: the secret is masked, the XCom flows downstream.
	if err := os.WriteFile(filepath.Join(shared, "go-1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run1, err := c.TriggerDag(ctx, "prod", "etl", map[string]any{"who": "api"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "run 1 to succeed", func() bool { return runState(t, c, run1) == dagdeck.RunSuccess })
	tis, err := c.ListTaskInstances(ctx, "prod", client.TaskListOptions{RunID: run1.RunID})
	if err != nil || len(tis) != 3 {
		t.Fatalf("tries of run 1: %d, %v", len(tis), err)
	}
	logs := map[string]string{}
	for _, ti := range tis {
		b, err := c.TaskLog(ctx, "prod", ti.ID)
		if err != nil {
			t.Fatal(err)
		}
		logs[ti.TaskID] = string(b)
	}
	if !strings.Contains(logs["extract"], "key=***") || strings.Contains(logs["extract"], secret) || !strings.Contains(logs["load"], "load v2 n=7") {
		t.Fatalf("logs:\n%v", logs)
	}
	if _, err := c.SetTaskNote(ctx, "prod", tis[0].ID, "checked"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRuns(ctx, "prod", client.RunListOptions{DagID: "etl", Limit: 10}); err != nil {
		t.Fatal(err)
	}

	// A downgrade while hold runs: the server fails the try at once, the
	// runtime stops it, and the retry runs v1's code on 1.1.0.
	if err := os.Remove(filepath.Join(shared, "go-1")); err != nil {
		t.Fatal(err)
	}
	run2, err := c.TriggerDag(ctx, "prod", "etl", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "hold to run in run 2", func() bool { return tryState(t, c, run2, "hold", 1) == dagdeck.TaskRunning })
	waitUntil(t, "the scheduled hourly run to succeed", func() bool {
		runs, err := c.ListRuns(ctx, "prod", client.RunListOptions{DagID: "hourly"})
		return err == nil && len(runs) == 1 && runs[0].State == dagdeck.RunSuccess
	})
	dry, err := c.Rollback(ctx, "prod", v1.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	// XComs: run 1's three tasks, run 2's extract and load, hourly's tick.
	if len(dry.Plan.Erased) != 1 || dry.Plan.Erased[0].Rows != 6 || len(dry.Plan.RunningTasks) != 1 {
		t.Fatalf("plan: erased %+v (want 6 XComs), running %+v", dry.Plan.Erased, dry.Plan.RunningTasks)
	}
	rb, err := c.Rollback(ctx, "prod", v1.ID, dagdeck.RollbackRequest{Description: "back to 1.1", ConfirmDowngrade: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := tryState(t, c, run2, "hold", 1); s == dagdeck.TaskRunning {
		t.Fatalf("hold try 1 is still running after the downgrade")
	}
	waitUntil(t, "run 2 to succeed", func() bool { return runState(t, c, run2) == dagdeck.RunSuccess })
	retry := try(t, c, run2, "hold", 2)
	if retry.DeployID != rb.Deploy.ID || retry.RuntimeVersion != "1.1.0" {
		t.Fatalf("hold's retry = %+v", retry)
	}
	if b, err := c.TaskLog(ctx, "prod", retry.ID); err != nil || !strings.Contains(string(b), "hold v1") {
		t.Fatalf("hold's retry log: %q, %v", b, err)
	}
	if _, err := c.SetTaskNote(ctx, "prod", retry.ID, "x"); err != nil {
		t.Fatal(err) // 1.1.0 has notes
	}

	// Only a deployer may use the runtime API: it returns secret values.
	_, viewer := openAPIClient(t, ts, createToken(t, ts, "dash", dagdeck.RoleViewer))
	if _, _, err := viewer.RuntimeBackend().Deployment(ctx, "prod"); dagdeck.ErrorCode(err) != dagdeck.EFORBIDDEN {
		t.Fatalf("runtime API as a viewer: %v", err)
	}
	if _, err := viewer.TriggerDag(ctx, "prod", "etl", nil); dagdeck.ErrorCode(err) != dagdeck.EFORBIDDEN {
		t.Fatalf("trigger as a viewer: %v", err)
	}

	rt.Close()
	for _, op := range []string{"listDags", "triggerDag", "listRuns", "listTaskInstances", "getTaskLog", "setTaskNote",
		"getRuntimeDeployment", "putRuntimeDags", "getRuntimeLatestScheduledRun", "listRuntimeRuns", "createRuntimeRun",
		"updateRuntimeRun", "listRuntimeTaskInstances", "createRuntimeTaskInstance", "updateRuntimeTaskInstance",
		"putRuntimeTaskLog", "putRuntimeXCom", "getRuntimeXCom"} {
		if !vt.seen[op] && !rvt.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}

func TestServer_RuntimeErrors(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	_, c := openAPIClient(t, ts, ts.adminToken)
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	_, err := c.TriggerDag(ctx, "prod", "nope", nil)
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = c.TaskLog(ctx, "prod", "nope")
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = c.ListRuns(ctx, "prod", client.RunListOptions{Limit: 5000})
	apitest.WantCode(t, err, dagdeck.EINVALID)
	_, err = c.ListTaskInstances(ctx, "prod", client.TaskListOptions{RunID: "manual__nope"})
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	_, err = c.ListDags(ctx, "nope")
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	status, _ := rawRequest(t, "PUT", ts.URL+"/api/v1/deployments/prod/tasks/x/note", ts.adminToken, `{}`)
	if status != http.StatusBadRequest {
		t.Fatalf("note without note: %d", status)
	}
}

func createToken(t *testing.T, ts *testServer, name string, role dagdeck.Role) string {
	t.Helper()
	created, err := ts.client(ts.adminToken).CreateToken(context.Background(), name, role)
	if err != nil {
		t.Fatal(err)
	}
	return created.Secret
}

func runState(t *testing.T, c *client.Client, r *dagdeck.DagRun) string {
	t.Helper()
	runs, err := c.ListRuns(context.Background(), "prod", client.RunListOptions{DagID: r.DagID})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range runs {
		if x.ID == r.ID {
			return x.State
		}
	}
	return ""
}

// try returns try n of a task in a run, or nil.
func try(t *testing.T, c *client.Client, r *dagdeck.DagRun, taskID string, n int) *dagdeck.TaskInstance {
	t.Helper()
	tis, err := c.ListTaskInstances(context.Background(), "prod", client.TaskListOptions{RunID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tis {
		if ti.TaskID == taskID && ti.TryNumber == n {
			return ti
		}
	}
	return nil
}

func tryState(t *testing.T, c *client.Client, r *dagdeck.DagRun, taskID string, n int) string {
	t.Helper()
	if ti := try(t, c, r, taskID, n); ti != nil {
		return ti.State
	}
	return ""
}

// waitUntil polls cond until it holds, failing the test after 30 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	apitest.WaitFor(t, 30*time.Second, what, cond)
}

// TestServer_RuntimeTokenScope checks that a runtime token reaches only the
// Deployments it was created for: another Deployment's secrets and runtime
// API are out of its reach, as if it did not exist.
func TestServer_RuntimeTokenScope(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	secret := "billing-s3cret"
	for _, name := range []string{"etl", "billing"} {
		if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: name, IsDagDeployEnabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateDeployment(ctx, name, dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "KEY", Value: &secret, IsSecret: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := admin.CreateToken(ctx, "rt", dagdeck.RoleRuntime)
	apitest.WantCode(t, err, dagdeck.EINVALID)
	_, err = admin.CreateToken(ctx, "ci", dagdeck.RoleDeployer, "etl")
	apitest.WantCode(t, err, dagdeck.EINVALID)
	created, err := admin.CreateToken(ctx, "etl-runtime", dagdeck.RoleRuntime, "etl")
	if err != nil || len(created.Token.Deployments) != 1 {
		t.Fatalf("create a runtime token for etl: %+v %v", created, err)
	}
	rt := ts.client(created.Secret).RuntimeBackend()
	dep, _, err := rt.Deployment(ctx, "etl")
	if err != nil || dep.Env[0].Value != secret {
		t.Fatalf("its own Deployment: %+v %v", dep, err)
	}
	if _, _, err := rt.Deployment(ctx, "billing"); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("another Deployment's secrets: %v, want ENOTFOUND", err)
	}
	billing, err := admin.GetDeployment(ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.ListRuns(ctx, billing.ID, dagdeck.RunFilter{}); dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("another Deployment's runs: %v, want ENOTFOUND", err)
	}
	// Like every role it may read what a viewer reads, which never shows a secret.
	ds, err := rt.ListDeployments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Name == "billing" && d.Env[0].Value != "" {
			t.Fatalf("billing's secret is readable with etl's runtime token")
		}
	}
}
