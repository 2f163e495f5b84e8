package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/ui"
)

func TestUI_RedirectsToLoginWithoutSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "prod")
	b := e.browser(t)
	for _, path := range []string{"/", "/deployments", "/deployments/prod", "/deployments/prod?cursor=abc"} {
		res := b.get(path)
		if path == "/" {
			res = b.get(res.Header.Get("Location"))
		}
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
			t.Fatalf("GET %s: status %d location %q, want a redirect to the login", path, res.StatusCode, loc)
		}
	}
	if loc := b.get("/deployments/prod?cursor=abc").Header.Get("Location"); loc != "/login?next=%2Fdeployments%2Fprod%3Fcursor%3Dabc" {
		t.Fatalf("next = %q: the login should come back to the page", loc)
	}
	res := b.get("/deployments/prod/history", "X-Requested-With", "dagdeck")
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "EUNAUTHORIZED") {
		t.Fatalf("script request without session: %d %s", res.StatusCode, res.body)
	}
	if res := b.get("/login"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "Log in to dagdeck") {
		t.Fatalf("login page: %d", res.StatusCode)
	}
}

func TestUI_Login(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seed(t, "prod")
	e.user(t, "ana", dagdeck.RoleDeployer)

	t.Run("Token", func(t *testing.T) {
		b := e.browser(t)
		res := b.login("", e.adminToken)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/deployments" {
			t.Fatalf("status %d location %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
		}
		c := res.cookie("dagdeck_session")
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || !c.Expires.IsZero() || c.MaxAge != int(service.SessionTTL/time.Second) {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, Max-Age of the session's lifetime and no absolute Expires, not Secure over plain HTTP", c)
		}
		page := b.get("/deployments")
		if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `href="/deployments/prod"`) || !strings.Contains(page.body, ">admin<") {
			t.Fatalf("deployments page after login: %d\n%s", page.StatusCode, page.body)
		}
	})
	t.Run("Password", func(t *testing.T) {
		b := e.browser(t)
		b.mustLogin("ana", "ana-password")
		if page := b.get("/deployments/prod"); !strings.Contains(page.body, "ana") || !strings.Contains(page.body, ">deployer<") {
			t.Fatalf("the page does not say who is logged in")
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		res := e.browser(t).login("ana", "guess")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "Wrong user name or password") || res.cookie("dagdeck_session") != nil {
			t.Fatalf("status %d, cookie %v", res.StatusCode, res.cookie("dagdeck_session"))
		}
	})
	t.Run("RevokedToken", func(t *testing.T) {
		res := e.browser(t).login("", "ddk_forged")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "not valid") {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("FormWithoutCSRFToken", func(t *testing.T) {
		b := e.browser(t)
		res := b.post("/login", url.Values{"method": {"token"}, "token": {e.adminToken}})
		if res.StatusCode != http.StatusForbidden || res.cookie("dagdeck_session") != nil {
			t.Fatalf("login without the form's token: status %d", res.StatusCode)
		}
	})
	t.Run("NoOpenRedirect", func(t *testing.T) {
		for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
			b := e.browser(t)
			m := csrfFieldRE.FindStringSubmatch(b.get("/login").body)
			res := b.post("/login", url.Values{"csrf_token": {m[1]}, "method": {"token"}, "token": {e.adminToken}, "next": {next}})
			if loc := res.Header.Get("Location"); loc != "/deployments" {
				t.Fatalf("next %q redirected to %q", next, loc)
			}
		}
	})
}

