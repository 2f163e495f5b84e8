package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestUI_DeploymentPageGit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.seed(t, "prod")
	b := e.browser(t)
	b.mustLogin("", e.token(t, "dash", dagdeck.RoleViewer))
	page := b.get("/deployments/prod")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d", page.StatusCode)
	}
	// The same URL the API's gitUrl gives, made by the server from the request.
	if want := `value="git clone ` + dagdeck.GitURL(e.URL, "prod") + `"`; !strings.Contains(page.body, want) || !strings.Contains(page.body, "data-copy-from=") {
		t.Errorf("the page has no copyable %s", want)
	}
	if len(h.Current.BundleCommit) != 40 {
		t.Fatalf("the current deploy has bundle commit %q", h.Current.BundleCommit)
	}
	if r := row(t, page.body, h.Current.ID); !strings.Contains(r, ">"+h.Current.BundleCommit[:10]+"<") {
		t.Errorf("the history row lacks the short commit %s:\n%s", h.Current.BundleCommit[:10], r)
	}
	d := b.get("/deployments/prod/deploys/" + h.Current.ID)
	if !strings.Contains(d.body, h.Current.BundleCommit) {
		t.Errorf("the deploy page lacks the bundle commit")
	}
}
