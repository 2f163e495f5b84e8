package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/server"
)

var (
	//go:embed templates
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// page is what every template gets: the frame (who is logged in, the CSRF
// token, the time) and the page's own data in Body.
type page struct {
	Title     string
	Nav       string
	Actor     *dagdeck.Actor
	CSRF      string
	CanDeploy bool
	Now       time.Time
	Body      any
}

// views holds one template set per page, each with the layout and the
// shared partials.
type views struct {
	pages map[string]*template.Template
}

var pageNames = []string{"login", "deployments", "deployment", "deploy", "rollback", "error", "audit", "webhooks", "tasklog", "diff"}

func parseViews() *views {
	v := &views{pages: make(map[string]*template.Template)}
	for _, name := range pageNames {
		t := template.New(name).Funcs(funcs)
		v.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	return v
}

// newPage returns the frame of a page for a logged-in visitor.
func (u *UI) newPage(v *visit, title, nav string, body any) *page {
	return &page{Title: title, Nav: nav, Actor: v.actor(), CSRF: v.session.CSRFToken, CanDeploy: v.canDeploy(), Now: u.svc.Health.Now(), Body: body}
}

// render executes a whole page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	u.execute(w, r, status, name, "layout", p)
}

// renderFragment executes one named template of a page's set, for the UI's
// JavaScript to insert.
func (u *UI) renderFragment(w http.ResponseWriter, r *http.Request, status int, name, fragment string, p *page) {
	u.execute(w, r, status, name, fragment, p)
}

func (u *UI) execute(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, p *page) {
	if p.Now.IsZero() {
		p.Now = u.svc.Health.Now()
	}
	var buf bytes.Buffer
	if err := u.views.pages[name].ExecuteTemplate(&buf, tmpl, p); err != nil {
		u.logger.Error("render page", "page", name, "template", tmpl, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, "+fetchHeader)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the error page.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// renderError answers with an error: JSON for the UI's JavaScript, a page
// otherwise. An empty message means a generic one for the status.
func (u *UI) renderError(w http.ResponseWriter, r *http.Request, v *visit, status int, message string) {
	if message == "" {
		message = http.StatusText(status)
	}
	if isFetch(r) {
		writeJSONError(w, status, dagdeck.CodeOfHTTPStatus(status), message)
		return
	}
	p := &page{Title: http.StatusText(status), Body: &errorView{Status: status, Heading: http.StatusText(status), Message: message}}
	if v != nil {
		p = u.newPage(v, http.StatusText(status), "", p.Body)
	}
	u.render(w, r, status, "error", p)
}

// serviceError answers with a service error, mapped to its HTTP status as the
// API maps it. Internal details are logged, never shown.
func (u *UI) serviceError(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	code := dagdeck.ErrorCode(err)
	if code == dagdeck.EINTERNAL {
		u.logger.Error("web UI request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == dagdeck.EUNAUTHORIZED {
		u.toLogin(w, r)
		return
	}
	u.renderError(w, r, v, dagdeck.HTTPStatus(code), dagdeck.ErrorMessage(err))
}

// writeJSON answers the UI's JavaScript.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, server.ErrorResponse{Code: code, Message: message})
}

func (u *UI) handleNotFound(w http.ResponseWriter, r *http.Request, v *visit) {
	u.renderError(w, r, v, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
}

// assetVersions maps each static file to a short hash of its content, so
// asset URLs change when the file does and can be cached for good.
var assetVersions = func() map[string]string {
	out := make(map[string]string)
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p[len("static/"):]] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}()

// assetURL returns the versioned URL of a static file.
func assetURL(name string) string { return "/static/" + name + "?v=" + assetVersions[name] }

// staticHandler serves the embedded static files; versioned URLs are
// cached for a year.
func staticHandler() http.Handler {
	files := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if v := r.URL.Query().Get("v"); v != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
