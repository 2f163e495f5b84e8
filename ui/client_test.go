package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// for handler tests that need no JavaScript.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (e *env) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, base: e.URL, c: c}
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{Response: res, body: string(body)}
}

func (b *browser) get(path string, headers ...string) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, headers ...string) *response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

var (
	csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	csrfMetaRE  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)
)

// login logs in through the login form: with a user name and password, or
// with name "" and an API token as the password.
func (b *browser) login(name, password string) *response {
	b.t.Helper()
	page := b.get("/login?next=/deployments")
	m := csrfFieldRE.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the login page:\n%s", page.body)
	}
	form := url.Values{"csrf_token": {m[1]}, "next": {"/deployments"}}
	if name == "" {
		form.Set("method", "token")
		form.Set("token", password)
	} else {
		form.Set("method", "password")
		form.Set("name", name)
		form.Set("password", password)
	}
	return b.post("/login", form)
}

// mustLogin logs in and fails the test unless it worked.
func (b *browser) mustLogin(name, password string) {
	b.t.Helper()
	if res := b.login(name, password); res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: status %d\n%s", res.StatusCode, res.body)
	}
}

// csrf returns the session's CSRF token from a page.
func (b *browser) csrf() string {
	b.t.Helper()
	page := b.get("/deployments")
	m := csrfMetaRE.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on /deployments (status %d)", page.StatusCode)
	}
	return m[1]
}

// cookie returns the named cookie the response set, or nil.
func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
