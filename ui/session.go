package ui

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Names of the session cookie, the CSRF form field and header, and the
// header that marks the UI's own JavaScript requests.
const (
	sessionCookie = "dagdeck_session"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
	fetchHeader   = "X-Requested-With"
	fetchValue    = "dagdeck"
)

// maxFormBody bounds the form bodies the UI accepts.
const maxFormBody = 64 << 10

// visit is the session of the request being served.
type visit struct {
	session *dagdeck.Session
	secret  string
}

// actor returns who is logged in.
func (v *visit) actor() *dagdeck.Actor { return &v.session.Actor }

// canDeploy reports whether the visitor's role may roll back.
func (v *visit) canDeploy() bool { return v.session.Actor.Role.Allows(dagdeck.RoleDeployer) }

// lookupSession returns the live session of the request's cookie, or nil.
// Unknown or expired sessions count as none.
func (u *UI) lookupSession(r *http.Request) (*visit, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, err := u.svc.Auth.Session(r.Context(), c.Value)
	if dagdeck.ErrorCode(err) == dagdeck.EUNAUTHORIZED {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &visit{session: sess, secret: c.Value}, nil
}

// withSession serves h only to a logged-in visitor, with the actor in the
// request context. Without a session, pages redirect to the login and
// JavaScript requests get 401. Unsafe methods need the session's CSRF token.
func (u *UI) withSession(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := u.lookupSession(r)
		if err != nil {
			u.renderError(w, r, nil, http.StatusInternalServerError, "")
			u.logger.Error("read session", "err", err)
			return
		}
		if v == nil {
			u.toLogin(w, r)
			return
		}
		if !isSafe(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		}
		if !isSafe(r.Method) && !validCSRF(r, v.session) {
			u.renderError(w, r, v, http.StatusForbidden, "The form's security token is missing or out of date. Reload the page and try again.")
			return
		}
		r = r.WithContext(dagdeck.NewContextWithActor(r.Context(), v.actor()))
		h(w, r, v)
	}
}

// toLogin answers a request that needs a session and has none.
func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	if isFetch(r) {
		writeJSONError(w, http.StatusUnauthorized, dagdeck.EUNAUTHORIZED, "Your session has ended. Log in again.")
		return
	}
	next := r.URL.Path
	if r.Method != http.MethodGet {
		next = "/deployments"
	} else if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// validCSRF reports whether the request carries sess's CSRF token, in the
// X-CSRF-Token header or the csrf_token form field.
func validCSRF(r *http.Request, sess *dagdeck.Session) bool {
	token := r.Header.Get(csrfHeader)
	if token == "" {
		token = r.PostFormValue(csrfField)
	}
	return tokensEqual(token, sess.CSRFToken)
}

// tokensEqual compares two secrets in constant time; empty never matches.
func tokensEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Authenticate lets the browser call the REST API with the session cookie,
// e.g. to download a deploy's archive. Register it with the API server's
// AddAuthenticator. It only looks at /api/ requests; those with an unsafe
// method must also send the session's CSRF token in the X-CSRF-Token header,
// or they are refused with EFORBIDDEN. A missing, unknown or expired cookie
// leaves the request unauthenticated.
func (u *UI) Authenticate(r *http.Request) (*dagdeck.Actor, error) {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		return nil, nil
	}
	v, err := u.lookupSession(r)
	if v == nil || err != nil {
		return nil, err
	}
	if !isSafe(r.Method) && !tokensEqual(r.Header.Get(csrfHeader), v.session.CSRFToken) {
		return nil, dagdeck.Errorf(dagdeck.EFORBIDDEN, "a request authenticated by the web UI's session cookie needs the %s header", csrfHeader)
	}
	return v.actor(), nil
}

// setSessionCookie stores a new session's secret in the browser. Its
// lifetime is relative (Max-Age, the time the server's clock says is left),
// never an absolute Expires: the browser measures an absolute date with its
// own clock, which need not agree with the server's, and would then keep a
// cookie the server considers expired or drop one it considers valid.
func (u *UI) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string, sess *dagdeck.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: cookieMaxAge(sess.ExpiresAt.Sub(u.svc.Health.Now())),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.secure(r),
	})
}

// cookieMaxAge is a cookie's Max-Age for a lifetime: whole seconds, rounded
// down so the browser never keeps the cookie longer than the server honours
// it, and at least 1 (0 would omit the attribute; negative deletes).
func cookieMaxAge(left time.Duration) int {
	return max(int(left/time.Second), 1)
}

// clearCookie removes a cookie from the browser.
func (u *UI) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.secure(r)})
}

func (u *UI) secure(r *http.Request) bool { return u.secureCookies || r.TLS != nil }

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// isFetch reports whether the UI's JavaScript sent the request.
func isFetch(r *http.Request) bool { return r.Header.Get(fetchHeader) == fetchValue }

// safeNext returns next if it is a path on this server, else "/deployments":
// the login must not redirect anywhere else.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/deployments"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/deployments"
	}
	return next
}
