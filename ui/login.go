package ui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// loginCookie holds the login form's double-submit CSRF token: there is no
// session yet to bind it to.
const loginCookie = "dagdeck_login"

// loginView is the login page.
type loginView struct {
	Next    string
	Name    string
	Error   string
	Notice  string
	ByToken bool // the token form was used
	Token   string
}

func (u *UI) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if v, err := u.lookupSession(r); err == nil && v != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	view := &loginView{Next: next}
	if r.URL.Query().Has("out") {
		view.Notice = "You are logged out."
	}
	u.renderLogin(w, r, http.StatusOK, view)
}

// renderLogin shows the login page with a fresh login CSRF token.
func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, view *loginView) {
	token := dagdeck.NewSecret("")
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: token, Path: "/login", MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.secure(r),
	})
	u.render(w, r, status, "login", &page{Title: "Log in", CSRF: token, Body: view})
}

func (u *UI) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		u.renderError(w, r, nil, http.StatusBadRequest, "The login form could not be read.")
		return
	}
	view := &loginView{Next: safeNext(r.PostFormValue("next")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	c, err := r.Cookie(loginCookie)
	if err != nil || !tokensEqual(r.PostFormValue(csrfField), c.Value) {
		view.Error = "The login form expired. Please try again."
		u.renderLogin(w, r, http.StatusForbidden, view)
		return
	}
	if wait := u.throttle.wait(r, throttleUser(r, view)); wait > 0 {
		view.Error = fmt.Sprintf("Too many failed logins from your address. Try again in %s.", wait.Round(time.Second))
		u.logger.Warn("web UI login throttled", "remote", clientHost(r))
		u.renderLogin(w, r, http.StatusTooManyRequests, view)
		return
	}
	name, password := view.Name, r.PostFormValue("password")
	if token := strings.TrimSpace(r.PostFormValue("token")); token != "" || r.PostFormValue("method") == "token" {
		name, password, view.ByToken, view.Name = "", token, true, ""
	}
	secret, sess, err := u.svc.Auth.Login(r.Context(), name, password)
	if err != nil {
		u.loginFailed(w, r, view, err)
		return
	}
	u.throttle.succeeded(r, throttleUser(r, view))
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := u.svc.Auth.Logout(r.Context(), old.Value); err != nil {
			u.logger.Warn("end previous session", "err", err)
		}
	}
	u.clearCookie(w, r, loginCookie, "/login")
	u.setSessionCookie(w, r, secret, sess)
	u.logger.Info("web UI login", "actor", sess.Actor.Name, "kind", sess.Actor.Kind, "role", sess.Actor.Role)
	http.Redirect(w, r, view.Next, http.StatusSeeOther)
}

func (u *UI) loginFailed(w http.ResponseWriter, r *http.Request, view *loginView, err error) {
	switch {
	case dagdeck.ErrorCode(err) != dagdeck.EUNAUTHORIZED:
		u.logger.Error("web UI login", "err", err)
		view.Error = "Logging in failed: " + dagdeck.ErrorMessage(err)
		u.renderLogin(w, r, http.StatusInternalServerError, view)
		return
	case view.ByToken:
		view.Error = "That API token is not valid (unknown or revoked)."
	default:
		view.Error = "Wrong user name or password."
	}
	u.throttle.failed(r, throttleUser(r, view))
	u.logger.Warn("web UI login failed", "user", view.Name, "byToken", view.ByToken, "remote", clientHost(r))
	u.renderLogin(w, r, http.StatusUnauthorized, view)
}

func (u *UI) handleLogout(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := u.svc.Auth.Logout(r.Context(), v.secret); err != nil {
		u.logger.Error("web UI logout", "err", err)
	}
	u.clearCookie(w, r, sessionCookie, "/")
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// throttleUser is the name a login attempt counts against: the user name
// typed, or "" for a token.
func throttleUser(r *http.Request, view *loginView) string {
	if view.ByToken || r.PostFormValue("method") == "token" || strings.TrimSpace(r.PostFormValue("token")) != "" {
		return ""
	}
	return view.Name
}
