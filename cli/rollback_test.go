package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// rollbackAPI returns a fake with three deploys and a plan to roll back from
// #3 to #1, a downgrade when downgrade is set.
func rollbackAPI(t *testing.T, downgrade bool) *fakeAPI {
	api := newFakeAPI(t)
	for i, rt := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployDeployed, RuntimeVersion: rt,
			ImageTag: dagdeck.ImageTagFor(testTime.Add(time.Duration(i) * time.Hour)), CreatedAt: testTime.Add(time.Duration(i) * time.Hour),
			Description: "deploy " + rt, Rollback: dagdeck.RollbackEligibility{Eligible: true}})
	}
	api.plan = &dagdeck.RollbackPlan{
		PlanID: "rp1-3to1", DeploymentID: "dep1", DeploymentName: "etl", CurrentDeploy: api.deploys[2],
		Image:         dagdeck.Change{From: "deploy-2026-11-26T16-05-09", To: "deploy-2026-11-26T14-05-09", Changed: true},
		Runtime:       dagdeck.RuntimeDelta{From: "2.0.0", To: "2.0.0", Change: dagdeck.RuntimeSame},
		DagDeploy:     dagdeck.BoolChange{From: true, To: true},
		DagBundle:     dagdeck.BundleDelta{From: "b3", To: "b1", Added: []string{"dags/old.yaml"}, Removed: []string{"dags/new.yaml"}, Changed: []string{"dags/weather.yaml"}},
		NotRolledBack: dagdeck.NotRolledBack{EnvKeysChanged: []string{"API_KEY", "LOG_LEVEL"}, Settings: map[string]string{"executor": "local", "workerConcurrency": "4"}},
		RunningTasks:  []dagdeck.PlannedTask{{DagID: "weather", RunID: "manual__1", TaskID: "extract", TryNumber: 1, DeployID: "d3", Outcome: "finishes on its current code"}},
	}
	if downgrade {
		api.plan.Runtime = dagdeck.RuntimeDelta{From: "2.0.0", To: "1.0.0", Change: dagdeck.RuntimeDowngrade}
		api.plan.RequiresConfirmation = true
		api.plan.Erased = []dagdeck.ErasedFeature{{Feature: dagdeck.FeatureTaskNotes, Rows: 4}, {Feature: dagdeck.FeatureXCom, Rows: 7}}
		api.plan.RunningTasks[0].Outcome = "fails now; retried after the rollback"
	}
	return api
}

func TestRollback_DryRun(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, false)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("rollback", "d1", "-d", "etl", "--dry-run"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if len(api.rollbackReqs()) != 1 || !api.rollbackReqs()[0].DryRun {
		t.Fatalf("requests: %+v", api.rollbackReqs())
	}
	out := tio.out.String()
	for _, want := range []string{
		"Rollback plan for etl: deploy #3 (",
		"→ deploy #1 (",
		"Image:        deploy-2026-11-26T16-05-09 → deploy-2026-11-26T14-05-09",
		"Runtime:      2.0.0 (same)",
		"DAG deploys:  enabled (unchanged)",
		"1 added, 1 removed, 1 changed",
		"+ dags/old.yaml", "- dags/new.yaml", "~ dags/weather.yaml",
		"Environment variables changed since deploy #1 keep their current values: API_KEY, LOG_LEVEL",
		"Settings: executor=local, workerConcurrency=4",
		"Running tasks (1):",
		"finishes on its current code",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "downgrade") {
		t.Errorf("plan mentions a downgrade:\n%s", out)
	}
}

