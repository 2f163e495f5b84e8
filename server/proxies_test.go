package server

import (
	"net/http/httptest"
	"testing"
)

func TestServer_ClientAddr(t *testing.T) {
	nets, err := ParseProxies("10.0.0.0/8, 192.168.1.5")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{}
	s.SetTrustedProxies(nets)
	for _, tt := range []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},                 // not from a proxy: the header is ignored
		{"10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},              // the load balancer's client
		{"10.1.2.3:5000", "6.6.6.6, 198.51.100.7", "198.51.100.7"},     // a forged hop before the real one
		{"10.1.2.3:5000", "198.51.100.7, 192.168.1.5", "198.51.100.7"}, // two proxies
		{"10.1.2.3:5000", "junk, 198.51.100.7", "198.51.100.7"},
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:5000", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientAddr(r); got != tt.want {
			t.Errorf("remote %s, X-Forwarded-For %q: client %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad network was accepted")
	}
}
