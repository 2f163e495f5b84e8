package service_test

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func TestDeployService_Pin(t *testing.T) {
	day := 24 * time.Hour
	e := newEnv(t)
	e.deployment(t, "prod", true)
	old := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	e.clock.Add(time.Hour)
	until := e.clock.Now().Add(365 * day)
	pinned, err := e.svc.PinDeploy(deployer, "prod", old.ID, "last good before the migration", &until)
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Pin == nil || pinned.Pin.By.Name != "ci" || pinned.Pin.Reason != "last good before the migration" || !pinned.Pin.Until.Equal(until) {
		t.Fatalf("pin = %+v", pinned.Pin)
	}
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	// 200 days later: outside the window, but pinned.
	e.clock.Add(200 * day)
	if res, err := e.svc.GC(admin); err != nil || res.DeploysPruned != 0 {
		t.Fatalf("gc of a pinned deploy = %+v, %v", res, err)
	}
	d, err := e.svc.FindDeploy(viewer, "prod", old.ID)
	if err != nil || !d.Rollback.Eligible || d.Pin == nil {
		t.Fatalf("pinned deploy after 200 days = %+v, %v", d, err)
	}
	if prev, err := e.svc.FindDeploy(viewer, "prod", "previous"); err != nil || prev.ID != old.ID {
		t.Fatalf("previous = %v, %v; want the pinned deploy", prev, err)
	}
	if _, err := e.svc.Rollback(deployer, "prod", old.ID, dagdeck.RollbackRequest{Description: "back to the pinned one", ConfirmDowngrade: true}); err != nil {
		t.Fatal(err)
	}

	// When the pin ends, the garbage collector may take it.
	e.clock.Add(200 * day)
	if _, err := e.svc.UnpinDeploy(deployer, "prod", old.ID); err != nil {
		t.Fatal(err)
	}
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	e.clock.Add(100 * day)
	e.deploy(t, "prod", v2().with("include/x.sh", "x"), v2().with("include/x.sh", "x").request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if res, err := e.svc.GC(admin); err != nil || res.DeploysPruned == 0 {
		t.Fatalf("gc after the pin ended = %+v, %v", res, err)
	}
	if d, _ := e.svc.FindDeploy(viewer, "prod", old.ID); d.Pin != nil || d.Rollback.Eligible {
		t.Fatalf("unpinned old deploy = %+v", d)
	}

	t.Run("Refused", func(t *testing.T) {
		_, err := e.svc.PinDeploy(deployer, "prod", "#2", "", nil)
		apitest.WantCode(t, err, dagdeck.EINVALID)
		past := e.clock.Now().Add(-time.Hour)
		_, err = e.svc.PinDeploy(deployer, "prod", "#2", "x", &past)
		apitest.WantCode(t, err, dagdeck.EINVALID)
		_, err = e.svc.PinDeploy(viewer, "prod", "#2", "x", nil)
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
		_, err = e.svc.PinDeploy(deployer, "prod", old.ID, "too late", nil)
		apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE) // its artifacts are gone
		_, err = e.svc.UnpinDeploy(deployer, "prod", "#2")
		apitest.WantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func TestDeployService_Quarantine(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	d1 := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	d2 := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	d3 := e.deploy(t, "prod", v3(), v3().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	q, err := e.svc.QuarantineDeploy(deployer, "prod", d2.ID, "corrupts the orders table")
	if err != nil {
		t.Fatal(err)
	}
	if q.Quarantine == nil || q.Rollback.Eligible || q.Rollback.Reason != dagdeck.ReasonQuarantined {
		t.Fatalf("quarantined = %+v", q)
	}
	_, err = e.svc.Rollback(deployer, "prod", d2.ID, dagdeck.RollbackRequest{Description: "x"})
	apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
	if prev, err := e.svc.FindDeploy(viewer, "prod", "previous"); err != nil || prev.ID != d1.ID {
		t.Fatalf("previous = %v, %v; want #1 (#2 is quarantined)", prev, err)
	}

	// The current deploy can be quarantined; it stays current.
	if _, err := e.svc.QuarantineDeploy(deployer, "prod", d3.ID, "slow"); err != nil {
		t.Fatal(err)
	}
	dep, err := e.svc.FindDeployment(viewer, "prod")
	if err != nil || dep.CurrentDeployID != d3.ID {
		t.Fatalf("current after quarantining it: %v, %v", dep.CurrentDeployID, err)
	}
	page, err := e.svc.ListDeploys(viewer, "prod", "", 10)
	if err != nil || page.Deploys[0].Quarantine == nil || page.Deploys[1].Quarantine == nil || page.Deploys[2].Quarantine != nil {
		t.Fatalf("history marks: %v", err)
	}
	if _, err := e.svc.ReleaseDeploy(deployer, "prod", d2.ID); err != nil {
		t.Fatal(err)
	}
	if prev, err := e.svc.FindDeploy(viewer, "prod", "previous"); err != nil || prev.ID != d2.ID {
		t.Fatalf("previous after the release = %v, %v; want #2", prev, err)
	}
}
