package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func TestServer_Auth(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	viewer := ts.as(t, "dashboard", dagdeck.RoleViewer)
	deployer := ts.as(t, "ci", dagdeck.RoleDeployer)

	t.Run("NoToken", func(t *testing.T) {
		_, err := ts.client("").ListDeployments(ctx)
		apitest.WantCode(t, err, dagdeck.EUNAUTHORIZED)
	})
	t.Run("BadToken", func(t *testing.T) {
		_, err := ts.client("ddk_forged").ListDeployments(ctx)
		apitest.WantCode(t, err, dagdeck.EUNAUTHORIZED)
	})
	t.Run("ViewerReadsButMayNotDeploy", func(t *testing.T) {
		if _, err := viewer.ListDeploys(ctx, "prod", client.ListDeploysOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := viewer.CreateDeploy(ctx, "prod", v1().Request("1.1.0", "x"))
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	})
	t.Run("DeployerMayNotManageDeployments", func(t *testing.T) {
		_, err := deployer.CreateDeployment(ctx, client.DeploymentCreate{Name: "sneaky"})
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
		_, err = deployer.CreateToken(ctx, "more", dagdeck.RoleAdmin)
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	})
	t.Run("CreatedByComesFromTheToken", func(t *testing.T) {
		d, err := deploy(ctx, deployer, "prod", v1(), v1().Request("1.1.0", "first"))
		if err != nil {
			t.Fatal(err)
		}
		if d.CreatedBy.Name != "ci" || d.CreatedBy.Kind != "token" || d.CreatedBy.ID == "" {
			t.Fatalf("createdBy = %+v", d.CreatedBy)
		}
		// A client cannot claim to be someone else: the field is refused.
		status, body := rawRequest(t, "POST", ts.URL+"/api/v1/deployments/prod/deploys", ts.adminToken,
			`{"type":"IMAGE_AND_DAG","runtimeVersion":"1.1.0","createdBy":{"name":"mallory"}}`)
		if status != http.StatusBadRequest || !strings.Contains(string(body), "createdBy") {
			t.Fatalf("status %d body %s", status, body)
		}
	})
	t.Run("RevokedToken", func(t *testing.T) {
		created, err := admin.CreateToken(ctx, "temp", dagdeck.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.DeleteToken(ctx, created.Token.ID); err != nil {
			t.Fatal(err)
		}
		_, err = ts.client(created.Secret).ListDeployments(ctx)
		apitest.WantCode(t, err, dagdeck.EUNAUTHORIZED)
	})
}

func TestServer_Errors(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"UnknownDeployment", "GET", "/api/v1/deployments/nope/deploys", "", 404, dagdeck.ENOTFOUND},
		{"UnknownDeploy", "GET", "/api/v1/deployments/prod/deploys/nope", "", 404, dagdeck.ENOTFOUND},
		{"MalformedJSON", "POST", "/api/v1/deployments", "{", 400, dagdeck.EINVALID},
		{"BadName", "POST", "/api/v1/deployments", `{"name":"Prod!"}`, 400, dagdeck.EINVALID},
		{"DuplicateName", "POST", "/api/v1/deployments", `{"name":"prod"}`, 409, dagdeck.ECONFLICT},
		{"LongDescription", "POST", "/api/v1/deployments/prod/deploys", `{"type":"DAG_ONLY","description":"` + strings.Repeat("x", 501) + `","dagManifest":{"kind":"dags","files":[]}}`, 400, dagdeck.EINVALID},
		{"BadDigest", "PUT", "/api/v1/artifacts/sha256:zz", "x", 400, dagdeck.EINVALID},
		{"DigestMismatch", "PUT", "/api/v1/artifacts/" + dagdeck.DigestOf([]byte("a")), "b", 400, dagdeck.EINVALID},
		{"BadCursor", "GET", "/api/v1/deployments/prod/deploys?cursor=zzz", "", 400, dagdeck.EINVALID},
		{"NoRoute", "GET", "/api/v1/nothing", "", 404, dagdeck.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, tt.method, ts.URL+tt.path, ts.adminToken, tt.body)
			var e struct{ Code, Message string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q is not a JSON error: %v", body, err)
			}
			if status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("status %d code %q message %q; want %d %q", status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

// TestServer_ConcurrentDeploysAndRollbacks hammers one Deployment from many
// goroutines: every attempt either lands or gets ECONFLICT (or, for a
// rollback while #1's code is current, "nothing to roll back"), and the history
// is complete, gap-free and strictly ordered, with the last DEPLOYED deploy
// current.
func TestServer_ConcurrentDeploysAndRollbacks(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin, first := prodDeployed(t, ts, "base")
	const workers, attempts = 16, 6
	var mu sync.Mutex
	landed := map[string]bool{first.ID: true}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < attempts; i++ {
				var id string
				if (w+i)%2 == 0 {
					p := v1()
					p["include/report.sh"] = fmt.Sprintf("echo worker %d attempt %d\n", w, i)
					d, err := deploy(ctx, admin, "prod", p, p.Request("1.1.0", fmt.Sprintf("w%d-%d", w, i)))
					if err != nil {
						if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
							t.Errorf("deploy: %v", err)
						}
						continue
					}
					id = d.ID
				} else {
					res, err := admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: fmt.Sprintf("rb w%d-%d", w, i)})
					if err != nil {
						if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT && !nothingToRollBack(err) {
							t.Errorf("rollback: %v", err)
						}
						continue
					}
					id = res.Deploy.ID
				}
				mu.Lock()
				landed[id] = true
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()

	all, err := admin.ListAllDeploys(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	var lastDeployed *dagdeck.Deploy
	for i, d := range all {
		if want := int64(len(all) - i); d.Sequence != want {
			t.Fatalf("row %d has sequence %d, want %d: history not strictly ordered", i, d.Sequence, want)
		}
		if seen[d.ID] {
			t.Fatalf("deploy %s listed twice", d.ID)
		}
		seen[d.ID] = true
		if lastDeployed == nil && d.Status == dagdeck.DeployDeployed {
			lastDeployed = d
		}
	}
	for id := range landed {
		if !seen[id] {
			t.Fatalf("deploy %s that succeeded is missing from the history", id)
		}
	}
	if len(landed) < 2 {
		t.Fatalf("only %d deploys landed; the test exercised nothing", len(landed))
	}
	dep, err := admin.GetDeployment(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if dep.CurrentDeployID != lastDeployed.ID {
		t.Fatalf("current deploy %s, want the last DEPLOYED one %s", dep.CurrentDeployID, lastDeployed.ID)
	}
	t.Logf("%d attempts, %d landed, %d history rows", workers*attempts, len(landed), len(all))
}

// nothingToRollBack reports whether err refuses a rollback that would change nothing.
func nothingToRollBack(err error) bool {
	return dagdeck.ErrorCode(err) == dagdeck.EUNPROCESSABLE && strings.Contains(dagdeck.ErrorMessage(err), "nothing to roll back")
}

// TestServer_RollbackPlanID confirms a plan by its planId over HTTP: a
// deploy that landed since the plan makes the confirmation a 409 that
// commits nothing; the new plan's planId rolls back.
func TestServer_RollbackPlanID(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin, first := prodDeployed(t, ts, "base")
	fixed := apitest.Project("1.1.0", "report v1 fixed")
	if _, err := deploy(ctx, admin, "prod", fixed, fixed.Request("1.1.0", "fix")); err != nil {
		t.Fatal(err)
	}
	confirm := func(planID string) (int, []byte) {
		return rawRequest(t, "POST", ts.URL+"/api/v1/deployments/prod/deploys/"+first.ID+"/rollback", ts.adminToken,
			`{"description":"the fix broke the report","planId":"`+planID+`"}`)
	}
	seen, err := admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	again := apitest.Project("1.1.0", "report v1 fixed again")
	landed, err := deploy(ctx, admin, "prod", again, again.Request("1.1.0", "fix again"))
	if err != nil {
		t.Fatal(err)
	}
	status, body := confirm(seen.Plan.PlanID)
	if status != http.StatusConflict || !strings.Contains(string(body), landed.String()+" became current") {
		t.Fatalf("stale plan: status %d body %s", status, body)
	}
	if dep, err := admin.GetDeployment(ctx, "prod"); err != nil || dep.CurrentDeployID != landed.ID {
		t.Fatalf("after a refused rollback the current deploy is %+v (%v), want %s", dep, err, landed)
	}
	now, err := admin.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	status, body = confirm(now.Plan.PlanID)
	var res dagdeck.RollbackResult
	if err := json.Unmarshal(body, &res); status != http.StatusCreated || err != nil || res.Deploy.RollbackFromID != first.ID {
		t.Fatalf("current plan: status %d body %s", status, body)
	}
}
