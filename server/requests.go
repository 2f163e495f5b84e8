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

// RequestIDHeader carries a request's id, both ways.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an incoming request id the server accepts.
const maxRequestIDLen = 64

// requestID returns the incoming request id if it is sane (short, and of
// letters, digits and -_.:), a new one otherwise.
func requestID(r *http.Request) string {
	id := r.Header.Get(RequestIDHeader)
	if id == "" || len(id) > maxRequestIDLen {
		return dagdeck.NewID()
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return dagdeck.NewID()
		}
	}
	return id
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

// logRequests gives every request an id (X-Request-Id, both ways), then
// logs one line when it is answered and tells the observer.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id, route := requestID(r), s.route(r)
		w.Header().Set(RequestIDHeader, id)
		l := &requestLog{}
		ctx := context.WithValue(dagdeck.NewContextWithRequestID(r.Context(), id), requestLogKey{}, l)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		d := time.Since(start)
		if s.observer != nil {
			s.observer.RequestServed(route, rec.status, d)
		}
		s.logRequest(r, id, route, rec.status, d, l.actor)
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
func (s *Server) logRequest(r *http.Request, id, route string, status int, d time.Duration, actor *dagdeck.Actor) {
	attrs := []any{"method", r.Method, "route", route, "path", r.URL.Path, "status", status,
		"duration", d, "requestId", id, "client", r.RemoteAddr}
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
