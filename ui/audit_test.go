package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestUI_AuditAndActivity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	e.user(t, "vera", dagdeck.RoleViewer)
	if res := e.browser(t).login("vera", "wrong password"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	admin := e.browser(t)
	admin.mustLogin("", e.adminToken)
	page := admin.get("/audit")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("audit page: %d", page.StatusCode)
	}
	for _, want := range []string{">login.refused<", ">login.succeeded<", ">deploy.deployed<", ">deployment.created<", h.Current.ID, "vera"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	if page := admin.get("/audit?actor=vera"); strings.Contains(page.body, ">deploy.deployed<") || !strings.Contains(page.body, ">login.refused<") {
		t.Errorf("filtering by actor vera shows other actors' entries or misses hers")
	}

	viewer := e.browser(t)
	viewer.mustLogin("vera", "vera-password")
	if res := viewer.get("/audit"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer's audit page: %d, want 403", res.StatusCode)
	}
	activity := viewer.get("/deployments/prod/activity")
	if activity.StatusCode != http.StatusOK || !strings.Contains(activity.body, ">deploy.deployed<") || strings.Contains(activity.body, ">login.succeeded<") {
		t.Fatalf("a viewer's activity page: %d; want prod's deploys and no logins", activity.StatusCode)
	}
	if !strings.Contains(viewer.get("/deployments/prod").body, `href="/deployments/prod/activity"`) {
		t.Errorf("the Deployment page does not link to its activity")
	}
}

func TestUI_Webhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	csrf := b.csrf()
	bad := b.post("/webhooks", url.Values{"csrf_token": {csrf}, "url": {"ftp://nowhere"}, "events": {dagdeck.EventDeployDeployed}})
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.body, "want an http") {
		t.Fatalf("bad URL: %d", bad.StatusCode)
	}
	res := b.post("/webhooks", url.Values{"csrf_token": {csrf}, "url": {"https://cd.example.com/hook"}, "events": {dagdeck.EventDeployDeployed, dagdeck.EventRollbackDeployed}, "deployment": {"prod"}, "format": {"standard"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.body, "whsec_") || !strings.Contains(res.body, "https://cd.example.com/hook") {
		t.Fatalf("create: %d", res.StatusCode)
	}
	ws, err := e.svc.ListWebhooks(adminCtx)
	if err != nil || len(ws) != 1 || ws[0].DeploymentID == "" || len(ws[0].Events) != 2 {
		t.Fatalf("webhooks after create: %+v %v", ws, err)
	}
	if res := b.post("/webhooks/"+ws[0].ID+"/test", url.Values{"csrf_token": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("test: %d", res.StatusCode)
	}
	if page := b.get("/webhooks"); strings.Contains(page.body, "whsec_") {
		t.Fatalf("the secret is shown again on the list")
	}
	if res := b.post("/webhooks/"+ws[0].ID+"/delete", url.Values{"csrf_token": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if ws, _ := e.svc.ListWebhooks(adminCtx); len(ws) != 0 {
		t.Fatalf("%d webhooks after delete", len(ws))
	}
	if res := b.post("/webhooks/x/delete", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("delete without the CSRF token: %d", res.StatusCode)
	}
}
