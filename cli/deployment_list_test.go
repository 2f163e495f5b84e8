package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func TestDeploymentList_CurrentAndLastAttempt(t *testing.T) {
	t.Parallel()
	ana := dagdeck.Actor{ID: "u1", Kind: "user", Name: "ana"}
	bob := dagdeck.Actor{ID: "u2", Kind: "user", Name: "bob"}
	tests := []struct {
		name       string
		newest     dagdeck.DeployStatus // status of deploy #2; "" for no #2
		current    string
		wantCells  []string
		wantAbsent []string
	}{
		{"failed last attempt", dagdeck.DeployFailed, "d1", []string{"etl", "#1", "(3h ago)", "ana", "! #2 FAILED (1h ago)"}, []string{"bob"}},
		{"in progress", dagdeck.DeployInitialized, "d1", []string{"#1", "ana", "#2 INITIALIZED (1h ago)"}, []string{"!"}},
		{"newest is current", dagdeck.DeployDeployed, "d2", []string{"#2", "(1h ago)", "bob"}, []string{"!", "FAILED", "DEPLOYED"}},
		{"never deployed", "", "", []string{"etl", "-"}, []string{"#"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			if tt.current != "" || tt.newest != "" {
				api.addDeploy(dagdeck.Deploy{Status: dagdeck.DeployDeployed, CreatedBy: ana, CreatedAt: testTime})
			}
			if tt.newest != "" {
				api.addDeploy(dagdeck.Deploy{Status: tt.newest, CreatedBy: bob, CreatedAt: testTime.Add(2 * time.Hour)})
			}
			api.deployment.CurrentDeployID = tt.current
			tio := newTestFactory(t, api.start(), "")
			if code := tio.run("deployment", "list"); code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			lines := strings.Split(strings.TrimSpace(tio.out.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "CURRENT DEPLOY") || !strings.Contains(lines[0], "LAST ATTEMPT") {
				t.Fatalf("want header + 1 row:\n%s", tio.out)
			}
			for _, c := range tt.wantCells {
				if !strings.Contains(lines[1], c) {
					t.Errorf("row %q lacks %q", lines[1], c)
				}
			}
			for _, c := range tt.wantAbsent {
				if strings.Contains(lines[1], c) {
					t.Errorf("row %q has %q", lines[1], c)
				}
			}
		})
	}
}

func TestDeploymentInspect_CurrentDeployIsNamed(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	api.addDeploy(dagdeck.Deploy{Status: dagdeck.DeployDeployed, CreatedAt: testTime})
	api.addDeploy(dagdeck.Deploy{ID: "01hxcurrent", Status: dagdeck.DeployDeployed, CreatedAt: testTime})
	api.deployment.CurrentDeployID = "01hxcurrent"
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deployment", "inspect", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if !strings.Contains(tio.out.String(), "Current deploy:      #2 (01hxcurrent)\n") {
		t.Fatalf("output:\n%s", tio.out)
	}
}
