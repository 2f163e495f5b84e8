package ui_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// failTries records n failed tries of the deploy's code.
func (e *env) failTries(t *testing.T, h *history, d *dagdeck.Deploy, n int) {
	t.Helper()
	ctx := context.Background()
	b := e.svc.LocalRuntimeBackend()
	now := e.clock.Now()
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: h.Deployment.ID, DagID: "report", RunID: "manual__failing", LogicalDate: now, RunType: "manual", State: dagdeck.RunFailed, CreatedAt: now, Conf: "{}"}
	if err := b.CreateRun(ctx, h.Deployment.ID, run); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: h.Deployment.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID,
			TaskID: fmt.Sprint("t", i), TryNumber: 1, MaxTries: 1, State: dagdeck.TaskFailed, DeployID: d.ID, RuntimeVersion: d.RuntimeVersion}
		if err := b.CreateTaskInstance(ctx, h.Deployment.ID, ti); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUI_BrowserIncident is the 3 a.m. page in a real browser: a pin, an
// automatic rollback that quarantined the bad deploy, the marks in the
// history, and "Roll back to previous" opening the plan of the right deploy.
func TestUI_BrowserIncident(t *testing.T) {
	browser := testenv.Chromium(t)
	e := newEnv(t)
	h := e.seed(t, "prod")
	if _, err := e.svc.PinDeploy(deployerCtx, "prod", h.XCom.ID, "known good before the migration", nil); err != nil {
		t.Fatal(err)
	}
	on, watch := true, int64(2*time.Hour/time.Second)
	if _, err := e.svc.UpdateDeployment(adminCtx, "prod", dagdeck.DeploymentUpdate{AutoRollback: &dagdeck.AutoRollbackUpdate{Enabled: &on, WatchSeconds: &watch}}); err != nil {
		t.Fatal(err)
	}
	e.failTries(t, h, h.Current, 6)
	if err := e.svc.CheckAutoRollbacks(context.Background()); err != nil {
		t.Fatal(err)
	}

	tb := newTab(t, browser, e.URL)
	tb.do(chromedp.EmulateViewport(1366, 900))
	tb.login("", e.adminToken)
	tb.open("/deployments/prod")
	tb.do(chromedp.WaitVisible(chromedp.CSS(".history-table")))
	top := tb.text(".history-table tbody tr:first-child")
	for _, want := range []string{"#6", "Current", "Rollback", "of #3", "dagdeck (automatic rollback)", "automatic rollback: 6 of ", "task tries on deploy #5 failed"} {
		if !strings.Contains(top, want) {
			t.Errorf("the newest row lacks %q: %s", want, top)
		}
	}
	if got := tb.text(`tr[data-deploy-id="` + h.Current.ID + `"]`); !strings.Contains(got, "Quarantined") || !strings.Contains(got, "QUARANTINED") {
		t.Errorf("the bad deploy's row: %s", got)
	}
	if got := tb.text(`tr[data-deploy-id="` + h.XCom.ID + `"] .cell-deploy`); !strings.Contains(got, "Pinned") {
		t.Errorf("the pinned deploy's row: %s", got)
	}
	if got := tb.text(`tr[data-deploy-id="` + h.Report.ID + `"]`); !strings.Contains(got, "Downgrade") || !strings.Contains(got, "Roll back") {
		t.Errorf("the 1.1.0 row is not marked as a downgrade: %s", got)
	}
	tb.shot(screenshotDir(t), "incident")

	// #5 is quarantined and #3 has the running code: previous is #2.
	tb.do(chromedp.Click(chromedp.CSS(".btn-previous")), chromedp.WaitVisible(chromedp.CSS("#rollback-dialog form[data-rollback-form]")))
	if plan := tb.text("#rollback-dialog"); !strings.Contains(plan, "Roll back to deploy #2") || !strings.Contains(plan, "downgrade") {
		t.Errorf("Roll back to previous planned: %s", plan)
	}
}

// TestUI_DeploymentsShowWhatRuns checks that a failed last attempt is
// flagged apart from the deploy that still runs.
func TestUI_DeploymentsShowWhatRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	failed := e.createDeploy(t, "prod", baseProject.with("dags/new.yaml", "dag_id: new\n"), "2.0.0", "the broken one", testNow)
	status := dagdeck.DeployFailed
	if _, err := e.svc.UpdateDeploy(deployerCtx, "prod", failed.ID, dagdeck.DeployUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	page := b.get("/deployments").body
	running := between(page, `class="cell-running"`, "</td>")
	attempt := between(page, `class="cell-attempt"`, "</td>")
	if !strings.Contains(running, fmt.Sprintf("#%d", h.Current.Sequence)) || strings.Contains(running, "Failed") {
		t.Errorf("running cell: %s", running)
	}
	if !strings.Contains(attempt, fmt.Sprintf("#%d", failed.Sequence)) || !strings.Contains(attempt, "Failed") {
		t.Errorf("last attempt cell: %s", attempt)
	}
}

