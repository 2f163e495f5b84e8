package ui

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Login throttling: after maxLoginFailures failed logins from one address
// within loginWindow, further attempts are refused until the oldest failure
// leaves the window. Each attempt costs a PBKDF2 hash, so this also bounds
// the CPU a password guesser can burn.
const (
	maxLoginFailures = 10
	loginWindow      = 5 * time.Minute
	maxTrackedHosts  = 10_000
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

// wait returns how long the client must wait before trying again; 0 lets it try.
func (t *loginThrottle) wait(r *http.Request) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(clientHost(r))
	if len(recent) < maxLoginFailures {
		return 0
	}
	return recent[0].Add(loginWindow).Sub(t.now())
}

// failed records a failed login.
func (t *loginThrottle) failed(r *http.Request) {
	t.mu.Lock()
	defer t.mu.Unlock()
	host := clientHost(r)
	if len(t.failures) >= maxTrackedHosts {
		t.prune()
	}
	if len(t.failures) >= maxTrackedHosts {
		// Under a flood of addresses, forget rather than grow without bound.
		clear(t.failures)
	}
	t.failures[host] = append(t.recent(host), t.now())
}

// succeeded forgets the client's failures.
func (t *loginThrottle) succeeded(r *http.Request) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, clientHost(r))
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

// clientHost is the client's address; an IPv6 client counts by its /64,
// which one host can rotate through.
func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}
