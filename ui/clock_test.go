package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// clockOffsets are server clocks far from the wall clock of the machine
// running the tests. A session must work the same whatever the distance:
// cookie jars and browsers measure absolute dates with the wall clock.
var clockOffsets = map[string]time.Duration{
	"ThreeYearsBehind": -3 * 365 * 24 * time.Hour,
	"ThreeYearsAhead":  3 * 365 * 24 * time.Hour,
}

// TestUI_SessionIgnoresWallClock logs in through a real cookie jar with the
// server's clock years away from the wall clock: the session lasts exactly
// its lifetime by the server's clock, and the cookie the client keeps
// agrees.
func TestUI_SessionIgnoresWallClock(t *testing.T) {
	t.Parallel()
	for name, offset := range clockOffsets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now().Add(offset)
			e := newEnvWith(t, start)
			e.seed(t, "prod")
			e.clock.Set(start)
			b := e.browser(t)
			res := b.login("", e.adminToken)
			if c := res.cookie("dagdeck_session"); c == nil || c.MaxAge != int(service.SessionTTL/time.Second) || !c.Expires.IsZero() {
				t.Fatalf("session cookie %+v: want Max-Age %d and no Expires", c, int(service.SessionTTL/time.Second))
			}
			if page := b.get("/deployments/prod"); page.StatusCode != http.StatusOK || !strings.Contains(page.body, ">admin<") {
				t.Fatalf("right after login: status %d, want the page", page.StatusCode)
			}
			e.clock.Set(start.Add(service.SessionTTL - time.Minute))
			if page := b.get("/deployments/prod"); page.StatusCode != http.StatusOK {
				t.Fatalf("a minute before the session ends: status %d, want the page", page.StatusCode)
			}
			e.clock.Set(start.Add(service.SessionTTL + time.Second))
			if page := b.get("/deployments/prod"); page.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page.Header.Get("Location"), "/login") {
				t.Fatalf("after the session's lifetime: status %d location %q, want the login", page.StatusCode, page.Header.Get("Location"))
			}
		})
	}
}

// TestUI_BrowserSessionIgnoresWallClock is the same login in headless
// Chromium, which keeps cookies by its own clock.
func TestUI_BrowserSessionIgnoresWallClock(t *testing.T) {
	browser := testenv.Chromium(t)
	for name, offset := range clockOffsets {
		t.Run(name, func(t *testing.T) {
			start := time.Now().Add(offset)
			e := newEnvWith(t, start)
			e.seed(t, "prod")
			e.clock.Set(start)
			tb := newTab(t, browser, e.URL)
			tb.open("/deployments/prod")
			tb.login("", e.adminToken)
			if p := tb.path(); p != "/deployments/prod" {
				t.Fatalf("after login the browser shows %s, want the Deployment", p)
			}
			tb.open("/deployments")
			if p := tb.path(); p != "/deployments" {
				t.Fatalf("the browser dropped the session cookie: %s", p)
			}
			e.clock.Set(start.Add(service.SessionTTL + time.Second))
			tb.do(chromedp.Navigate(e.URL + "/deployments"))
			if p := tb.path(); !strings.HasPrefix(p, "/login") {
				t.Fatalf("after the session's lifetime the browser shows %s, want the login", p)
			}
		})
	}
}
