package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// startUpload creates a deploy of v2 on prod and leaves it INITIALIZED, as
// a client that crashed mid-upload does.
func (e *env) startUpload(t *testing.T) *dagdeck.Deploy {
	t.Helper()
	created, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if err != nil {
		t.Fatal(err)
	}
	return created.Deploy
}

// requireLapsedFailure checks that d was failed for its lapsed lease, and
// that the audit log says so, by dagdeck itself.
func (e *env) requireLapsedFailure(t *testing.T, d *dagdeck.Deploy) {
	t.Helper()
	got, err := e.svc.FindDeploy(viewer, "prod", d.ID)
	if err != nil || got.Status != dagdeck.DeployFailed || !strings.Contains(got.FailureReason, "lease lapsed") {
		t.Fatalf("the crashed upload: %+v %v; want FAILED for its lapsed lease", got, err)
	}
	page, err := e.svc.ListAudit(admin, dagdeck.AuditFilter{DeploymentID: "prod"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range page.Entries {
		if a.Action == dagdeck.AuditDeployFailed && a.TargetID == d.ID && a.Actor.Kind == dagdeck.ActorSystem {
			return
		}
	}
	t.Fatalf("no deploy.failed audit entry by the system for %s", d.ID)
}

func TestUploadLease(t *testing.T) {
	t.Run("LapsedLeaseGivesWayToTheNextDeploy", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		crashed := e.startUpload(t)

		e.clock.Add(30 * time.Second)
		_, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			t.Fatalf("deploy while the upload's lease holds: %v; want ECONFLICT", err)
		}
		e.clock.Add(31 * time.Second)
		d := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if d.Status != dagdeck.DeployDeployed {
			t.Fatalf("deploy after the lease lapsed: %+v", d)
		}
		e.requireLapsedFailure(t, crashed)
	})
	t.Run("RenewedLeaseHolds", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		live := e.startUpload(t)
		for range 4 {
			e.clock.Add(50 * time.Second)
			if _, err := e.svc.RenewUploadLease(deployer, "prod", live.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Add(50 * time.Second)
		_, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			t.Fatalf("deploy while a renewed upload goes on: %v; want ECONFLICT", err)
		}
		e.upload(t, v2(), digestsOf(v2()))
		if d, err := e.svc.FinalizeDeploy(deployer, "prod", live.ID); err != nil || d.Status != dagdeck.DeployDeployed {
			t.Fatalf("finalize the renewed upload: %+v %v", d, err)
		}
		if _, err := e.svc.RenewUploadLease(deployer, "prod", live.ID); dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
			t.Fatalf("renew a finished deploy: %v; want ECONFLICT", err)
		}
	})
	t.Run("LapsedLeaseGivesWayToRollback", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		crashed := e.startUpload(t)
		e.clock.Add(2 * time.Minute)
		res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "crash", ConfirmDowngrade: true})
		if err != nil || res.Deploy.RollbackFromID != first.ID {
			t.Fatalf("rollback after the lease lapsed: %+v %v", res, err)
		}
		e.requireLapsedFailure(t, crashed)
	})
	t.Run("StartUpFailsOnlyLapsedLeases", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deployment(t, "etl", true)
		crashed := e.startUpload(t)
		e.clock.Add(2 * time.Minute)
		live, err := e.svc.CreateDeploy(deployer, "etl", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.FailLapsedUploads(admin); err != nil || n != 1 {
			t.Fatalf("FailLapsedUploads = %d, %v; want 1", n, err)
		}
		e.requireLapsedFailure(t, crashed)
		if d, _ := e.svc.FindDeploy(viewer, "etl", live.Deploy.ID); d.Status != dagdeck.DeployInitialized {
			t.Fatalf("a live upload was failed: %+v", d)
		}
	})
}

// digestsOf returns the digests of a project's files.
func digestsOf(p project) []string {
	var out []string
	for _, content := range p {
		out = append(out, dagdeck.DigestOf([]byte(content)))
	}
	return out
}
