package ui

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Login throttling counts failed logins within loginWindow per user name
// and address together — so guessing one account from one address stops
// after maxLoginFailures without locking that user out from anywhere else —
// and per address alone, with a higher limit that bounds the PBKDF2 work
// one address can cause whatever names it tries. The address is the
// client's, behind trusted proxies (see server.SetTrustedProxies).
const (
	maxLoginFailures   = 10
	maxAddressFailures = 50
	loginWindow        = 5 * time.Minute
	maxTrackedHosts    = 10_000
)

// loginThrottle counts recent failed logins per client address.
type loginThrottle struct {
	mu       sync.Mutex
	now      func() time.Time
	failures map[string][]time.Time
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, failures: make(map[string][]time.Time)}
}

// wait returns how long the client must wait before trying to log in as
// user again; 0 lets it try.
func (t *loginThrottle) wait(r *http.Request, user string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	host := clientHost(r)
	var wait time.Duration
	for key, limit := range map[string]int{userKey(user, host): maxLoginFailures, host: maxAddressFailures} {
		if recent := t.recent(key); len(recent) >= limit {
			wait = max(wait, recent[len(recent)-limit].Add(loginWindow).Sub(t.now()))
		}
	}
	return wait
}

// failed records a failed login as user.
func (t *loginThrottle) failed(r *http.Request, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) >= maxTrackedHosts {
		t.prune()
	}
	if len(t.failures) >= maxTrackedHosts {
		// Under a flood of addresses, forget rather than grow without bound.
		clear(t.failures)
	}
	host := clientHost(r)
	for _, key := range []string{userKey(user, host), host} {
		t.failures[key] = append(t.recent(key), t.now())
	}
}

// succeeded forgets the failures of user from the client's address.
func (t *loginThrottle) succeeded(r *http.Request, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, userKey(user, clientHost(r)))
}

// userKey is the throttle key of a user name at an address; a token login
// has no name and counts as "(token)".
func userKey(user, host string) string {
	if user == "" {
		user = "(token)"
	}
	return host + " " + user
}

// recent returns host's failures inside the window, oldest first.
func (t *loginThrottle) recent(host string) []time.Time {
	cutoff := t.now().Add(-loginWindow)
	fs := t.failures[host]
	for len(fs) > 0 && !fs[0].After(cutoff) {
		fs = fs[1:]
	}
	return fs
}

func (t *loginThrottle) prune() {
	for host := range t.failures {
		if len(t.recent(host)) == 0 {
			delete(t.failures, host)
		}
	}
}

// clientHost is the client's address (behind trusted proxies, the one they
// forwarded); an IPv6 client counts by its /64,
// which one host can rotate through.
func clientHost(r *http.Request) string {
	host := dagdeck.RequestFromContext(r.Context()).ClientAddr
	if host == "" {
		h, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		host = h
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}
