package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func strp(s string) *string { return &s }

func TestDeployService_Rollback(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Hour)
		// Settings change between the deploy and the rollback: they must stay.
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{
			Description:       strp("nightly sales"),
			WorkerConcurrency: intp(8),
			Env:               []dagdeck.EnvUpdate{{Key: "WAREHOUSE", Value: strp("snowflake")}, {Key: "API_KEY", Value: strp("s3cret"), IsSecret: true}},
		}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour)
		second := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		e.clock.Add(time.Hour)
		res, err := e.svc.Rollback(as(dagdeck.RoleDeployer, "oncall"), "prod", first.ID, dagdeck.RollbackRequest{Description: "v2 breaks the report", ConfirmDowngrade: true})
		if err != nil {
			t.Fatal(err)
		}
		rb := res.Deploy
		if rb.Sequence != 3 || rb.RollbackFromID != first.ID || rb.Status != dagdeck.DeployDeployed || rb.CreatedBy.Name != "oncall" || rb.Description != "v2 breaks the report" {
			t.Fatalf("rollback deploy = %+v", rb)
		}
		if !rb.CreatedAt.Equal(first.CreatedAt.Add(3*time.Hour)) || rb.ID == first.ID {
			t.Fatalf("rollback has time %v, want its own", rb.CreatedAt)
		}
		if rb.ImageTag != first.ImageTag || rb.DagBundleVersion != first.DagBundleVersion || rb.RuntimeVersion != "1.1.0" || rb.ImageDigest != first.ImageDigest || rb.DagBundleDigest != first.DagBundleDigest {
			t.Fatalf("code state not restored: %+v", rb)
		}
		dep, _ := e.svc.FindDeployment(viewer, "prod")
		if dep.CurrentDeployID != rb.ID || dep.RuntimeVersion != "1.1.0" || dep.Description != "nightly sales" || dep.WorkerConcurrency != 8 || len(dep.Env) != 2 || dep.Name != "prod" {
			t.Fatalf("deployment after rollback = %+v", dep)
		}
		h := history(t, e, "prod")
		if len(h) != 3 || h[0].ID != rb.ID || h[1].ID != second.ID || h[2].ID != first.ID {
			t.Fatalf("history order wrong: %v", ids(h))
		}
		if last := e.runtime.activated[len(e.runtime.activated)-1]; last != rb.ID {
			t.Fatalf("runtime not told: %v", e.runtime.activated)
		}
		if len(e.runtime.downgrades) != 1 {
			t.Fatalf("downgrade 2.0.0 → 1.1.0 did not stop running tasks: %v", e.runtime.downgrades)
		}
	})

	t.Run("DryRunPlanChangesNothing", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Hour)
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "WAREHOUSE", Value: strp("bq")}}}); err != nil {
			t.Fatal(err)
		}
		second := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		res, err := e.svc.Rollback(viewer, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Plan
		if res.Deploy != nil {
			t.Fatal("a dry run returned a deploy")
		}
		if p.Runtime.From != "2.0.0" || p.Runtime.To != "1.1.0" || p.Runtime.Change != dagdeck.RuntimeDowngrade || !p.RequiresConfirmation {
			t.Fatalf("runtime = %+v", p.Runtime)
		}
		if !p.Image.Changed || p.Image.From != "dagdeck/prod:"+second.ImageTag || p.Image.To != "dagdeck/prod:"+first.ImageTag {
			t.Fatalf("image = %+v", p.Image)
		}
		if fmt.Sprint(p.DagBundle.Removed) != "[dags/extra.yaml]" || fmt.Sprint(p.DagBundle.Changed) != "[dags/report.yaml]" || len(p.DagBundle.Added) != 0 {
			t.Fatalf("bundle delta = %+v", p.DagBundle)
		}
		if fmt.Sprint(p.ImageFiles.Changed) != "[Dockerfile include/report.sh]" || len(p.ImageFiles.Added)+len(p.ImageFiles.Removed) != 0 || p.ImageFiles.To != first.ImageTag {
			t.Fatalf("image files delta = %+v", p.ImageFiles)
		}
		if fmt.Sprint(p.NotRolledBack.EnvKeysChanged) != "[WAREHOUSE]" || p.NotRolledBack.Settings["executor"] != "local" {
			t.Fatalf("not rolled back = %+v", p.NotRolledBack)
		}
		if len(p.Erased) != 1 || p.Erased[0].Feature.Name != "xcom" {
			t.Fatalf("erased = %+v", p.Erased)
		}
		if h := history(t, e, "prod"); len(h) != 2 || len(e.runtime.downgrades) != 0 {
			t.Fatalf("dry run changed something: %d deploys, downgrades %v", len(h), e.runtime.downgrades)
		}
	})

	t.Run("UpgradeAndSameRuntimeNeedNoConfirmation", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		second := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if _, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "down", ConfirmDowngrade: true}); err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Rollback(deployer, "prod", second.ID, dagdeck.RollbackRequest{Description: "up again"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Plan.Runtime.Change != dagdeck.RuntimeUpgrade || res.Deploy.RuntimeVersion != "2.0.0" {
			t.Fatalf("plan %+v", res.Plan.Runtime)
		}
	})

	t.Run("RefusedDowngradeStopsNothing", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if _, err := e.svc.CreateDeploy(deployer, "prod", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true)); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", ConfirmDowngrade: true})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		if len(e.runtime.downgrades) != 0 {
			t.Fatalf("a refused rollback stopped running tasks: %v", e.runtime.downgrades)
		}
	})

	t.Run("RestoresDagDeploySetting", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		off := false
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &off}); err != nil {
			t.Fatal(err)
		}
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", false))
		res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "back to DAG deploys"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Plan.DagDeploy.Changed || !res.Deploy.IsDagDeployEnabled {
			t.Fatalf("plan %+v deploy %+v", res.Plan.DagDeploy, res.Deploy)
		}
		if dep, _ := e.svc.FindDeployment(viewer, "prod"); !dep.IsDagDeployEnabled {
			t.Fatal("DAG-deploy setting not restored")
		}
	})
}

