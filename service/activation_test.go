package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// TestActivation_FailedIsReported: when the runtime cannot switch, the
// deploy is still recorded and current, and the caller and the Deployment
// say the runtime has not switched, until a later deploy activates.
func TestActivation_FailedIsReported(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	e.runtime.fail = errors.New("disk full")
	d := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	if d.Activation == nil || d.Activation.State != dagdeck.ActivationFailed || d.Activation.Error != "disk full" {
		t.Fatalf("finalize answered activation %+v, want failed", d.Activation)
	}
	dep, err := e.svc.FindDeployment(viewer, "prod")
	if err != nil || dep.CurrentDeployID != d.ID || dep.Activation == nil || dep.Activation.State != dagdeck.ActivationFailed {
		t.Fatalf("Deployment after a failed activation: current %s, activation %+v, %v", dep.CurrentDeployID, dep.Activation, err)
	}
	e.runtime.fail = nil
	rb, err := e.svc.Rollback(deployer, "prod", d.ID, dagdeck.RollbackRequest{Description: "again"})
	if err == nil {
		t.Fatalf("a rollback to the current code was accepted: %+v", rb)
	}
	d2 := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if d2.Activation == nil || d2.Activation.State != dagdeck.ActivationActive {
		t.Fatalf("a later deploy's activation: %+v", d2.Activation)
	}
	if dep, _ := e.svc.FindDeployment(viewer, "prod"); dep.Activation == nil || dep.Activation.DeployID != d2.ID || dep.Activation.State != dagdeck.ActivationActive {
		t.Fatalf("Deployment activation after it: %+v", dep.Activation)
	}
}

// TestActivation_PendingUntilTheRuntimeReports: with a separate runtime the
// deploy is pending until that runtime reports the DAGs of its code.
func TestActivation_PendingUntilTheRuntimeReports(t *testing.T) {
	e := newEnv(t)
	e.svc.SetRuntime(e.svc.ExternalRuntime())
	dep := e.deployment(t, "prod", true)
	report := func(d *dagdeck.Deploy) {
		dags := []*dagdeck.Dag{{DagID: "report", File: "dags/report.yaml", DeployID: d.ID}}
		if err := e.svc.LocalRuntimeBackend().ReplaceDags(context.Background(), dep.ID, dags, nil); err != nil {
			t.Fatal(err)
		}
	}
	d := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	if d.Activation != nil {
		t.Fatalf("no runtime has ever reported (real Airflow, say): activation %+v, want none", d.Activation)
	}
	report(d) // a runtime starts running the Deployment
	d2 := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	if d2.Activation == nil || d2.Activation.State != dagdeck.ActivationPending {
		t.Fatalf("finalize with a separate runtime: %+v, want pending", d2.Activation)
	}
	if got, _ := e.svc.FindDeployment(viewer, "prod"); got.Activation == nil || got.Activation.State != dagdeck.ActivationPending {
		t.Fatalf("the Deployment before the runtime reported: %+v", got.Activation)
	}
	report(d2)
	if got, _ := e.svc.FindDeployment(viewer, "prod"); got.Activation == nil || got.Activation.State != dagdeck.ActivationActive {
		t.Fatalf("after the runtime reported the deploy: %+v", got.Activation)
	}
}
