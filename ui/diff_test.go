package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// checkedRE finds the preselected radios of the history's compare form.
var checkedRE = regexp.MustCompile(`name="(from|to)" value="([0-9a-z]+)" form="compare-form"[^>]*checked`)

func TestUI_DiffFromHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "vera", dagdeck.RoleViewer))

	page := b.get("/deployments/prod")
	if !strings.Contains(page.body, `<form id="compare-form" class="compare-form" method="get" action="/deployments/prod/diff">`) {
		t.Fatal("the history has no compare form")
	}
	checked := map[string]string{}
	for _, m := range checkedRE.FindAllStringSubmatch(page.body, -1) {
		checked[m[1]] = m[2]
	}
	// The failed deploy between them never ran: "from" skips it.
	if checked["from"] != h.XCom.ID || checked["to"] != h.Current.ID {
		t.Fatalf("preselected from %s to %s, want %s (#%d) to the current %s", checked["from"], checked["to"], h.XCom.ID, h.XCom.Sequence, h.Current.ID)
	}

	diff := b.get("/deployments/prod/diff?" + url.Values{"from": {checked["from"]}, "to": {checked["to"]}}.Encode())
	if diff.StatusCode != http.StatusOK {
		t.Fatalf("diff page: %d\n%s", diff.StatusCode, diff.body)
	}
	body := html.UnescapeString(diff.body)
	for _, s := range []string{
		fmt.Sprintf("Changes from <a href=\"/deployments/prod/deploys/%s\">#%d</a>", h.XCom.ID, h.XCom.Sequence),
		"3 files changed", "1 added", "1 changed", "1 removed", "<pre>-dag_id: cleanup</pre>",
		`<tr class="fc-added"><td data-label="Change"><span class="fc-mark">added</span></td>`,
		`id="file-dags-weather.yaml"`, "<pre>+dag_id: weather</pre>",
		"<pre>-schedule: '@daily'</pre>", "<pre>+schedule: '@hourly'</pre>", "<pre>-# xcom</pre>",
		"@@ -1,3 +1,2 @@", "@@ -0,0 +1 @@",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the diff page lacks %q", s)
		}
	}
	if strings.Contains(body, "Next files") {
		t.Error("a three-file diff has a next page")
	}

	deploy := b.get("/deployments/prod/deploys/" + h.Report.ID).body
	for _, link := range []string{
		fmt.Sprintf(`href="/deployments/prod/diff?from=%s&amp;to=%s" data-diff-previous>Diff with #%d<`, h.Expired.ID, h.Report.ID, h.Expired.Sequence),
		fmt.Sprintf(`href="/deployments/prod/diff?from=%s&amp;to=%s" data-diff-current>Compare with current<`, h.Report.ID, h.Current.ID),
	} {
		if !strings.Contains(deploy, link) {
			t.Errorf("the deploy page lacks %s", link)
		}
	}
	if res := b.get("/deployments/prod/diff?from=%2399"); res.StatusCode != http.StatusNotFound {
		t.Errorf("diff from an unknown deploy: %d, want 404", res.StatusCode)
	}
	if res := b.get("/deployments/prod/diff?from=%23-1"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "3 files changed") {
		t.Errorf("diff from #-1 to the current deploy: %d", res.StatusCode)
	}
}

func TestUI_DiffPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.svc.CreateDeployment(adminCtx, dagdeck.DeploymentCreate{Name: "big"}); err != nil {
		t.Fatal(err)
	}
	p1, p2 := baseProject, baseProject
	const n = 25
	for i := range n {
		path := fmt.Sprintf("include/sql/q%02d.sql", i)
		p1 = p1.with(path, fmt.Sprintf("select %d;\n", i))
		p2 = p2.with(path, fmt.Sprintf("select %d + 1;\n", i))
	}
	p1, p2 = p1.with("include/logo.png", "\x89PNG\x00\x01"), p2.with("include/logo.png", "\x89PNG\x00\x02")
	d1 := e.deploy(t, "big", p1, "1.0.0", "one", testNow.Add(-2*time.Hour))
	d2 := e.deploy(t, "big", p2, "1.0.0", "two", testNow.Add(-time.Hour))
	b := e.browser(t)
	b.mustLogin("", e.adminToken)

	first := b.get(fmt.Sprintf("/deployments/big/diff?from=%s&to=%s", d1.ID, d2.ID))
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first page: %d", first.StatusCode)
	}
	sections := regexp.MustCompile(`<section class="card diff-file" id="([^"]+)"`)
	if !strings.Contains(first.body, `<span class="muted">binary</span>`) || !strings.Contains(first.body, `data-diff-summary>binary file: 6 B → 6 B<`) {
		t.Error("the binary logo is not summarized")
	}
	if got := len(sections.FindAllString(first.body, -1)); got != 20 {
		t.Errorf("the first page shows %d files' hunks, want 20", got)
	}
	for i := range n {
		if !strings.Contains(first.body, fmt.Sprintf("<code>include/sql/q%02d.sql</code>", i)) {
			t.Errorf("the file list lacks q%02d.sql", i)
		}
	}
	// A file of a later page links to the page that starts with it.
	q21 := fmt.Sprintf(`href="/deployments/big/diff?from=%s&amp;to=%s&amp;cursor=include%%2Fsql%%2Fq20.sql#file-include-sql-q21.sql"`, d1.ID, d2.ID)
	if !strings.Contains(first.body, q21) {
		t.Errorf("q21.sql does not link to its page (%s)", q21)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next">Next files`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("no next page")
	}
	second := b.get(html.UnescapeString(next[1]))
	got := sections.FindAllStringSubmatch(second.body, -1)
	if len(got) != 6 || got[0][1] != "file-include-sql-q19.sql" || !strings.Contains(html.UnescapeString(second.body), "<pre>+select 24 + 1;</pre>") {
		t.Errorf("second page shows %v, want q19…q24", got)
	}
	if strings.Contains(second.body, "Next files") || !strings.Contains(second.body, "First files") {
		t.Error("the last page links onwards or not back")
	}
}

func TestUI_RollbackPlanLinksToDiff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))
	for _, headers := range [][]string{nil, {"X-Requested-With", "dagdeck"}} {
		plan := b.get("/deployments/prod/deploys/"+h.Report.ID+"/rollback", headers...)
		link := fmt.Sprintf(`href="/deployments/prod/diff?from=%s&amp;to=%s" data-plan-diff>See the full diff of what this rollback changes (#%d → #%d)`, h.Current.ID, h.Report.ID, h.Current.Sequence, h.Report.Sequence)
		if plan.StatusCode != http.StatusOK || !strings.Contains(plan.body, link) {
			t.Fatalf("the plan (%v) does not link to the diff %s → %s: %d", headers, h.Current.ID, h.Report.ID, plan.StatusCode)
		}
	}
	diff := b.get(fmt.Sprintf("/deployments/prod/diff?from=%s&to=%s", h.Current.ID, h.Report.ID))
	if body := html.UnescapeString(diff.body); !strings.Contains(body, "<pre>-dag_id: weather</pre>") || !strings.Contains(body, "Runtime <span class=\"mono\">2.0.0</span> → <span class=\"mono\">1.1.0</span>") {
		t.Errorf("the rollback's diff does not show the weather DAG going and the runtime going down")
	}
}
