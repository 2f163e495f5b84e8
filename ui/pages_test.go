package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// rowsRE finds the history rows of a page, in order.
var rowsRE = regexp.MustCompile(`<tr id="deploy-([0-9a-z]+)"`)

func rowIDs(body string) []string {
	var ids []string
	for _, m := range rowsRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// wrapped is how the history shows an image tag or bundle version: it may
// wrap after the date.
func wrapped(s string) string {
	date, clock, _ := strings.Cut(s, "T")
	return date + `T</span><wbr><span class="nw">` + clock
}

// row returns the HTML of the history row of deploy id.
func row(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `<tr id="deploy-`+id+`"`)
	if start < 0 {
		t.Fatalf("no row for deploy %s", id)
	}
	end := strings.Index(body[start:], "</tr>")
	return body[start : start+end]
}

func TestUI_DeploymentPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))
	page := b.get("/deployments/prod")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d", page.StatusCode)
	}
	want := []string{h.Current.ID, h.Failed.ID, h.XCom.ID, h.Report.ID, h.Expired.ID}
	if got := rowIDs(page.body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want newest first %v", got, want)
	}
	cur := row(t, page.body, h.Current.ID)
	for _, s := range []string{"1 hour ago", "2026-11-26 13:00:00 UTC", ">ci<", "Image &#43; DAGs", wrapped(h.Current.ImageTag), ">2.0.0<", wrapped(h.Current.DagBundleVersion), "Add the weather DAG", "Deployed", "Current", "Running now"} {
		if !strings.Contains(cur, s) {
			t.Errorf("current row lacks %q:\n%s", s, cur)
		}
	}
	if strings.Contains(cur, "/deploys/"+h.Current.ID+"/rollback") {
		t.Error("the current deploy offers a rollback to itself")
	}
	if !strings.Contains(cur, `href="/deployments/prod/deploys/previous/rollback" data-rollback`) || !strings.Contains(cur, ">Roll back to previous<") {
		t.Errorf("the current row has no Roll back to previous action:\n%s", cur)
	}
	if r := row(t, page.body, h.XCom.ID); !strings.Contains(r, `data-rollback`) || !strings.Contains(r, `>Roll back<`) {
		t.Errorf("eligible row has no Roll back button:\n%s", r)
	}
	if r := row(t, page.body, h.Report.ID); !strings.Contains(r, `badge-downgrade`) {
		t.Errorf("the row of runtime 1.1.0 is not marked as a downgrade from 2.0.0:\n%s", r)
	}
	if r := row(t, page.body, h.XCom.ID); strings.Contains(r, `badge-downgrade`) {
		t.Errorf("a same-runtime row is marked as a downgrade:\n%s", r)
	}
	for id, reason := range map[string]string{h.Failed.ID: "FAILED", h.Expired.ID: "EXPIRED"} {
		r := row(t, page.body, id)
		if strings.Contains(r, "data-rollback") || !strings.Contains(r, `class="reason"`) || !strings.Contains(r, ">"+reason+"<") {
			t.Errorf("ineligible row should say %s and have no button:\n%s", reason, r)
		}
	}
	for _, s := range []string{"Nightly reporting pipelines", "DAGs", "Import errors", "dags/legacy.py", "Task instances", "transform", "Checked by ana", "scheduled__2026-11-26T13:00:00"} {
		if !strings.Contains(page.body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if !strings.Contains(page.body, `data-events-url="/deployments/prod/events"`) {
		t.Error("the page does not subscribe to live updates")
	}
}

// planIDRE finds the planId a plan form confirms.
var planIDRE = regexp.MustCompile(`<input type="hidden" name="plan_id" value="([^"]+)">`)

// shownPlanID returns the planId of the plan form on a page.
func shownPlanID(t *testing.T, body string) string {
	t.Helper()
	m := planIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page has no plan form with a plan_id")
	}
	return m[1]
}

