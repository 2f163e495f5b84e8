package service_test

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// v3 is a third version of the project on runtime 2.0.0.
func v3() project { return v2().with("include/report.sh", "echo report v3\n") }

func (p project) with(path, content string) project {
	out := project{}
	for k, v := range p {
		out[k] = v
	}
	out[path] = content
	return out
}

func TestDeployService_FindDeployByRef(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	d1 := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.clock.Add(time.Hour)
	d2 := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.clock.Add(time.Hour)
	failed, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if err != nil {
		t.Fatal(err)
	}
	status := dagdeck.DeployFailed
	if _, err := e.svc.UpdateDeploy(deployer, "prod", failed.Deploy.ID, dagdeck.DeployUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	// The same files as d2 again: a new deploy (own image tag), the same code.
	d4 := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	for ref, want := range map[string]string{
		d1.ID:      d1.ID,
		"#1":       d1.ID,
		"#3":       failed.Deploy.ID,
		"#-1":      d2.ID, // the failed #3 never ran: it does not count
		"#-2":      d1.ID,
		"previous": d1.ID, // #2 has the current code (#4 redeployed it)
	} {
		d, err := e.svc.FindDeploy(viewer, "prod", ref)
		if err != nil || d.ID != want {
			t.Errorf("FindDeploy(%q) = %v, %v; want deploy %s", ref, d, err, want)
		}
	}
	for ref, code := range map[string]string{"#9": dagdeck.ENOTFOUND, "#-3": dagdeck.ENOTFOUND, "#0": dagdeck.EINVALID, "#-x": dagdeck.EINVALID, "nope": dagdeck.ENOTFOUND} {
		_, err := e.svc.FindDeploy(viewer, "prod", ref)
		if dagdeck.ErrorCode(err) != code {
			t.Errorf("FindDeploy(%q): %v, want %s", ref, err, code)
		}
	}

	t.Run("RollbackToPrevious", func(t *testing.T) {
		res, err := e.svc.Rollback(deployer, "prod", "previous", dagdeck.RollbackRequest{Description: "back"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Deploy.RollbackFromID != d1.ID || res.Plan.TargetDeploy.ID != d1.ID {
			t.Fatalf("rolled back to %s (plan: %s), want %s", res.Deploy.RollbackFromID, res.Plan.TargetDeploy.ID, d1.ID)
		}
		// Now previous is #4's code again (d1's code is current).
		if d, err := e.svc.FindDeploy(viewer, "prod", "previous"); err != nil || d.ID != d4.ID {
			t.Fatalf("previous after the rollback = %v, %v; want #4", d, err)
		}
	})

	t.Run("NoneOutsideTheWindow", func(t *testing.T) {
		e.clock.Add(dagdeck.DefaultRetention + time.Hour)
		_, err := e.svc.FindDeploy(viewer, "prod", "previous")
		apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	})
}