// between returns the text of s from the first from up to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestUI_BrowserTaskLogFollows opens a running try's log from the task
// table and sees what it writes next appear, until it ends.
func TestUI_BrowserTaskLogFollows(t *testing.T) {
	browser := testenv.Chromium(t)
	e := newEnv(t)
	h := e.seed(t, "prod")
	ctx := context.Background()
	tis, err := e.svc.ListTaskInstances(adminCtx, "prod", dagdeck.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var running *dagdeck.TaskInstance
	for _, ti := range tis {
		if ti.State == dagdeck.TaskRunning {
			running = ti
		}
	}
	if running == nil {
		t.Fatal("the seed has no running try")
	}
	b := e.svc.LocalRuntimeBackend()
	if err := b.PutTaskLog(ctx, h.Deployment.ID, running.ID, []byte("loading rows\n")); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, browser, e.URL)
	tb.login("", e.adminToken)
	tb.open("/deployments/prod")
	tb.do(chromedp.Click(chromedp.CSS(`a[href="/deployments/prod/tasks/`+running.ID+`/log"]`)), chromedp.WaitVisible(chromedp.CSS("#task-log")))
	if got := tb.text("#task-log"); got != "loading rows" {
		t.Fatalf("log = %q", got)
	}
	if err := b.PutTaskLog(ctx, h.Deployment.ID, running.ID, []byte("loading rows\n1200 rows loaded\n")); err != nil {
		t.Fatal(err)
	}
	tb.until(`document.querySelector("#task-log").textContent.includes("1200 rows loaded")`)
	ended := e.clock.Now()
	running.State, running.EndedAt = dagdeck.TaskSuccess, &ended
	if err := b.UpdateTaskInstance(ctx, h.Deployment.ID, running); err != nil {
		t.Fatal(err)
	}
	tb.until(`document.querySelector("[data-follow-status]").textContent === "Ended: success"`)
	if got := tb.text("[data-task-state]"); got != "success" {
		t.Fatalf("state shown = %q", got)
	}
}

func TestUI_DeployPageLinksToTheForge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	page := b.get("/deployments/prod/deploys/" + h.Current.ID).body
	if want := `href="https://github.com/acme/pipelines/commit/3f9c2a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"`; !strings.Contains(page, want) {
		t.Fatalf("the deploy page does not link the commit to its forge (%s)", want)
	}
}

func TestUI_DeployPageShowsMarks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	if _, err := e.svc.PinDeploy(deployerCtx, "prod", h.XCom.ID, "known good", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.QuarantineDeploy(deployerCtx, "prod", h.Report.ID, "breaks notes"); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	if page := b.get("/deployments/prod/deploys/" + h.XCom.ID).body; !strings.Contains(page, "badge-pin") || !strings.Contains(page, "known good") {
		t.Error("the pinned deploy's page does not show its pin")
	}
	if page := b.get("/deployments/prod/deploys/" + h.Report.ID).body; !strings.Contains(page, "badge-quarantine") || !strings.Contains(page, "breaks notes") || strings.Contains(page, "Roll back to this deploy") {
		t.Error("the quarantined deploy's page does not show its quarantine, or offers a rollback")
	}
}

// TestUI_ActivationFailureShown: a deploy the runtime could not switch to
// is flagged on the Deployment page until a later one activates.
func TestUI_ActivationFailureShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rt := &failingRuntime{err: errors.New("no space left on device")}
	e.svc.SetRuntime(rt)
	e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	page := b.get("/deployments/prod").body
	if !strings.Contains(page, `data-activation="failed"`) || !strings.Contains(page, "no space left on device") {
		t.Fatal("the Deployment page does not say the runtime could not switch")
	}
	rt.err = nil
	e.deploy(t, "prod", baseProject.with("include/x.sh", "echo x\n"), "2.0.0", "fixed", testNow)
	if page := b.get("/deployments/prod").body; strings.Contains(page, "data-activation") {
		t.Fatal("the warning stays after a deploy the runtime switched to")
	}
}

// failingRuntime is a runtime whose Activate answers err.
type failingRuntime struct{ err error }

func (r *failingRuntime) Activate(context.Context, *dagdeck.Deploy) error { return r.err }
func (r *failingRuntime) PrepareDowngrade(context.Context, string) error  { return nil }