func TestUI_RollbackWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))
	csrf := b.csrf()
	path := "/deployments/prod/deploys/" + h.XCom.ID + "/rollback"

	plan := b.get(path)
	for _, s := range []string{"Roll back to deploy #3", "What changes", "dags/weather.yaml", "dags/cleanup.yaml", "removed", "added", "same", "WEATHER_API_URL", "What does not change", "Running tasks", "transform", "finishes on the code it started with"} {
		if !strings.Contains(plan.body, s) {
			t.Errorf("plan page lacks %q", s)
		}
	}
	if strings.Contains(plan.body, "data-downgrade") {
		t.Error("a same-runtime rollback shows the downgrade warning")
	}
	seen := shownPlanID(t, plan.body)
	if dry, err := e.svc.Rollback(adminCtx, "prod", h.XCom.ID, dagdeck.RollbackRequest{DryRun: true}); err != nil || dry.Plan.PlanID != seen {
		t.Fatalf("the form confirms plan %s; the service plans %+v (%v)", seen, dry, err)
	}
	form := func(name, planID string) url.Values {
		return url.Values{"csrf_token": {csrf}, "description": {"weather DAG breaks report"}, "confirm_name": {name}, "plan_id": {planID}}
	}
	t.Run("WrongName", func(t *testing.T) {
		res := b.post(path, form("staging", seen))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "Type the Deployment&#39;s name, prod") || !strings.Contains(res.body, "weather DAG breaks report") {
			t.Fatalf("status %d: want the plan again with the error and the description kept", res.StatusCode)
		}
	})
	// A deploy lands after the plan was shown: confirming it is refused,
	// and the page shows the new plan, which the visitor confirms.
	hotfix := baseProject.with("Dockerfile", "FROM quay.io/dagdeck/runtime:2.0.0\n").with("include/report.sh", "#!/bin/sh\necho hotfix\n")
	landed := e.deploy(t, "prod", hotfix, "2.0.0", "Hotfix the report", testNow)
	var current string
	t.Run("StalePlan", func(t *testing.T) {
		res := b.post(path, form("prod", seen))
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, landed.String()+" became current") || !strings.Contains(res.body, "weather DAG breaks report") {
			t.Fatalf("status %d\n%s", res.StatusCode, res.body)
		}
		if current = shownPlanID(t, res.body); current == seen {
			t.Fatal("the page shows the stale plan again")
		}
		if ids := rowIDs(b.get("/deployments/prod").body); len(ids) != 6 || ids[0] != landed.ID {
			t.Fatalf("rows %v: the refused rollback changed the history", ids)
		}
	})
	t.Run("OK", func(t *testing.T) {
		res := b.post(path, form("prod", current))
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/deployments/prod?rolledback=") {
			t.Fatalf("status %d location %q\n%s", res.StatusCode, loc, res.body)
		}
		page := b.get(loc)
		ids := rowIDs(page.body)
		if len(ids) != 7 || ids[1] != landed.ID {
			t.Fatalf("rows %v: want the rollback on top of the 6 earlier deploys", ids)
		}
		top := row(t, page.body, ids[0])
		for _, s := range []string{"Rollback", `href="/deployments/prod/deploys/` + h.XCom.ID + `">#3<`, "weather DAG breaks report", wrapped(h.XCom.ImageTag), wrapped(h.XCom.DagBundleVersion), "just now", "Current"} {
			if !strings.Contains(top, s) {
				t.Errorf("new top row lacks %q:\n%s", s, top)
			}
		}
		if !strings.Contains(page.body, "Rolled back to #3: deploy #7 is now current") {
			t.Error("no message says the rollback happened")
		}
	})
}

func TestUI_DowngradeNeedsConfirmation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))
	path := "/deployments/prod/deploys/" + h.Report.ID + "/rollback"
	plan := b.get(path)
	for _, s := range []string{"data-downgrade", "Runtime downgrade: 2.0.0 → 1.1.0", "XCom values</strong>: 3 rows", "fail immediately", `name="confirm_downgrade"`, "fails now; not retried: deploy #2 has no task transform in DAG report"} {
		if !strings.Contains(plan.body, s) {
			t.Errorf("downgrade plan lacks %q", s)
		}
	}
	form := url.Values{"csrf_token": {b.csrf()}, "description": {"back to 1.1.0"}, "confirm_name": {"prod"}, "plan_id": {shownPlanID(t, plan.body)}}
	res := b.post(path, form, "X-Requested-With", "dagdeck")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "EUNPROCESSABLE") {
		t.Fatalf("unconfirmed downgrade: %d %s", res.StatusCode, res.body)
	}
	form.Set("confirm_downgrade", "yes")
	res = b.post(path, form, "X-Requested-With", "dagdeck")
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.body, `"runtimeVersion":"1.1.0"`) {
		t.Fatalf("confirmed downgrade: %d %s", res.StatusCode, res.body)
	}
}

func TestUI_PlanOfIneligibleDeploy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	res := b.get("/deployments/prod/deploys/"+h.Expired.ID+"/rollback", "X-Requested-With", "dagdeck")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Cannot roll back") || !strings.Contains(res.body, "EXPIRED") {
		t.Fatalf("status %d\n%s", res.StatusCode, res.body)
	}
	if res := b.get("/deployments/nope"); res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, "not found") {
		t.Fatalf("unknown Deployment: %d", res.StatusCode)
	}
	if res := b.get("/nowhere"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown page: %d", res.StatusCode)
	}
}