func TestRollback_WaitsItsTurn(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, false)
	api.rollbackBusy = 2
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("rollback", "d1", "-d", "etl", "--description", "incident", "--yes"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if n := strings.Count(tio.errOut.String(), "to finish; the rollback goes next"); n != 2 {
		t.Errorf("%d progress lines; want 2:\n%s", n, tio.errOut)
	}
	reqs := api.rollbackReqs()
	if last := reqs[len(reqs)-1]; len(reqs) != 4 || last.WaitSeconds != 10 || !last.Replan {
		t.Fatalf("requests %+v: want a dry run and three waiting, re-planning attempts", reqs)
	}
	if !strings.Contains(tio.out.String(), "Rolled back etl to deploy #1") {
		t.Fatalf("output:\n%s", tio.out)
	}
	t.Run("NoWait", func(t *testing.T) {
		api := rollbackAPI(t, false)
		api.rollbackBusy = 1
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("rollback", "d1", "-d", "etl", "--description", "incident", "--yes", "--wait", "0"); code != ExitRefused {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		assertOneErrorLine(t, tio.errOut.String(), "is still in progress")
	})
}

func TestRollback_DowngradePlan(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, true)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("rollback", "d1", "-d", "etl", "--dry-run"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	out := tio.out.String()
	for _, want := range []string{
		"Runtime:      2.0.0 → 1.0.0 (downgrade)",
		"Runtime downgrade 2.0.0 → 1.0.0: running tasks fail now",
		"task notes (free-text notes on task instances, since runtime 1.1.0): 4 rows",
		"XCom values (XCom: a task's last stdout line as return_value, read downstream with $x, since runtime 2.0.0): 7 rows",
		"fails now; retried after the rollback",
		"This rollback needs --confirm-downgrade.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

func TestRollback_Confirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		downgrade bool
		tty       bool
		stdin     string
		args      []string
		wantErr   string // "" for success
		wantCode  int
	}{
		{"yes flag", false, false, "", []string{"--yes"}, "", ExitOK},
		{"answered y", false, true, "y\n", nil, "", ExitOK},
		{"answered yes", false, true, "yes\n", nil, "", ExitOK},
		{"answered n", false, true, "n\n", nil, "rollback cancelled; nothing changed", ExitFailure},
		{"no answer", false, true, "", nil, "rollback cancelled; nothing changed", ExitFailure},
		{"not a terminal", false, false, "y\n", nil, "stdin is not a terminal; pass --yes to roll back", ExitFailure},
		{"downgrade unconfirmed", true, false, "", []string{"--yes"}, "this rollback downgrades the runtime from 2.0.0 to 1.0.0, failing running tasks and erasing 4 task notes and 7 XCom values; pass --confirm-downgrade to proceed", ExitRefused},
		{"downgrade confirmed", true, false, "", []string{"--yes", "--confirm-downgrade"}, "", ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := rollbackAPI(t, tt.downgrade)
			tio := newTestFactory(t, api.start(), tt.stdin)
			tio.f.stdinTTY = func() bool { return tt.tty }
			args := append([]string{"rollback", "d1", "-d", "etl", "--description", "weather broke"}, tt.args...)
			code := tio.run(args...)
			if tt.wantErr != "" {
				if code != tt.wantCode || len(api.rollbackReqs()) != 1 {
					t.Fatalf("exit %d (want %d), %d rollback requests (want only the dry run)", code, tt.wantCode, len(api.rollbackReqs()))
				}
				assertOneErrorLine(t, tio.errOut.String(), tt.wantErr)
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			if tt.tty && !strings.Contains(tio.errOut.String(), "Roll back etl to deploy #1? [y/N] ") {
				t.Errorf("no prompt on stderr: %q", tio.errOut)
			}
			real := api.rollbackReqs()[1]
			if real.DryRun || real.Description != "weather broke" || real.ConfirmDowngrade != tt.downgrade {
				t.Fatalf("rollback request %+v", real)
			}
			// Confirmed when asked: exactly the plan shown. With --yes: a
			// re-plan of the same class is allowed.
			wantPlanID, wantReplan := "rp1-3to1", false
			if slices.Contains(tt.args, "--yes") {
				wantPlanID, wantReplan = "", true
			}
			if real.PlanID != wantPlanID || real.Replan != wantReplan || real.ExpectedCurrentDeployID != "d3" {
				t.Fatalf("rollback request %+v: want planId %q, replan %v", real, wantPlanID, wantReplan)
			}
			if !strings.Contains(tio.out.String(), "Rolled back etl to deploy #1: new deploy #4 (d4).") {
				t.Fatalf("stdout:\n%s", tio.out)
			}
		})
	}
}

// TestRollback_ConfirmedPlanChanged: a deploy lands while the user reads
// the plan; the rollback they confirm is refused and says what changed.
func TestRollback_ConfirmedPlanChanged(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, false)
	api.landAfterDryRun = true
	tio := newTestFactory(t, api.start(), "y\n")
	tio.f.stdinTTY = func() bool { return true }
	if code := tio.run("rollback", "d1", "-d", "etl", "--description", "weather broke"); code != ExitRefused {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	reqs := api.rollbackReqs()
	if len(reqs) != 2 || reqs[1].PlanID != "rp1-3to1" {
		t.Fatalf("requests %+v: want the dry run, then one rollback confirming its plan", reqs)
	}
	assertOneErrorLine(t, tio.errOut.String(), "the rollback plan changed since it was made: deploy #4 (d4) became current; nothing was rolled back")
	if strings.Contains(tio.out.String(), "Rolled back") {
		t.Fatalf("stdout:\n%s", tio.out)
	}
}

func TestRollback_BySequence(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, false)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("rollback", "#1", "-d", "etl", "--description", "x", "--yes", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var res dagdeck.RollbackResult
	if err := json.Unmarshal(tio.out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, tio.out)
	}
	if res.Deploy.RollbackFromID != "d1" || res.Deploy.ImageTag != api.deploys[0].ImageTag {
		t.Fatalf("result deploy %+v", res.Deploy)
	}
	if !strings.Contains(tio.errOut.String(), "Rollback plan for etl") {
		t.Fatalf("plan not on stderr with -o json: %s", tio.errOut)
	}
}

func TestRollback_UnknownSequence(t *testing.T) {
	t.Parallel()
	api := rollbackAPI(t, false)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("rollback", "#9", "-d", "etl", "--dry-run"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertOneErrorLine(t, tio.errOut.String(), "Deployment etl has no deploy #9")
}
