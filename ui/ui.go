package ui

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// pageSize is how many deploys one page of the Deploy History shows.
const pageSize = 25

// UI is the web UI, an http.Handler meant to be mounted at "/" of the
// dagdeck server. Create it with New; call Close when the server stops, so
// that open event streams end.
type UI struct {
	svc           dagdeck.Services
	logger        *slog.Logger
	handler       http.Handler
	views         *views
	events        *broker
	throttle      *loginThrottle
	secureCookies bool
}

// Option configures a UI.
type Option func(*UI)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(u *UI) { u.logger = l } }

// WithSecureCookies marks cookies Secure even on plain HTTP requests, for a
// server behind a proxy that terminates TLS. Over TLS they are Secure anyway.
func WithSecureCookies(on bool) Option { return func(u *UI) { u.secureCookies = on } }

// WithPublicURL tells the UI the server's public base URL (the server sets
// the links, see dagdeck.RequestInfo.BaseURL): an https URL makes cookies
// Secure, as behind a proxy that terminates TLS the server itself sees
// plain HTTP.
func WithPublicURL(u string) Option {
	return func(ui *UI) {
		if strings.HasPrefix(strings.ToLower(u), "https://") {
			ui.secureCookies = true
		}
	}
}

// New returns the web UI over svc and subscribes it to svc's deploys.
func New(svc dagdeck.Services, opts ...Option) *UI {
	u := &UI{svc: svc, logger: slog.Default(), views: parseViews(), events: newBroker(), throttle: newLoginThrottle(svc.Health.Now)}
	for _, o := range opts {
		o(u)
	}
	svc.History.OnDeployed(u.events.publish)
	u.handler = u.routes()
	return u
}

// ServeHTTP implements http.Handler.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.handler.ServeHTTP(w, r) }

// Close ends the open event streams. Register it with
// http.Server.RegisterOnShutdown: a stream never becomes idle by itself.
func (u *UI) Close() { u.events.close() }

func (u *UI) routes() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, assetURL("favicon.svg"), http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/deployments", http.StatusSeeOther)
	})
	m.HandleFunc("GET /login", u.handleLoginPage)
	m.HandleFunc("POST /login", u.handleLogin)
	m.HandleFunc("POST /logout", u.withSession(u.handleLogout))

	m.HandleFunc("GET /deployments", u.withSession(u.handleDeployments))
	m.HandleFunc("GET /deployments/{name}", u.withSession(u.handleDeployment))
	m.HandleFunc("GET /deployments/{name}/history", u.withSession(u.handleHistory))
	m.HandleFunc("GET /deployments/{name}/events", u.withSession(u.handleEvents))
	m.HandleFunc("GET /deployments/{name}/deploys/{deployId}", u.withSession(u.handleDeploy))
	m.HandleFunc("GET /deployments/{name}/deploys/{deployId}/rollback", u.withSession(u.handleRollbackPlan))
	m.HandleFunc("POST /deployments/{name}/deploys/{deployId}/rollback", u.withSession(u.handleRollback))
	m.HandleFunc("GET /deployments/{name}/diff", u.withSession(u.handleDiff))
	m.HandleFunc("GET /deployments/{name}/activity", u.withSession(u.handleActivity))
	m.HandleFunc("GET /deployments/{name}/tasks/{id}/log", u.withSession(u.handleTaskLog))
	m.HandleFunc("GET /audit", u.withSession(u.handleAudit))
	m.HandleFunc("GET /webhooks", u.withSession(u.handleWebhooks))
	m.HandleFunc("POST /webhooks", u.withSession(u.handleWebhookCreate))
	m.HandleFunc("POST /webhooks/{id}/delete", u.withSession(u.handleWebhookDelete))
	m.HandleFunc("POST /webhooks/{id}/test", u.withSession(u.handleWebhookTest))
	m.HandleFunc("/", u.withSession(u.handleNotFound))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.renderError(w, r, nil, http.StatusForbidden, "Cross-origin request refused.")
	}))
	return securityHeaders(cop.Handler(m))
}

// securityHeaders sets the headers every UI response carries: a strict
// Content-Security-Policy (only this server's script, style and images) and
// no framing or sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
