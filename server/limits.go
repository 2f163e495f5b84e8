package server

import (
	"io"
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Limits protect the server from slow and anonymous clients.
type Limits struct {
	// ReadIdle is how long a request body may go without a byte arriving:
	// a live upload of any size goes on, a stalled one is cut off. 0 means
	// DefaultReadIdle.
	ReadIdle time.Duration
	// MaxAnonymous bounds the requests without a credential served at
	// once (the login form, static files, refused calls); more get 503.
	// 0 means DefaultMaxAnonymous.
	MaxAnonymous int
}

// Defaults of Limits.
const (
	DefaultReadIdle     = 30 * time.Second
	DefaultMaxAnonymous = 64
)

// SetLimits sets the server's limits; call it before Handler.
func (s *Server) SetLimits(l Limits) {
	if l.ReadIdle <= 0 {
		l.ReadIdle = DefaultReadIdle
	}
	if l.MaxAnonymous <= 0 {
		l.MaxAnonymous = DefaultMaxAnonymous
	}
	s.limits = l
	s.anonymous = make(chan struct{}, l.MaxAnonymous)
}

// bodyDeadlines gives every request a read deadline of ReadIdle. For a
// request with a credential each byte received pushes it back, so a live
// upload of any size goes on, and once its body is read (at once when it
// has none) the deadline is lifted: it guards bodies, and if it passed
// while the answer is written, net/http would cancel the request, cutting
// off a long answer (the whole history, an archive). An anonymous request
// must arrive whole in time, so trickling bytes cannot hold a connection.
func (s *Server) bodyDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		idle := s.limits.ReadIdle
		err := rc.SetReadDeadline(time.Now().Add(idle))
		if err == nil && dagdeck.ActorFromContext(r.Context()) != nil {
			if r.Body == nil || r.Body == http.NoBody {
				_ = rc.SetReadDeadline(time.Time{})
			} else {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, idle: idle}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody moves the connection's read deadline after each read, and
// lifts it at the end of the body.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	last time.Time
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		_ = b.rc.SetReadDeadline(time.Time{})
	} else if now := time.Now(); n > 0 && now.Sub(b.last) > b.idle/4 { // not on every small read
		b.last = now
		_ = b.rc.SetReadDeadline(now.Add(b.idle))
	}
	return n, err
}

// limitAnonymous serves at most MaxAnonymous requests without an actor at
// once, so slow anonymous clients cannot take every connection.
func (s *Server) limitAnonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dagdeck.ActorFromContext(r.Context()) != nil || s.anonymous == nil {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.anonymous <- struct{}{}:
			defer func() { <-s.anonymous }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "5")
			http.Error(w, "too many requests without a credential; try again shortly", http.StatusServiceUnavailable)
		}
	})
}
