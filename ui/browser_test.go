package ui_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// stepTimeout bounds every browser step; nothing waits by sleeping.
const stepTimeout = 15 * time.Second

// tab is one browser tab with its own cookies, and the console messages
// that show a bug: uncaught exceptions and Content-Security-Policy refusals.
type tab struct {
	t        *testing.T
	ctx      context.Context
	base     string
	mu       sync.Mutex
	problems []string
}

func newTab(t *testing.T, browser context.Context, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil { // opens the tab, bound to ctx
		cancel()
		t.Fatalf("open tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, base: base}
	console := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return tb
}

// do runs actions with a deadline.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v\n%s", err, tb.debug())
	}
}

// debug describes the page, for failure messages, and saves a screenshot
// next to the others.
func (tb *tab) debug() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 2000)`))
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := strings.NewReplacer("/", "-", " ", "_").Replace(tb.t.Name())
		_ = os.WriteFile(filepath.Join(os.TempDir(), "dagdeck-ui-failure-"+name+".png"), png, 0o644)
	}
	return "page: " + state
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes it.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until waits until the JavaScript predicate is true.
func (tb *tab) until(predicate string) {
	tb.t.Helper()
	tb.do(chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(stepTimeout)))
}

func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base + path))
}

func (tb *tab) path() string {
	return eval[string](tb, `location.pathname + location.search`)
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	// One evaluation reads the node and its text, so a live refresh of the
	// table in between cannot detach it.
	s := eval[string](tb, `(document.querySelector(`+jsString(sel)+`) || {textContent: "<nothing matches>"}).textContent`)
	return strings.Join(strings.Fields(s), " ")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shot saves a full-page PNG screenshot into dir.
func (tb *tab) shot(dir, name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// shotViewport saves a PNG screenshot of what the screen shows.
func (tb *tab) shotViewport(dir, name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// login logs in through the login page: user and password, or a token when user is "".
func (tb *tab) login(user, secret string) {
	tb.t.Helper()
	if !strings.HasPrefix(tb.path(), "/login") {
		tb.open("/login")
	}
	if user == "" {
		tb.do(chromedp.SendKeys(chromedp.CSS("#login-tok"), secret), chromedp.Click(chromedp.CSS("#login-token button[type=submit]")))
	} else {
		tb.do(chromedp.SendKeys(chromedp.CSS("#login-name"), user), chromedp.SendKeys(chromedp.CSS("#login-pass"), secret),
			chromedp.Click(chromedp.CSS("#login-password button[type=submit]")))
	}
	tb.do(chromedp.WaitReady(chromedp.CSS("meta[name=csrf-token]")))
}

// screenshotDir is where the tests save screenshots: $DAGDECK_UI_SCREENSHOTS
// (to look at them or refresh docs/img) or a temporary directory.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("DAGDECK_UI_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// TestUI_Browser drives the real server with headless Chromium: logging in,
// the Deploy History, the rollback dialog and its plan, the live update of
// the table, the downgrade confirmation, a viewer's view, CSRF, logout and a
// phone-sized screen.
func TestUI_Browser(t *testing.T) {
	browser := testenv.Chromium(t)
	e := newEnv(t)
	shots := screenshotDir(t)
	prod := e.seed(t, "prod")
	analytics := e.seed(t, "analytics")
	e.user(t, "ana", dagdeck.RoleDeployer)
	e.user(t, "vera", dagdeck.RoleViewer)
	deployerToken := e.token(t, "oncall", dagdeck.RoleDeployer)

	t.Run("RedirectToLogin", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.open("/deployments/prod")
		if p := tb.path(); p != "/login?next=%2Fdeployments%2Fprod" {
			t.Fatalf("without a session the page is %s, want the login", p)
		}
		tb.login("", deployerToken)
		if p := tb.path(); p != "/deployments/prod" {
			t.Fatalf("after logging in with a token: %s, want the page asked for", p)
		}
		if who := tb.text(".who-name"); who != "oncall" {
			t.Fatalf("logged in as %q", who)
		}
	})

	t.Run("Diff", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(1366, 900))
		tb.login("vera", "vera-password")
		tb.open("/deployments/prod")
		// The last deploy's changes are preselected: compare them.
		tb.do(chromedp.Click(chromedp.CSS("[data-compare]")), chromedp.WaitVisible(chromedp.CSS(".diff-hunks")))
		opened := eval[string](tb, `location.pathname + " " + new URLSearchParams(location.search).get("from") + " " + new URLSearchParams(location.search).get("to")`)
		if want := "/deployments/prod/diff " + prod.XCom.ID + " " + prod.Current.ID; opened != want {
			t.Fatalf("Compare opened %s, want %s", opened, want)
		}
		added := `document.querySelector("#file-dags-weather\\.yaml tr.add pre").textContent`
		if line := eval[string](tb, added); line != "+dag_id: weather" {
			t.Errorf("the added DAG's line is %q", line)
		}
		changed := tb.text("#file-dags-report\\.yaml .diff-hunks")
		for _, s := range []string{"-schedule: '@daily'", "+schedule: '@hourly'"} {
			if !strings.Contains(changed, s) {
				t.Errorf("the report DAG's hunk lacks %q: %s", s, changed)
			}
		}
		tb.shot(shots, "diff")
		// The file list jumps to a file's hunks.
		tb.do(chromedp.Click(chromedp.CSS(`.diff-files a[href="#file-dags-cleanup.yaml"]`)))
		tb.until(`location.hash === "#file-dags-cleanup.yaml"`)
	})

	t.Run("RollbackDialogLinksToDiff", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(1366, 900))
		tb.login("", deployerToken)
		tb.open("/deployments/prod")
		tb.do(chromedp.Click(chromedp.CSS(`tr[data-deploy-id="`+prod.Report.ID+`"] a[data-rollback]`)), chromedp.WaitVisible(chromedp.CSS("#rollback-dialog [data-plan-diff]")))
		tb.do(chromedp.Click(chromedp.CSS("#rollback-dialog [data-plan-diff]")), chromedp.WaitVisible(chromedp.CSS(".diff-hunks")))
		if p := tb.path(); p != "/deployments/prod/diff?from="+prod.Current.ID+"&to="+prod.Report.ID {
			t.Fatalf("the plan's diff link opened %s", p)
		}
		if line := eval[string](tb, `document.querySelector("#file-dags-weather\\.yaml tr.del pre").textContent`); line != "-dag_id: weather" {
			t.Errorf("rolling back to #%d removes the weather DAG, the diff shows %q", prod.Report.Sequence, line)
		}
	})

	t.Run("RollBack", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(1366, 900))
		tb.login("ana", "ana-password")
		tb.shot(shots, "deployments")
		tb.do(chromedp.Click(chromedp.CSS(`a[href="/deployments/prod"]`)), chromedp.WaitVisible(chromedp.CSS(".history-table")))
		if n := eval[int](tb, `document.querySelectorAll(".history-table tbody tr").length`); n != 5 {
			t.Fatalf("history has %d rows, want 5", n)
		}
		if got := tb.text(`tr[data-deploy-id="` + prod.Expired.ID + `"] .cell-action`); got != "EXPIRED" {
			t.Fatalf("expired row says %q", got)
		}
		tb.until(`!document.querySelector("[data-live-status]").hidden`) // the event stream is open
		tb.shot(shots, "history")
		eval[bool](tb, `window.notReloaded = true`)

		deployBtn := `tr[data-deploy-id="` + prod.XCom.ID + `"] a[data-rollback]`
		dialogForm := chromedp.CSS("#rollback-dialog form[data-rollback-form]")
		// Open the dialog from the keyboard; Esc closes it and gives the focus back.
		tb.do(chromedp.Focus(chromedp.CSS(deployBtn)), chromedp.KeyEvent("\r"), chromedp.WaitVisible(dialogForm))
		if id := eval[string](tb, `document.activeElement.id`); id != "rollback-title" {
			t.Fatalf("focus is on %q, want the dialog's heading", id)
		}
		tb.do(chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.CSS("#rollback-dialog")))
		if !eval[bool](tb, `document.activeElement.matches('`+deployBtn+`')`) {
			t.Fatal("closing the dialog did not return the focus to the Deploy button")
		}

		tb.do(chromedp.Click(chromedp.CSS(deployBtn)), chromedp.WaitVisible(dialogForm))
		plan := tb.text("#rollback-dialog")
		for _, s := range []string{"Roll back to deploy #3", "dags/weather.yaml", "dags/cleanup.yaml", "dags/report.yaml", "2.0.0 same",
			"WEATHER_API_URL", "Running tasks 1", "transform", "finishes on the code it started with"} {
			if !strings.Contains(plan, s) {
				t.Errorf("the plan lacks %q:\n%s", s, plan)
			}
		}
		if strings.Contains(plan, "Runtime downgrade") {
			t.Error("a same-runtime plan warns about a downgrade")
		}
		confirm := chromedp.CSS("#rollback-dialog [data-confirm]")
		if !eval[bool](tb, `document.querySelector("#rollback-dialog [data-confirm]").disabled`) {
			t.Fatal("confirm is enabled before the description and the name are given")
		}
		tb.do(chromedp.SendKeys(chromedp.CSS("#rb-description"), "weather DAG breaks the hourly report"))
		tb.do(chromedp.SendKeys(chromedp.CSS("#rb-confirm"), "pro"))
		if !eval[bool](tb, `document.querySelector("#rollback-dialog [data-confirm]").disabled`) {
			t.Fatal("confirm is enabled with a wrong name typed")
		}
		tb.do(chromedp.SendKeys(chromedp.CSS("#rb-confirm"), "d"), chromedp.WaitEnabled(confirm))
		eval[bool](tb, `(document.querySelector("#rollback-dialog").scrollTop = 0) === 0`)
		tb.shotViewport(shots, "rollback-dialog")
		tb.do(chromedp.Click(confirm), chromedp.WaitNotVisible(chromedp.CSS("#rollback-dialog")))
		tb.until(`document.querySelector(".history-table tbody tr").dataset.sequence === "6"`)
		top := tb.text(".history-table tbody tr")
		for _, s := range []string{"#6", "Current", "Rollback of #3", "ana", "weather DAG breaks the hourly report", prod.XCom.ImageTag, "Deployed"} {
			if !strings.Contains(top, s) {
				t.Errorf("new top row lacks %q: %s", s, top)
			}
		}
		if !eval[bool](tb, `window.notReloaded === true`) {
			t.Fatal("the page reloaded")
		}
		if msg := tb.text("[data-flash-slot]"); !strings.Contains(msg, "Rolled back to #3") {
			t.Fatalf("flash %q", msg)
		}
		if !eval[bool](tb, `document.activeElement.matches(".history-table tbody tr:first-child a.seq")`) {
			t.Error("after the rollback the focus is not on the new row")
		}

		// A deploy from elsewhere (the CLI) shows up by itself.
		e.deploy(t, "prod", baseProject.with("Dockerfile", "FROM quay.io/dagdeck/runtime:2.0.0\n"), "2.0.0", "hotfix from CI", testNow)
		tb.until(`document.querySelector(".history-table tbody tr").dataset.sequence === "7"`)
		if !eval[bool](tb, `window.notReloaded === true && document.querySelector(".history-table tbody tr").classList.contains("is-new")`) {
			t.Fatal("the live update reloaded the page or did not mark the new row")
		}
		tb.shot(shots, "history-after-rollback")

		// The deploy page: every field, the files against the deploy before.
		tb.do(chromedp.Click(chromedp.CSS(`tr[data-deploy-id="`+prod.Current.ID+`"] a.seq`)), chromedp.WaitVisible(chromedp.CSS(".files-table")))
		if files := tb.text("main"); !strings.Contains(files, "dags/weather.yaml") || !strings.Contains(files, "1 added") || !strings.Contains(files, "Download DAG bundle") {
			t.Errorf("deploy page: %s", files)
		}
		tb.shot(shots, "deploy")
	})

	t.Run("DowngradeNeedsCheckbox", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(1366, 900))
		tb.login("ana", "ana-password")
		tb.open("/deployments/analytics")
		tb.do(chromedp.Click(chromedp.CSS(`tr[data-deploy-id="`+analytics.Report.ID+`"] a[data-rollback]`)),
			chromedp.WaitVisible(chromedp.CSS("#rollback-dialog [data-downgrade]")))
		warning := tb.text("#rollback-dialog [data-downgrade]")
		for _, s := range []string{"Runtime downgrade: 2.0.0 → 1.1.0", "fail immediately", "XCom values: 3 rows"} {
			if !strings.Contains(warning, s) {
				t.Errorf("warning lacks %q: %s", s, warning)
			}
		}
		tb.do(chromedp.SendKeys(chromedp.CSS("#rb-description"), "2.0.0 breaks the loader"), chromedp.SendKeys(chromedp.CSS("#rb-confirm"), "analytics"))
		if !eval[bool](tb, `document.querySelector("#rollback-dialog [data-confirm]").disabled`) {
			t.Fatal("confirm is enabled before the downgrade checkbox is ticked")
		}
		if hint := tb.text("[data-confirm-hint]"); !strings.Contains(hint, "downgrade checkbox") {
			t.Errorf("hint %q does not say what is missing", hint)
		}
		eval[bool](tb, `(document.querySelector("#rollback-dialog").scrollTop = 0) === 0`)
		tb.shotViewport(shots, "rollback-downgrade")
		tb.do(chromedp.Click(chromedp.CSS("[data-downgrade-check]")), chromedp.WaitEnabled(chromedp.CSS("#rollback-dialog [data-confirm]")))
		tb.do(chromedp.Click(chromedp.CSS("#rollback-dialog [data-confirm]")))
		tb.until(`document.querySelector(".history-table tbody tr").dataset.sequence === "6"`)
		if rt := tb.text(`.history-table tbody tr td[data-label="Runtime"]`); rt != "1.1.0" {
			t.Fatalf("runtime after the downgrade: %q", rt)
		}
	})

	t.Run("Viewer", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.login("vera", "vera-password")
		tb.open("/deployments/prod")
		tb.do(chromedp.WaitVisible(chromedp.CSS(".history-table")))
		if n := eval[int](tb, `document.querySelectorAll("a[data-rollback], #rollback-dialog").length`); n != 0 {
			t.Fatalf("a viewer sees %d rollback controls", n)
		}
		forged := `fetch("/deployments/prod/deploys/` + prod.XCom.ID + `/rollback", {method: "POST",
			headers: {"X-Requested-With": "dagdeck", "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content},
			body: new URLSearchParams({description: "forged", confirm_name: "prod"})}).then(r => r.status)`
		if status := eval[int](tb, forged); status != 403 {
			t.Fatalf("a viewer's rollback POST: status %d, want 403", status)
		}
	})

	t.Run("CSRFAndLogout", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.login("", deployerToken)
		tb.open("/deployments/prod")
		noToken := `fetch("/deployments/prod/deploys/` + prod.XCom.ID + `/rollback", {method: "POST",
			headers: {"X-Requested-With": "dagdeck"}, body: new URLSearchParams({description: "csrf", confirm_name: "prod"})}).then(r => r.status)`
		if status := eval[int](tb, noToken); status != 403 {
			t.Fatalf("POST without the CSRF token: status %d, want 403", status)
		}
		apiNoToken := `fetch("/api/v1/deployments/prod/deploys/` + prod.XCom.ID + `/rollback", {method: "POST",
			body: JSON.stringify({description: "csrf"})}).then(r => r.status)`
		if status := eval[int](tb, apiNoToken); status != 403 {
			t.Fatalf("API POST with the cookie but no CSRF header: status %d, want 403", status)
		}
		tb.do(chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.CSS("#login-tok")))
		if p := tb.path(); p != "/login?out=1" {
			t.Fatalf("after logout: %s", p)
		}
		tb.open("/deployments")
		if p := tb.path(); !strings.HasPrefix(p, "/login") {
			t.Fatalf("after logout /deployments shows %s", p)
		}
	})

	t.Run("NarrowScreen", func(t *testing.T) {
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(400, 860, chromedp.EmulateScale(2)))
		tb.login("", deployerToken)
		tb.open("/deployments/analytics")
		tb.do(chromedp.WaitVisible(chromedp.CSS(".history-table")))
		if w := eval[int](tb, `document.documentElement.scrollWidth`); w > 400 {
			t.Errorf("the page is %dpx wide on a 400px screen", w)
		}
		if d := eval[string](tb, `getComputedStyle(document.querySelector(".history-table td")).display`); d != "grid" {
			t.Errorf("history cells display as %q on a phone, want stacked cards", d)
		}
		btn := `tr[data-deploy-id="` + analytics.XCom.ID + `"] a[data-rollback]`
		if !eval[bool](tb, `(() => { const r = document.querySelector('`+btn+`').getBoundingClientRect(); return r.width > 0 && r.right <= 400; })()`) {
			t.Error("the Deploy button is not on screen")
		}
		tb.shotViewport(shots, "history-narrow")
		tb.do(chromedp.Click(chromedp.CSS(btn)), chromedp.WaitVisible(chromedp.CSS("#rollback-dialog form[data-rollback-form]")))
		tb.shotViewport(shots, "rollback-dialog-narrow")
		if w := eval[int](tb, `document.querySelector("#rollback-dialog").getBoundingClientRect().width`); w > 400 {
			t.Errorf("the dialog is %dpx wide", w)
		}
	})

	// A deploy lands while the dialog shows the plan: the confirmation
	// carries the plan's id, the server refuses it, and the dialog shows the
	// new plan with what changed; confirming that one rolls back.
	t.Run("StalePlanIsShownAgain", func(t *testing.T) {
		ops := e.seed(t, "ops")
		tb := newTab(t, browser, e.URL)
		tb.do(chromedp.EmulateViewport(1366, 900))
		tb.login("ana", "ana-password")
		tb.open("/deployments/ops")
		confirm := chromedp.CSS("#rollback-dialog [data-confirm]")
		planID := `document.querySelector("#rollback-dialog [name=plan_id]").value`
		fill := func() {
			tb.do(chromedp.SendKeys(chromedp.CSS("#rb-description"), "weather DAG breaks the report"), chromedp.SendKeys(chromedp.CSS("#rb-confirm"), "ops"), chromedp.WaitEnabled(confirm))
		}
		tb.do(chromedp.Click(chromedp.CSS(`tr[data-deploy-id="`+ops.XCom.ID+`"] a[data-rollback]`)), chromedp.WaitVisible(chromedp.CSS("#rollback-dialog form[data-rollback-form]")))
		seen := eval[string](tb, planID)
		fill()
		landed := e.deploy(t, "ops", baseProject.with("Dockerfile", "FROM quay.io/dagdeck/runtime:2.0.0\n"), "2.0.0", "hotfix from CI", testNow)
		tb.do(chromedp.Click(confirm))
		tb.until(`((document.querySelector("#rollback-dialog [data-form-error]") || {}).textContent || "").includes("became current")`)
		if msg := tb.text("#rollback-dialog [data-form-error]"); !strings.Contains(msg, landed.String()+" became current") {
			t.Errorf("the dialog says %q", msg)
		}
		if now := eval[string](tb, planID); now == seen || now == "" {
			t.Fatalf("the dialog shows plan %q again, want the new plan", now)
		}
		fill()
		tb.do(chromedp.Click(confirm), chromedp.WaitNotVisible(chromedp.CSS("#rollback-dialog")))
		tb.until(`document.querySelector(".history-table tbody tr").dataset.sequence === "7"`)
		if top := tb.text(".history-table tbody tr"); !strings.Contains(top, "Rollback of #3") {
			t.Fatalf("new top row: %s", top)
		}
	})
}
