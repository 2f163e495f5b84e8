// Package server serves dagdeck's REST API (under /api/v1) over the service
// package, and mounts the web UI. Handlers translate: decode, call the
// service, encode. Errors map to statuses in one table (errors.go).
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// Authenticator finds the actor of a request from a credential other than a
// bearer token (the web UI's session cookie). It returns nil, nil when the
// request carries no such credential.
type Authenticator func(r *http.Request) (*dagdeck.Actor, error)

// Server is the HTTP front of the services (dagdeck.Services): each
// handler calls the one service of its concern.
type Server struct {
	svc    dagdeck.Services
	logger *slog.Logger
	mux    *http.ServeMux
	auths  []Authenticator
	// observer hears about every request answered (metrics); may be nil.
	observer       RequestObserver
	limits         Limits
	anonymous      chan struct{} // a slot per anonymous request being served
	trustedProxies []netip.Prefix
	// publicURL, if set, is the base of links handed out (see SetPublicURL).
	publicURL string
}

// New returns a Server for svc with the API routes registered.
func New(svc dagdeck.Services, logger *slog.Logger) *Server {
	s := &Server{svc: svc, logger: logger, mux: http.NewServeMux()}
	s.SetLimits(Limits{})
	s.routes()
	return s
}

// Mount serves h for pattern (e.g. the web UI at "/").
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddAuthenticator adds a way to authenticate requests besides bearer tokens.
func (s *Server) AddAuthenticator(a Authenticator) { s.auths = append(s.auths, a) }

// Handler returns the root handler: request ids, logging and metrics,
// recovery and authentication around the routes.
func (s *Server) Handler() http.Handler {
	return s.identify(s.logRequests(s.recoverer(s.authenticate(s.bodyDeadlines(s.limitAnonymous(s.mux))))))
}

// authenticate puts the request's actor, if any, into its context. A bad
// bearer token is refused at once; requests without credentials go on, and
// the service refuses what needs an actor.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, GitPrefix) {
			s.authenticateGit(w, r, next)
			return
		}
		var actor *dagdeck.Actor
		var err error
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.error(w, r, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\""))
				return
			}
			actor, err = s.svc.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(token))
		} else {
			for _, a := range s.auths {
				if actor, err = a(r); actor != nil || err != nil {
					break
				}
			}
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		if actor == nil && isUnsafe(r.Method) && strings.HasPrefix(r.URL.Path, "/api/") {
			// Refuse before any body is read: every API change needs a credential.
			s.error(w, r, dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "authentication required"))
			return
		}
		if actor != nil {
			r = r.WithContext(dagdeck.NewContextWithActor(r.Context(), actor))
			noteActor(r, actor)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			switch v := recover(); v {
			case nil:
			case http.ErrAbortHandler:
				panic(v) // net/http then breaks the answer off, as the handler asked
			default:
				s.logger.Error("panic in handler", "path", r.URL.Path, "requestId", dagdeck.RequestFromContext(r.Context()).ID, "panic", v)
				s.error(w, r, dagdeck.Errorf(dagdeck.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// isUnsafe reports whether method may change state.
func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// ctx returns the request context.
func ctx(r *http.Request) context.Context { return r.Context() }