func TestUI_Logout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("", e.adminToken)
	csrf := b.csrf()
	if res := b.post("/logout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token: status %d, want 403", res.StatusCode)
	}
	res := b.post("/logout", url.Values{"csrf_token": {csrf}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?out=1" {
		t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if c := res.cookie("dagdeck_session"); c == nil || c.MaxAge >= 0 {
		t.Fatalf("logout did not clear the cookie: %+v", c)
	}
	if res := b.get("/deployments"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: status %d, want a redirect to the login", res.StatusCode)
	}
}

func TestUI_CSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "ci", dagdeck.RoleDeployer))
	csrf := b.csrf()
	rollback := "/deployments/prod/deploys/" + h.XCom.ID + "/rollback"
	form := url.Values{"description": {"bad deploy"}, "confirm_name": {"prod"}}

	t.Run("FormWithoutToken", func(t *testing.T) {
		if res := b.post(rollback, form); res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("FormWithWrongToken", func(t *testing.T) {
		f := url.Values{"csrf_token": {csrf + "x"}, "description": form["description"], "confirm_name": form["confirm_name"]}
		if res := b.post(rollback, f); res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("ScriptWithoutHeader", func(t *testing.T) {
		res := b.post(rollback, form, "X-Requested-With", "dagdeck")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "EFORBIDDEN") {
			t.Fatalf("status %d %s", res.StatusCode, res.body)
		}
	})
	t.Run("APIWithCookieNeedsHeader", func(t *testing.T) {
		api := "/api/v1/deployments/prod/deploys/" + h.XCom.ID + "/rollback"
		req, _ := http.NewRequest(http.MethodPost, b.base+api, strings.NewReader(`{"description":"x"}`))
		res := b.do(req)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "X-CSRF-Token") {
			t.Fatalf("cookie-authenticated API POST without the header: %d %s", res.StatusCode, res.body)
		}
		req, _ = http.NewRequest(http.MethodPost, b.base+api, strings.NewReader(`{"dryRun":true}`))
		req.Header.Set("X-CSRF-Token", csrf)
		if res := b.do(req); res.StatusCode != http.StatusOK {
			t.Fatalf("with the header: %d %s", res.StatusCode, res.body)
		}
	})
	t.Run("NothingChanged", func(t *testing.T) {
		page, err := e.svc.ListDeploys(adminCtx, "prod", "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if top := page.Deploys[0]; top.ID != h.Current.ID {
			t.Fatalf("a refused request created %s", top)
		}
	})
	t.Run("CrossOrigin", func(t *testing.T) {
		f := url.Values{"csrf_token": {csrf}, "description": form["description"], "confirm_name": form["confirm_name"]}
		if res := b.post(rollback, f, "Sec-Fetch-Site", "cross-site"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site POST: status %d, want 403", res.StatusCode)
		}
	})
}

func TestUI_ViewerCannotRollBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	e.user(t, "vera", dagdeck.RoleViewer)
	b := e.browser(t)
	b.mustLogin("vera", "vera-password")
	page := b.get("/deployments/prod")
	if page.StatusCode != http.StatusOK || strings.Contains(page.body, "data-rollback") || strings.Contains(page.body, "rollback-dialog") {
		t.Fatalf("a viewer's history shows rollback buttons (status %d)", page.StatusCode)
	}
	if !strings.Contains(page.body, "Eligible") || !strings.Contains(page.body, ">EXPIRED<") {
		t.Fatalf("the viewer should still see which deploys are eligible and why others are not")
	}
	if d := b.get("/deployments/prod/deploys/" + h.XCom.ID); strings.Contains(d.body, "data-rollback") || strings.Contains(d.body, "rollback-dialog") {
		t.Fatal("a viewer's deploy page shows a rollback button")
	}
	plan := b.get("/deployments/prod/deploys/" + h.XCom.ID + "/rollback")
	if plan.StatusCode != http.StatusOK || strings.Contains(plan.body, `name="confirm_name"`) || !strings.Contains(plan.body, "may read this plan but not roll back") {
		t.Fatalf("a viewer's plan page: status %d, form shown: %v", plan.StatusCode, strings.Contains(plan.body, `name="confirm_name"`))
	}
	res := b.post("/deployments/prod/deploys/"+h.XCom.ID+"/rollback",
		url.Values{"csrf_token": {b.csrf()}, "description": {"forged"}, "confirm_name": {"prod"}}, "X-Requested-With", "dagdeck")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "EFORBIDDEN") {
		t.Fatalf("a viewer's forged rollback: status %d %s", res.StatusCode, res.body)
	}
	top, err := e.svc.ListDeploys(adminCtx, "prod", "", 1)
	if err != nil || top.Deploys[0].ID != h.Current.ID {
		t.Fatalf("the viewer's rollback changed the history: %v", err)
	}
}

func TestUI_ArchiveDownloadWithCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	e.user(t, "vera", dagdeck.RoleViewer)
	b := e.browser(t)
	if res := b.get("/api/v1/deployments/prod/deploys/" + h.Current.ID + "/archive?part=dags"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("archive without a session: %d", res.StatusCode)
	}
	b.mustLogin("vera", "vera-password")
	res := b.get("/api/v1/deployments/" + h.Deployment.ID + "/deploys/" + h.Current.ID + "/archive?part=dags")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/gzip" || len(res.body) == 0 {
		t.Fatalf("archive with the session cookie: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestUI_SecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	res := b.get("/login")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", res.Header)
	}
	for _, bad := range []string{"http://", "https://", "<style", "style=\"", "onclick", "<script>"} {
		if strings.Contains(res.body, bad) {
			t.Fatalf("the login page contains %q: assets must come from this server only, with no inline script or style", bad)
		}
	}
	css := b.get("/static/app.css?v=1")
	if css.StatusCode != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || !strings.Contains(css.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("app.css: %d %q %q", css.StatusCode, css.Header.Get("Content-Type"), css.Header.Get("Cache-Control"))
	}
	if strings.Contains(css.body, "@import") || strings.Contains(css.body, "url(http") {
		t.Fatal("app.css loads something from the network")
	}
	if res := b.get("/static/"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/static/ lists files: %d", res.StatusCode)
	}
}

func TestUI_LoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user(t, "ana", dagdeck.RoleDeployer)
	for i := 0; i < 10; i++ {
		if res := e.browser(t).login("ana", "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed login %d: status %d", i+1, res.StatusCode)
		}
	}
	// Even the right password is refused now, without checking it.
	res := e.browser(t).login("ana", "ana-password")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.body, "Too many failed logins") || res.cookie("dagdeck_session") != nil {
		t.Fatalf("login after 10 failures: status %d\n%s", res.StatusCode, res.body)
	}
	// Someone guessing ana's password does not lock out others at the address.
	e.user(t, "vera", dagdeck.RoleViewer)
	if res := e.browser(t).login("vera", "vera-password"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another user from the same address after ana's lock-out: status %d", res.StatusCode)
	}
}

// TestUI_SecureCookiesBehindTLSProxy: with an https public URL the session
// cookie is Secure although the server itself sees plain HTTP.
func TestUI_SecureCookiesBehindTLSProxy(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, testNow, ui.WithPublicURL("https://dagdeck.example.com"))
	res := e.browser(t).login("", e.adminToken)
	if c := res.cookie("dagdeck_session"); c == nil || !c.Secure {
		t.Fatalf("session cookie behind an https public URL: %+v, want Secure", c)
	}
}
