package server

import (
	"context"
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
)

// RequestObserver hears about every request the server answered (the
// metrics package implements it).
type RequestObserver interface {
	// RequestServed reports a request: its route pattern (as registered,
	// e.g. "GET /api/v1/deployments/{id}", or "unmatched"), the status
	// and how long it took.
	RequestServed(route string, status int, d time.Duration)
}

// SetRequestObserver sets who hears about every request answered.
func (s *Server) SetRequestObserver(o RequestObserver) { s.observer = o }

// MountAuthorized serves h for pattern to actors whose role includes want;
// others get the API's EUNAUTHORIZED or EFORBIDDEN error.
func (s *Server) MountAuthorized(pattern string, want dagdeck.Role, h http.Handler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := dagdeck.Authorize(r.Context(), want); err != nil {
			s.error(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// requestLog is what the log line of a request needs to know that only
// inner handlers learn (the actor).
type requestLog struct{ actor *dagdeck.Actor }

type requestLogKey struct{}

// noteActor records the request's actor for its log line.
func noteActor(r *http.Request, a *dagdeck.Actor) {
	if l, ok := r.Context().Value(requestLogKey{}).(*requestLog); ok {
		l.actor = a
	}
}

// logRequests logs one line when a request is answered and tells the
// observer. It runs inside identify, which gave the request its id.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := s.route(r)
		l := &requestLog{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestLogKey{}, l)))
		d := time.Since(start)
		if s.observer != nil {
			s.observer.RequestServed(route, rec.status, d)
		}
		s.logRequest(r, route, rec.status, d, l.actor)
	})
}

// route returns the pattern the router chooses for r, or "unmatched": a
// bounded name for logs and metrics, never the raw path.
func (s *Server) route(r *http.Request) string {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		return pattern
	}
	return "unmatched"
}

// logRequest writes the one line of a request. It names the actor, never
// their credential.
func (s *Server) logRequest(r *http.Request, route string, status int, d time.Duration, actor *dagdeck.Actor) {
	info := dagdeck.RequestFromContext(r.Context())
	attrs := []any{"method", r.Method, "route", route, "path", r.URL.Path, "status", status,
		"duration", d, "requestId", info.ID, "client", info.ClientAddr}
	if actor != nil {
		attrs = append(attrs, "actor", actor.Name, "actorKind", actor.Kind)
	}
	s.logger.Info("http request", attrs...)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
