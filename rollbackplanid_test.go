package dagdeck

import (
	"fmt"
	"strings"
	"testing"
)

// samplePlan is a plan from deploy #3 back to #1 with one running task.
func samplePlan() *RollbackPlan {
	return &RollbackPlan{
		DeploymentID:  "dep1",
		CurrentDeploy: &Deploy{ID: "d3", Sequence: 3, Description: "v3"},
		TargetDeploy:  &Deploy{ID: "d1", Sequence: 1, Description: "v1"},
		Image:         Change{From: "r:deploy-3", To: "r:deploy-1", Changed: true},
		Runtime:       RuntimeDelta{From: "2.0.0", To: "2.0.0", Change: RuntimeSame},
		DagBundle:     BundleDelta{From: "b3", To: "b1", Removed: []string{"dags/new.yaml"}},
		NotRolledBack: NotRolledBack{EnvKeysChanged: []string{"API_KEY"}, Settings: map[string]string{"executor": "local", "name": "etl"}},
		RunningTasks:  []PlannedTask{{DagID: "report", RunID: "r1", TaskID: "extract", TryNumber: 1, DeployID: "d3", Outcome: "finishes"}},
		Erased:        []ErasedFeature{},
	}
}

func TestRollbackPlan_ChangedSince(t *testing.T) {
	id := samplePlan().Digest()
	if again := samplePlan().Digest(); again != id || !strings.HasPrefix(id, "rp1-") {
		t.Fatalf("plan ids %q and %q of the same plan", id, again)
	}
	for _, tt := range []struct {
		name   string
		change func(p *RollbackPlan)
		want   string
	}{
		{"Same", func(p *RollbackPlan) {}, "[]"},
		{"DescriptionEdited", func(p *RollbackPlan) { p.TargetDeploy.Description = "edited" }, "[]"},
		{"EligibilityShown", func(p *RollbackPlan) { p.TargetDeploy.Rollback = RollbackEligibility{Eligible: true} }, "[]"},
		{"DeployLanded", func(p *RollbackPlan) {
			p.CurrentDeploy = &Deploy{ID: "d4", Sequence: 4}
			p.Image.From = "r:deploy-4"
		}, "[current deploy image]"},
		{"OtherTarget", func(p *RollbackPlan) { p.TargetDeploy = &Deploy{ID: "d2", Sequence: 2} }, "[target deploy]"},
		{"TaskStartedAndEnded", func(p *RollbackPlan) { // they finish on their code either way
			p.RunningTasks = []PlannedTask{{DagID: "report", RunID: "r1", TaskID: "load", TryNumber: 1, DeployID: "d3", Outcome: "finishes"}}
		}, "[]"},
		{"EnvChanged", func(p *RollbackPlan) { p.NotRolledBack.EnvKeysChanged = []string{"API_KEY", "LOG_LEVEL"} }, "[what is not rolled back]"},
		{"NowDowngrade", func(p *RollbackPlan) {
			p.Runtime = RuntimeDelta{From: "2.0.0", To: "1.1.0", Change: RuntimeDowngrade}
			p.RequiresConfirmation = true
			p.Erased = []ErasedFeature{{Feature: FeatureXCom, Rows: 3}}
		}, "[runtime running tasks erased metadata]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePlan()
			tt.change(p)
			changed, err := p.ChangedSince(id)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(changed); got != tt.want {
				t.Fatalf("changed %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRollbackPlan_ChangedSinceErrNotAPlanID(t *testing.T) {
	id := samplePlan().Digest()
	for _, bad := range []string{"d3", id[:len(id)-2], "rp2-" + strings.TrimPrefix(id, "rp1-"), id + "!"} {
		if _, err := samplePlan().ChangedSince(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ChangedSince(%q): %v, want EINVALID", bad, err)
		}
	}
}

// TestRollbackPlan_ChangedSinceDowngradeTasks: a downgrade stops the
// running tasks, so which run is part of what the user confirms.
func TestRollbackPlan_ChangedSinceDowngradeTasks(t *testing.T) {
	downgrade := func() *RollbackPlan {
		p := samplePlan()
		p.Runtime = RuntimeDelta{From: "2.0.0", To: "1.1.0", Change: RuntimeDowngrade}
		p.RequiresConfirmation = true
		p.RunningTasks[0].Outcome = "fails now; retried after the rollback"
		return p
	}
	id := downgrade().Digest()
	p := downgrade()
	p.RunningTasks = append(p.RunningTasks, PlannedTask{DagID: "report", RunID: "r1", TaskID: "load", TryNumber: 1, DeployID: "d3", Outcome: "fails now; no retries left"})
	changed, err := p.ChangedSince(id)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(changed); got != "[running tasks]" {
		t.Fatalf("a task started before a downgrade: changed %s, want [running tasks]", got)
	}
}