func intp(i int) *int { return &i }

func ids(ds []*dagdeck.Deploy) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("#%d", d.Sequence))
	}
	return out
}

func TestDeployService_RollbackErrors(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	e.deployment(t, "staging", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	other := e.deploy(t, "staging", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	created, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateDeploy(deployer, "prod", created.Deploy.ID, dagdeck.DeployUpdate{Status: statusp(dagdeck.DeployFailed)}); err != nil {
		t.Fatal(err)
	}
	e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	tests := []struct {
		name     string
		deployID string
		req      dagdeck.RollbackRequest
		code     string
		message  string
	}{
		{name: "Failed", deployID: created.Deploy.ID, req: dagdeck.RollbackRequest{Description: "x"}, code: dagdeck.EUNPROCESSABLE, message: "FAILED"},
		{name: "OtherDeployment", deployID: other.ID, req: dagdeck.RollbackRequest{Description: "x"}, code: dagdeck.EINVALID, message: "belongs to another Deployment"},
		{name: "UnknownDeploy", deployID: "nope", req: dagdeck.RollbackRequest{Description: "x"}, code: dagdeck.ENOTFOUND, message: "not found"},
		{name: "NoDescription", deployID: first.ID, req: dagdeck.RollbackRequest{}, code: dagdeck.EINVALID, message: "needs a description"},
		{name: "DescriptionTooLong", deployID: first.ID, req: dagdeck.RollbackRequest{Description: strings.Repeat("é", 501)}, code: dagdeck.EINVALID, message: "501 characters"},
		{name: "DowngradeNotConfirmed", deployID: first.ID, req: dagdeck.RollbackRequest{Description: "x"}, code: dagdeck.EUNPROCESSABLE, message: "--confirm-downgrade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Rollback(deployer, "prod", tt.deployID, tt.req)
			apitest.WantCode(t, err, tt.code)
			if !strings.Contains(dagdeck.ErrorMessage(err), tt.message) {
				t.Fatalf("message %q does not say %q", dagdeck.ErrorMessage(err), tt.message)
			}
			if h := history(t, e, "prod"); len(h) != 3 {
				t.Fatalf("history has %d deploys, want 3", len(h))
			}
		})
	}
	t.Run("StalePlan", func(t *testing.T) {
		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", ConfirmDowngrade: true, ExpectedCurrentDeployID: first.ID})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		if !strings.Contains(dagdeck.ErrorMessage(err), "became current since this plan was made") {
			t.Fatalf("message %q", dagdeck.ErrorMessage(err))
		}
	})
	t.Run("ViewerMayOnlyDryRun", func(t *testing.T) {
		_, err := e.svc.Rollback(viewer, "prod", first.ID, dagdeck.RollbackRequest{Description: "x", ConfirmDowngrade: true})
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
		if _, err := e.svc.Rollback(viewer, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeployService_RollbackToCurrent(t *testing.T) {
	t.Run("ErrNothingChanges", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", v1Fixed(), v1Fixed().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		cur := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		for _, dry := range []bool{false, true} {
			_, err := e.svc.Rollback(deployer, "prod", cur.ID, dagdeck.RollbackRequest{Description: "x", DryRun: dry})
			apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
			if msg := dagdeck.ErrorMessage(err); msg != "deploy #3 is current; nothing to roll back" {
				t.Fatalf("dry run %v: message %q", dry, msg)
			}
		}
		if h := history(t, e, "prod"); len(h) != 3 {
			t.Fatalf("history has %d deploys, want 3", len(h))
		}
	})

	t.Run("ErrSameCodeAsCurrent", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", v1Fixed(), v1Fixed().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		back := rollback(t, e, "prod", 1)
		_, err := e.svc.Rollback(deployer, "prod", back.RollbackFromID, dagdeck.RollbackRequest{Description: "again"})
		apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
		if msg := dagdeck.ErrorMessage(err); !strings.Contains(msg, "deploy #1 has the same code") || !strings.Contains(msg, "#3, which is current") {
			t.Fatalf("message %q", msg)
		}
	})

	t.Run("OKWhenTheDagDeploySettingChanged", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		cur := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		off := false
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &off}); err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Rollback(deployer, "prod", cur.ID, dagdeck.RollbackRequest{Description: "restore DAG deploys"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Plan.DagDeploy.Changed || res.Deploy.Sequence != 2 || !res.Deploy.IsDagDeployEnabled {
			t.Fatalf("plan %+v, deploy %+v", res.Plan.DagDeploy, res.Deploy)
		}
	})
}