func TestUI_HistoryPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.svc.CreateDeployment(adminCtx, dagdeck.DeploymentCreate{Name: "busy"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		e.deploy(t, "busy", baseProject.with("include/n.txt", fmt.Sprint(i)), "1.0.0", fmt.Sprintf("deploy %d", i+1), testNow.Add(time.Duration(i-30)*time.Minute))
	}
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	first := b.get("/deployments/busy")
	if n := len(rowIDs(first.body)); n != 25 {
		t.Fatalf("first page has %d rows, want 25", n)
	}
	m := regexp.MustCompile(`href="(/deployments/busy\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("no link to older deploys")
	}
	older := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if n := len(rowIDs(older.body)); n != 5 || !strings.Contains(older.body, "« Newest") || strings.Contains(older.body, `rel="next"`) {
		t.Fatalf("second page: %d rows", n)
	}
	if !strings.Contains(older.body, "data-older-page") {
		t.Fatal("an older page must not be replaced by live updates")
	}
}

func TestUI_DeployPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	edited := "Add the weather <DAG>"
	if _, err := e.svc.UpdateDeploy(adminCtx, "prod", h.Current.ID, dagdeck.DeployUpdate{Description: &edited}); err != nil {
		t.Fatal(err)
	}
	page := b.get("/deployments/prod/deploys/" + h.Current.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d", page.StatusCode)
	}
	for _, s := range []string{
		h.Current.ID, h.Current.ImageTag, h.Current.ImageDigest, h.Current.DagBundleVersion, h.Current.DagBundleDigest,
		"3f9c2a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39", "main", "git@github.com:acme/pipelines.git",
		"Compared with", `href="/deployments/prod/deploys/` + h.XCom.ID + `">#3<`,
		`class="fc-added"><td data-label="Path"><code>dags/weather.yaml`,
		`class="fc-changed"><td data-label="Path"><code>dags/report.yaml`,
		`<del>dags/cleanup.yaml</del>`,
		"/api/v1/deployments/" + h.Deployment.ID + "/deploys/" + h.Current.ID + "/archive?part=dags",
		"/api/v1/deployments/" + h.Deployment.ID + "/deploys/" + h.Current.ID + "/archive?part=image",
		"Add the weather &lt;DAG&gt;", "Description edited by admin", "was “Add the weather DAG, report hourly”",
	} {
		if !strings.Contains(page.body, s) {
			t.Errorf("deploy page lacks %q", s)
		}
	}
	if older := b.get("/deployments/prod/deploys/" + h.XCom.ID); !strings.Contains(older.body, "data-rollback") || !strings.Contains(older.body, `id="rollback-dialog"`) {
		t.Error("an eligible deploy's page offers no rollback to a deployer")
	}
	failed := b.get("/deployments/prod/deploys/" + h.Failed.ID)
	if !strings.Contains(failed.body, "cancelled by ci") || !strings.Contains(failed.body, "FAILED") {
		t.Error("a failed deploy's page does not say why it failed")
	}
}

func TestUI_LiveEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/deployments/prod/events", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() && lines.Text() != ": connected" {
	}
	out, err := e.svc.Rollback(deployerCtx, "prod", h.XCom.ID, dagdeck.RollbackRequest{Description: "from the CLI"})
	if err != nil {
		t.Fatal(err)
	}
	var data string
	for lines.Scan() {
		if line := lines.Text(); strings.HasPrefix(line, "data: ") {
			data = line
			break
		}
	}
	if !strings.Contains(data, out.Deploy.ID) || !strings.Contains(data, `"rollback":true`) {
		t.Fatalf("event %q does not name the rollback %s", data, out.Deploy.ID)
	}
}

func TestUI_EmptyDeployment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.svc.CreateDeployment(adminCtx, dagdeck.DeploymentCreate{Name: "fresh"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	if list := b.get("/deployments"); !strings.Contains(list.body, "No deploys yet") {
		t.Errorf("deployments page: %d", list.StatusCode)
	}
	page := b.get("/deployments/fresh")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Nothing is deployed yet") || len(rowIDs(page.body)) != 0 {
		t.Fatalf("empty Deployment: %d", page.StatusCode)
	}
	if strings.Contains(page.body, "Task instances") {
		t.Error("runtime sections shown without runtime data")
	}
}