// rollback rolls dep back to the deploy with that sequence number.
func rollback(t *testing.T, e *env, dep string, seq int64) *dagdeck.Deploy {
	t.Helper()
	for _, d := range history(t, e, dep) {
		if d.Sequence == seq {
			res, err := e.svc.Rollback(deployer, dep, d.ID, dagdeck.RollbackRequest{Description: "back to #" + fmt.Sprint(seq)})
			if err != nil {
				t.Fatal(err)
			}
			return res.Deploy
		}
	}
	t.Fatalf("no deploy #%d", seq)
	return nil
}

func statusp(s dagdeck.DeployStatus) *dagdeck.DeployStatus { return &s }

func TestDeployService_RollbackEligibility(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		age      time.Duration
		eligible bool
	}{
		{89 * day, true},
		{90 * day, true},
		{90*day + time.Second, false},
		{91 * day, false},
	} {
		t.Run(fmt.Sprintf("Age%s", tt.age), func(t *testing.T) {
			e := newEnv(t)
			e.deployment(t, "prod", true)
			old := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
			e.clock.Add(tt.age - time.Hour)
			e.deploy(t, "prod", v1Fixed(), v1Fixed().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
			e.clock.Add(time.Hour)
			d, err := e.svc.FindDeploy(viewer, "prod", old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rollback.Eligible != tt.eligible {
				t.Fatalf("eligible = %v (%s), want %v", d.Rollback.Eligible, d.Rollback.Reason, tt.eligible)
			}
			_, err = e.svc.Rollback(deployer, "prod", old.ID, dagdeck.RollbackRequest{Description: "x"})
			if tt.eligible && err != nil {
				t.Fatalf("rollback refused: %v", err)
			}
			if !tt.eligible {
				apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
				if d.Rollback.Reason != dagdeck.ReasonExpired || !strings.Contains(dagdeck.ErrorMessage(err), "EXPIRED") {
					t.Fatalf("reason %q, message %q", d.Rollback.Reason, dagdeck.ErrorMessage(err))
				}
			}
		})
	}

	t.Run("OnlyTheLastDeployWhenAllAreOld", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		a := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(time.Hour)
		b := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(200 * day)
		h := history(t, e, "prod")
		if h[0].ID != b.ID || !h[0].Rollback.Eligible || h[1].ID != a.ID || h[1].Rollback.Eligible || h[1].Rollback.Reason != dagdeck.ReasonExpired {
			t.Fatalf("eligibility: %+v / %+v", h[0].Rollback, h[1].Rollback)
		}
		off := false
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Rollback(deployer, "prod", b.ID, dagdeck.RollbackRequest{Description: "redeploy the last"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RetentionIsConfigurable", func(t *testing.T) {
		e := newEnv(t, withRetention(7*day))
		e.deployment(t, "prod", true)
		a := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(8 * day)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if d, _ := e.svc.FindDeploy(viewer, "prod", a.ID); d.Rollback.Eligible {
			t.Fatal("an 8-day-old deploy is eligible with a 7-day window")
		}
	})
}
